"""Video refine: N Gatys iterations per frame from its fast result, with the temporal loss, through the one loop (optim.steps)."""
from __future__ import annotations

import numpy as np

from ..control import RunControl
from ..imaging.images import ImageInput, load_image
from ..vgg.objective import Targets
from ..engine.run import blend_grams, make_objective, size_images
from ..optim.state import RunState
from ..optim.steps import finish, optimise_objective
from ..settings import Settings
from .temporal import WithTemporal


class FrameRefiner:
    """``refiner(frame, start, warped_prev, mask)`` -> the frame optimised for ``iterations`` (L-BFGS
    evaluations, as stylize() counts them) from ``start``, float32 in 0..255. The loss is stylize()'s
    (the settings' weights, layers, normalisation) plus ``settings.temporal_weight`` x the temporal
    loss towards ``warped_prev`` where ``mask`` holds. The style's Grams are computed at the first
    frame's size and kept for the clip; one refiner per clip, never shared."""

    def __init__(self, style: ImageInput, settings: Settings, iterations: int, *, extractor=None,
                 control: RunControl | None = None):
        # single scale at the frame's size, no previews: the fast frame is already a good start
        self.s = settings.replace(iterations=iterations, multiscale=False, preview_every=10**9)
        self.style = load_image(style, self.s.limits, "style image")
        self.objective = make_objective(self.s, extractor)
        self.control, self.grams = control, None

    def __call__(self, frame: np.ndarray, start: np.ndarray, warped_prev: np.ndarray | None,
                 mask: np.ndarray | None) -> np.ndarray:
        s, size = self.s, max(frame.shape[:2])
        if self.grams is None:
            _, styles = size_images(frame, [self.style], size, s)
            self.grams = blend_grams(self.objective, styles, s.style_blend)
        targets = Targets(self.objective.content_targets(frame), self.grams)
        loss = WithTemporal(self.objective, warped_prev, mask, s.temporal_weight)
        run = RunState(s, self.control, [(frame.shape[0] * frame.shape[1], s.iterations)])
        # no previews (preview_every is past the last iteration): the loop's Outcome has the best picture
        out = finish(optimise_objective(loss, targets, np.asarray(start, np.float32), run, s.iterations,
                                        show=lambda image: image))
        return np.asarray(out.best, np.float32)
