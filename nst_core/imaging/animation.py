"""The frames of a run as an animated GIF, at the final picture's size (at most SIDE px)."""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np
from PIL import Image

MAX_FRAMES = 60
SIDE = 768  # px, the GIF's longer side at most: a print size's 60 frames at 4096 px would be GBs to quantise


def frame_for_gif(image: np.ndarray) -> np.ndarray:
    """A run's frame as a GIF keeps it: at most SIDE px, so a long print-size run's frames stay small."""
    if max(image.shape[:2]) <= SIDE:
        return image
    im = Image.fromarray(image)
    im.thumbnail((SIDE, SIDE), Image.BILINEAR)
    return np.asarray(im)


def gif_bytes(images: Sequence[np.ndarray], duration_ms: int = 120, hold_last_ms: int = 1500) -> bytes:
    """uint8 H x W x 3 frames -> GIF bytes. Frames are resized to the last one's size (multi-scale runs
    grow), thinned evenly to at most MAX_FRAMES, and the last frame is held a little longer."""
    if not images:
        raise ValueError("no frames to animate")
    if len(images) > MAX_FRAMES:
        keep = np.linspace(0, len(images) - 1, MAX_FRAMES).round().astype(int)
        images = [images[i] for i in keep]
    images = [frame_for_gif(im) for im in images]
    h, w = images[-1].shape[:2]
    pics = [Image.fromarray(im).resize((w, h), Image.LANCZOS) if im.shape[:2] != (h, w) else Image.fromarray(im)
            for im in images]
    # One palette for all frames, from the first, middle and last (photo to painting), then dithered
    # mapping: PIL's default builds a median-cut palette per frame, 30x slower (5 s for 60 frames at
    # 256 px), and the shared palette also keeps colours from flickering between frames.
    montage = np.concatenate([np.asarray(pics[i]) for i in (0, len(pics) // 2, -1)], axis=0)
    palette = Image.fromarray(montage).quantize(256, method=Image.Quantize.MEDIANCUT)
    frames = [p.quantize(palette=palette, dither=Image.Dither.FLOYDSTEINBERG) for p in pics]
    durations = [duration_ms] * (len(frames) - 1) + [hold_last_ms]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=False)
    return buf.getvalue()
