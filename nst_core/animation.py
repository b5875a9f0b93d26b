"""The frames of a run as an animated GIF, at the final picture's size."""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np
from PIL import Image

MAX_FRAMES = 60


def gif_bytes(images: Sequence[np.ndarray], duration_ms: int = 120, hold_last_ms: int = 1500) -> bytes:
    """uint8 H x W x 3 frames -> GIF bytes. Frames are resized to the last one's size (multi-scale runs
    grow), thinned evenly to at most MAX_FRAMES, and the last frame is held a little longer."""
    if not images:
        raise ValueError("no frames to animate")
    if len(images) > MAX_FRAMES:
        keep = np.linspace(0, len(images) - 1, MAX_FRAMES).round().astype(int)
        images = [images[i] for i in keep]
    h, w = images[-1].shape[:2]
    pics = [Image.fromarray(im).resize((w, h), Image.LANCZOS) if im.shape[:2] != (h, w) else Image.fromarray(im)
            for im in images]
    durations = [duration_ms] * (len(pics) - 1) + [hold_last_ms]
    buf = io.BytesIO()
    pics[0].save(buf, format="GIF", save_all=True, append_images=pics[1:], duration=durations, loop=0,
                 optimize=False)
    return buf.getvalue()
