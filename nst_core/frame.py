"""Frame: what a run reports to its observers (app, CLI, tests). Plain data, no TensorFlow."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .settings import Settings


@dataclass(frozen=True)
class Frame:
    """One look at a run in progress.

    ``image`` is uint8 H x W x 3 RGB. ``losses`` holds the weighted terms ``content``, ``style``,
    ``tv`` and their sum ``total``. The last frame of a run has ``final=True`` and holds the best
    image found; ``stopped`` says it ended on a stop command; ``message`` says why a run ended early
    (e.g. the loss diverged), else "". ``settings`` are those in force (weights as steered), ``scale``
    is (this scale, of how many, its longer side in px), ``eta_s`` the seconds left over all scales;
    at a print size's tiled scale ``tile`` says which tile is being painted (its support box in px).
    ``faces`` says it comes from keep_faces' pass over the faces, after the last scale (at its size).
    ``conv`` is the convolution path that painted it (``conv="auto"`` resolved; "" over a test model).
    ``alpha`` (the final frame's only) is the photo's transparency at the picture's size, uint8 H x W,
    or None for an opaque photo: the image under it is painted throughout, and a PNG carries both.
    """

    iteration: int
    total: int
    losses: dict[str, float]
    elapsed_s: float
    image: np.ndarray = field(repr=False)
    final: bool = False
    message: str = ""
    settings: "Settings | None" = field(default=None, repr=False)
    stopped: bool = False
    scale: tuple[int, int, int] = (1, 1, 0)
    eta_s: float = 0.0
    tile: tuple[int, ...] = ()  # at a tiled scale: (tile, of tiles, sweep, of sweeps, y0, y1, x0, x1)
    conv: str = ""
    faces: bool = False
    alpha: np.ndarray | None = field(default=None, repr=False)

    @property
    def iterations_per_s(self) -> float:
        return self.iteration / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_json(self) -> dict:
        return {"iteration": self.iteration, "total": self.total, "losses": self.losses,
                "elapsed_s": round(self.elapsed_s, 3), "eta_s": round(self.eta_s, 1),
                **({"stopped": True} if self.stopped else {}),
                **({"tile": list(self.tile)} if self.tile else {})}
