"""Warming a process up: VGG19 loaded, the convolution choice made and the step traced, before the
first real run, so that run starts at once. The app's process calls it before serving, and each Ray
worker that paints the page's runs calls it when it starts (nst_core.serving.remote)."""
from __future__ import annotations

import logging

import numpy as np

from ..errors import ModelLoadError
from ..fast import fast_stylize
from ..settings import Settings
from .run import stylize


def warm_up(settings: Settings | None = None, fast: bool = False) -> None:
    """Load VGG19 and trace the compiled step now; with ``fast``, also load the fast-path model (a
    failure there is logged, not raised: the optimisation path does not need it)."""
    s = (settings or Settings()).replace(iterations=2, max_size=64, preview_every=1)
    tile = np.full((64, 64, 3), 128, np.uint8)
    for init in ("content", "noise"):  # from the content, the first step also makes the content targets;
        for _ in stylize(tile, tile, s.replace(init=init)):  # other starts trace that pass separately
            pass
    if fast:
        try:
            fast_stylize(tile, tile, s)
        except ModelLoadError as exc:
            logging.getLogger("nst_core").warning("%s", exc)
