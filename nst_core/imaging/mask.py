"""Where the style goes: a greyscale mask (white = style, black = the photo, grey = a blend).

Gatys et al. (2017, "Controlling Perceptual Factors in Neural Style Transfer") restrict the Gram
statistics to a region; the masks here are the regions' weights, one per style, at each scale's size.
Pure numpy/PIL; the per-layer downsampling happens in the compiled step (objective.py).
"""
from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image, ImageFilter

from ..errors import ImageError
from .images import ImageInput, load_image
from ..settings import Limits

ASPECT_TOLERANCE = 0.03  # a mask drawn on the photo may be off by a pixel's rounding, not reshaped


def load_mask(src: ImageInput, limits: Limits | None = None) -> np.ndarray:
    """A mask image (path, bytes, PIL, or array [H, W] / [H, W, 3|4]) -> uint8 [H, W], 255 = style.
    Transparent parts count as black, so white strokes on a clear layer mark the painted region."""
    if isinstance(src, np.ndarray) and src.ndim == 2:
        src = np.repeat(src[:, :, None], 3, axis=2)
    rgb = load_image(src, limits, "mask", background=0)
    # ITU-R 601 luma, as PIL's "L": a red or grey brush still reads as a mask
    return np.asarray(Image.fromarray(rgb).convert("L"))


def check_mask(mask: np.ndarray, content_shape: tuple[int, int]) -> None:
    """The mask must have the photo's shape (up to rounding): it says where, on that photo."""
    (mh, mw), (ch, cw) = mask.shape[:2], content_shape[:2]
    if abs(mw / mh - cw / ch) > ASPECT_TOLERANCE * cw / ch:
        raise ImageError(f"the mask is {mw}x{mh} but the photo is {cw}x{ch}: draw the mask on the photo "
                         f"itself, or give a mask of the photo's shape")


def at_size(mask: np.ndarray, shape: tuple[int, int], feather: float) -> np.ndarray:
    """uint8 [H, W] mask -> float32 [h, w] in 0..1 at ``shape``, its edge softened by a Gaussian of
    ``feather`` x the longer side (a drawn edge is a hard cut; the seam should be a blend)."""
    im = Image.fromarray(mask).resize((shape[1], shape[0]), Image.BILINEAR)
    radius = feather * max(shape)
    if radius > 0:
        im = im.filter(ImageFilter.GaussianBlur(radius))
    return np.asarray(im, np.float32) / 255.0


def regions(mask: np.ndarray, n_styles: int) -> np.ndarray:
    """float32 [h, w] in 0..1 -> [h, w, R]: one weight map per style. One style: the mask itself
    (black keeps the photo). Two: white takes the first, black the second."""
    return (mask[..., None] if n_styles == 1 else np.stack([mask, 1.0 - mask], axis=-1)).astype(np.float32)


def to_data_url(mask: np.ndarray) -> str:
    """uint8 [H, W] -> a PNG data URL, for a recipe (a brushed mask compresses to a few KB)."""
    buf = io.BytesIO()
    Image.fromarray(mask).save(buf, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def from_data_url(url: str, limits: Limits | None = None) -> np.ndarray:
    """A recipe's mask data URL -> uint8 [H, W]."""
    head, _, data = url.partition(",")
    if head != "data:image/png;base64":
        raise ImageError("the recipe's mask is not a PNG data URL: make the recipe again")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise ImageError("the recipe's mask is damaged: make the recipe again") from None
    return load_mask(raw, limits)
