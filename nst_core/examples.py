"""Example pictures made in code, so one-click tries need no image the project did not make.

Each function returns uint8 H x W x 3 RGB, the same every time (fixed seeds).
"""
from __future__ import annotations

import numpy as np


def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    return y / h, x / w


def landscape(h: int = 384, w: int = 512) -> np.ndarray:
    """A 'photo': evening sky, a sun, three ranges of hills, a lake that mirrors them."""
    y, x = _grid(h, w)
    img = np.empty((h, w, 3), np.float32)
    img[:] = np.stack([90 + 150 * y, 130 + 90 * y, 220 - 40 * y], -1)  # sky, bright near the horizon
    sun = (x - 0.72) ** 2 + ((y - 0.3) * h / w) ** 2 < 0.004
    img[sun] = (255, 230, 150)
    horizon = 0.62
    for i, (colour, height, freq) in enumerate([((95, 110, 140), 0.42, 5), ((60, 95, 70), 0.5, 9),
                                                ((35, 70, 40), 0.56, 15)]):
        ridge = height + 0.04 * np.sin(freq * x * 2 * np.pi + i) + 0.02 * np.sin(freq * 2.7 * x * 2 * np.pi)
        img[(y > ridge) & (y < horizon)] = colour
    below = y >= horizon
    mirror = np.clip(((2 * horizon - y) * h).astype(int), 0, h - 1)
    img[below] = img[mirror[below], (x[below] * w).astype(int)] * 0.7 + np.array([10, 25, 45])
    ripple = np.sin(y * h * 0.9) * 8 * below
    return np.clip(img + ripple[..., None], 0, 255).astype(np.uint8)


def swirls(h: int = 384, w: int = 384) -> np.ndarray:
    """A 'painting': curling strokes in night blues and yellows."""
    y, x = _grid(h, w)
    rng = np.random.default_rng(3)
    field = np.sin(6 * x + 2.5 * np.sin(5 * y)) + np.cos(5 * y + 2 * np.sin(7 * x))
    strokes = np.sin(16 * field + rng.random((h, w)).astype(np.float32) * 0.8)
    palette = np.array([[20, 40, 110], [45, 90, 170], [110, 160, 210], [240, 210, 80]], np.float32)
    t = (strokes + 1) / 2 * (len(palette) - 1)
    lo = np.floor(t).astype(int)
    hi = np.minimum(lo + 1, len(palette) - 1)
    img = palette[lo] * (1 - (t - lo))[..., None] + palette[hi] * (t - lo)[..., None]
    return np.clip(img + rng.normal(0, 6, img.shape), 0, 255).astype(np.uint8)


def mosaic(h: int = 384, w: int = 384, tiles: int = 60) -> np.ndarray:
    """A 'painting': bright flat tiles with dark seams, like stained glass."""
    rng = np.random.default_rng(7)
    centres = rng.random((tiles, 2)) * (h, w)
    colours = rng.choice(np.array([[200, 40, 40], [240, 190, 40], [40, 90, 180], [30, 140, 80],
                                   [240, 240, 220], [120, 50, 140]]), tiles)
    y, x = np.mgrid[0:h, 0:w]
    d = (y[..., None] - centres[:, 0]) ** 2 + (x[..., None] - centres[:, 1]) ** 2
    order = np.sort(d, axis=-1)
    img = colours[np.argmin(d, axis=-1)].astype(np.float32)
    seam = (np.sqrt(order[..., 1]) - np.sqrt(order[..., 0])) < 3
    img[seam] = (25, 20, 20)
    return img.astype(np.uint8)


#: name -> (content maker, style maker)
EXAMPLE_PAIRS = {"lake at dusk × swirls": (landscape, swirls), "lake at dusk × mosaic": (landscape, mosaic)}
