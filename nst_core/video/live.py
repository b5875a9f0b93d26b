"""The webcam through the fast path: a frame in, its stylisation out, smoothed along the flow; one per viewer."""
from __future__ import annotations

import numpy as np

from .flow import DEFAULT_SMOOTHING, TemporalSmoother
from ..imaging.images import ImageInput, fit_size, load_image, resize
from ..settings import Settings

LIVE_SIZE = 256  # longer side of a webcam frame as stylised: about 15 frames/s of model time on two cores


class LiveStylizer:
    """``live(frame)`` -> the stylised frame (uint8, at most ``size`` px). Holds the style's code and the
    previous frame and result, so each viewer needs their own (the app keeps it in gr.State)."""

    def __init__(self, style: ImageInput, settings: Settings | None = None, size: int = LIVE_SIZE,
                 smoothing: float = DEFAULT_SMOOTHING):
        from ..fast import frame_stylizer

        self.size, self.smoother = size, TemporalSmoother(smoothing)
        self.stylise = frame_stylizer(load_image(style, (settings or Settings()).limits, "style image"), settings)

    def __call__(self, frame: ImageInput) -> np.ndarray:
        image = load_image(frame, what="webcam frame")
        h, w = fit_size(image.shape[:2], self.size)
        small = resize(image, (h - h % 4, w - w % 4))  # the model's multiple of 4: no padding per frame
        return self.smoother.smooth(small, self.stylise(small))
