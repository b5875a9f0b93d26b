"""A finer scale's start: the coarser scale's result enlarged, plus the finest octave that enlarging
cannot restore (the photo's and the painting's).

Made a band of rows at a time: at a 4096 px print, the whole-picture float temporaries of this step
(150 MB each, five or six alive at once) were its run's highest memory, 500 MB above the tiles'.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..imaging.images import resize, row_bands, to_uint8

OCTAVE_EDGE = 3  # pixels trimmed off each side of a style's finest octave before it is tiled


def blend_weights(weights: Sequence[float], n: int) -> np.ndarray:
    """``style_blend`` for ``n`` style images, normalised to sum to 1 (equal when not given)."""
    w = np.asarray(weights or [1.0] * n, np.float64)
    return w / w.sum()


def _mirrored(n: int, length: int) -> np.ndarray:
    """Indices 0..n-1 folded into 0..length-1 as numpy's 'symmetric' padding repeats an axis."""
    i = np.arange(n) % (2 * length)
    return np.where(i < length, i, 2 * length - 1 - i)


class _Octave:
    """What a half-size copy of ``image`` [h, w, 3] cannot hold (the image minus its half-size version
    enlarged), mirror-tiled or cropped to ``shape``, served by rows: float32, detail around 0.

    The band's outer ``OCTAVE_EDGE`` pixels are dropped first: an odd side loses a pixel to halving
    and a scan's frame is a line, so the edge holds 3-4x the band's usual energy, and mirrored it
    became a thin bright line across the result where the tiles meet (Picasso's self-portrait, 399 px
    wide, left one at x = 399 of a 512 px Golden Gate). Held as int16: the difference of two uint8
    images is exact there, at a sixth of float32's size."""

    def __init__(self, image: np.ndarray, shape: tuple[int, int]):
        h, w = image.shape[:2]
        half = resize(resize(image, (max(1, h // 2), max(1, w // 2))), (h, w))
        e = OCTAVE_EDGE if min(h, w) > 4 * OCTAVE_EDGE else 0
        self.band = (image[e:h - e, e:w - e].astype(np.int16) - half[e:h - e, e:w - e])
        self.rows_at = _mirrored(shape[0], self.band.shape[0])
        self.cols_at = _mirrored(shape[1], self.band.shape[1])

    def rows(self, y0: int, y1: int) -> np.ndarray:
        return self.band[self.rows_at[y0:y1]][:, self.cols_at].astype(np.float32)


def finest_octave(image: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The finest octave of ``image`` [h, w, 3] at ``shape`` (see :class:`_Octave`): float32 [H, W, 3]."""
    return _Octave(image, shape).rows(0, shape[0])


def enlarge(best: np.ndarray, content: np.ndarray, coarse_content: np.ndarray,
            styles: Sequence[np.ndarray] = (), blend=(), masks: np.ndarray | None = None) -> np.ndarray:
    """A coarser scale's result [h, w, 3] enlarged to ``content``'s [H, W, 3], plus the finest octave
    that enlarging cannot restore: the photo's (content minus its own enlarged coarse version) and
    the style images' (their finest octave, tiled; ``blend`` weighs several, or ``masks`` [H, W, R]
    place each where it goes, so no texture lands where the photo should stay).

    Why the style's: VGG's Gram statistics do not carry over between sizes. A result that matched
    the style at 512 px, enlarged, is nearly as far from the 1024 px targets as the photo is
    (block4_conv1's term is 99 % of that loss, and enlarging cuts the layer's Gram energy by 40 %).
    The style's own fine texture, even placed blindly, halves the final scale's first loss and saves
    about 30 % of its iterations (benchmarks/multiscale.py); the optimisation then moves it into place.
    float32 in 0..255."""
    shape = content.shape[:2]
    coarse = resize(coarse_content, shape)  # uint8, as are the next two: 3 bytes a pixel
    base = resize(to_uint8(best), shape)
    octaves = [_Octave(st, shape) for st in styles]
    w = blend_weights(blend, len(styles)).astype(np.float32) if masks is None else None
    out = np.empty((*shape, 3), np.float32)
    for y0, y1 in row_bands(*shape):
        detail = content[y0:y1].astype(np.float32)
        detail -= coarse[y0:y1]
        if octaves:
            weights = w if masks is None else [masks[y0:y1, :, r:r + 1] for r in range(masks.shape[-1])]
            detail += sum(wi * o.rows(y0, y1) for wi, o in zip(weights, octaves))
        band = base[y0:y1].astype(np.float32)
        band += detail
        np.clip(band, 0, 255, out=out[y0:y1])
    return out
