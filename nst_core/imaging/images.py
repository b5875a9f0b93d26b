"""Image input and output: decode with limits, EXIF, alpha, resize, float <-> uint8. Pure functions.

Every image inside nst_core is a uint8 numpy array H x W x 3, RGB, upright. A photo's transparency
travels beside it as a uint8 H x W alpha (``load_rgba``), and joins the picture again on the way out
(``with_alpha``).
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from ..errors import ImageError
from ..settings import Limits

ImageInput = Union[str, os.PathLike, bytes, Image.Image, np.ndarray]  # bytes: an image file's contents
MIN_SIDE = 32  # VGG19 pools four times before block5; smaller images have no deep features


def load_image(src: ImageInput, limits: Limits | None = None, what: str = "image",
               background: int | None = 255) -> np.ndarray:
    """Read a path, a file's bytes, a PIL image or an array into uint8 H x W x 3 RGB.

    Refuses files above the upload limit and images above the pixel limit before decoding them
    (decompression bombs), turns EXIF-rotated photos upright, composites transparency over white
    (over black for a mask: ``background=0``, so strokes on a clear layer read as painted) and
    takes the first frame of an animation. ``background=None`` keeps the alpha instead: H x W x 4
    where the picture has any transparency (see :func:`load_rgba`).
    """
    limits = limits or Limits()
    if isinstance(src, np.ndarray):
        if src.ndim >= 2 and src.shape[0] * src.shape[1] > limits.max_input_pixels:
            raise ImageError(f"{what} is {src.shape[1]}x{src.shape[0]} = {src.shape[0] * src.shape[1] / 1e6:.0f} "
                             f"megapixels; the limit is {limits.max_input_pixels / 1e6:.0f}: use a smaller picture")
        return _from_array(src, what, background)
    if isinstance(src, Image.Image):
        return _from_pil(src, limits, what, background)
    if isinstance(src, bytes):
        return _from_file(io.BytesIO(src), len(src), limits, what, background)
    path = Path(src)
    if not path.is_file():
        raise ImageError(f"{what} not found: {path} (check the path)")
    return _from_file(path, path.stat().st_size, limits, f"{what} {path.name}", background)


def image_shape(src: ImageInput, limits: Limits | None = None, what: str = "image") -> tuple[int, int]:
    """(height, width) of the picture as load_image would give it (EXIF rotation included), read from
    the file's header: no pixels are decoded. The same file-size and pixel limits apply."""
    limits = limits or Limits()
    if isinstance(src, (np.ndarray, Image.Image)):
        return load_image(src, limits, what).shape[:2] if isinstance(src, np.ndarray) else src.size[::-1]
    if isinstance(src, bytes):
        file, size = io.BytesIO(src), len(src)
    else:
        path = Path(src)
        if not path.is_file():
            raise ImageError(f"{what} not found: {path} (check the path)")
        file, size, what = path, path.stat().st_size, f"{what} {path.name}"
    if size == 0 or size > limits.max_upload_bytes:
        return load_image(src, limits, what).shape[:2]  # says which, in its words
    try:
        with warnings.catch_warnings():  # our limit speaks, not PIL's warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(file) as im:
                w, h = im.size
                turned = im.getexif().get(0x0112, 1) in (5, 6, 7, 8)  # EXIF orientation: a quarter turn
        if w * h > limits.max_input_pixels:
            raise ImageError(f"{what} is {w}x{h} = {w * h / 1e6:.0f} megapixels; the limit is "
                             f"{limits.max_input_pixels / 1e6:.0f}: use a smaller picture")
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{what} is not an image this app can open: use a JPEG, PNG or WebP file") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{what} has too many pixels to open safely; the limit is "
                         f"{limits.max_input_pixels / 1e6:.0f} megapixels: use a smaller picture") from None
    except (OSError, SyntaxError, ValueError):
        raise ImageError(_damaged(what)) from None
    return (w, h) if turned else (h, w)


def _from_file(file, size: int, limits: Limits, what: str, background: int | None = 255) -> np.ndarray:
    if size == 0:
        raise ImageError(f"{what} is an empty file: choose the picture again")
    if size > limits.max_upload_bytes:
        raise ImageError(f"{what} is {size / 1e6:.1f} MB; the limit is {limits.max_upload_bytes / 1e6:.0f} MB: "
                         f"use a smaller file")
    try:
        with Image.open(file) as im:
            return _from_pil(im, limits, what, background)
    except ImageError:  # already says what is wrong: not to be wrapped again below
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{what} is not an image this app can open: use a JPEG, PNG or WebP file") from None
    except Image.DecompressionBombError:  # PIL's own guard, for sizes far past ours
        raise ImageError(f"{what} has too many pixels to open safely; the limit is "
                         f"{limits.max_input_pixels / 1e6:.0f} megapixels: use a smaller picture") from None
    except (OSError, SyntaxError, ValueError):  # damaged while reading the header
        raise ImageError(_damaged(what)) from None


def _damaged(what: str) -> str:
    return f"{what} is damaged or incomplete and cannot be opened: save or download it again"


def _from_pil(im: Image.Image, limits: Limits, what: str, background: int | None = 255) -> np.ndarray:
    w, h = im.size
    if w * h > limits.max_input_pixels:
        raise ImageError(f"{what} is {w}x{h} = {w * h / 1e6:.0f} megapixels; the limit is "
                         f"{limits.max_input_pixels / 1e6:.0f}: use a smaller picture")
    try:
        im.seek(0)
        im.load()
        im = ImageOps.exif_transpose(im)
    except (OSError, SyntaxError, ValueError):  # truncated or corrupt data
        raise ImageError(_damaged(what)) from None
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16/32-bit greyscale: scale to 8 bits rather than clip everything above 255 to white
        # a band of rows at a time: a 49 MP picture's float64 copy alone would be 400 MB
        a = np.asarray(im)
        top = 65535.0 if a.max() > 255 else 255.0
        eight = by_bands(lambda b: np.clip(b.astype(np.float64) / top * 255 + 0.5, 0, 255).astype(np.uint8),
                         a[:, :, None])
        im = Image.fromarray(eight[:, :, 0])
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        if background is None:
            return _from_array(np.asarray(rgba), what, None)
        under = Image.new("RGBA", rgba.size, (background,) * 3 + (255,))
        im = Image.alpha_composite(under, rgba)
    return _from_array(np.asarray(im.convert("RGB")), what)


def _from_array(a: np.ndarray, what: str, background: int | None = 255) -> np.ndarray:
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4):
        raise ImageError(f"{what} must be H x W x 3 (RGB), got an array of shape {a.shape}")
    if a.shape[2] == 4 and background is None:
        rgb, alpha = _from_array(a[:, :, :3], what), _from_array(a[:, :, 3], what)[:, :, 0]
        return np.dstack([rgb, alpha]) if alpha.min() < 255 else rgb  # all opaque: nothing to keep
    if a.shape[2] == 4:  # composite over the background, as for files
        alpha = a[:, :, 3:4].astype(np.float32) / 255
        a = a[:, :, :3] * alpha + background * (1 - alpha)
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating) and np.nanmax(a) <= 1.0:
            a = a * 255  # float images in [0, 1]
        a = np.clip(np.nan_to_num(a), 0, 255).round().astype(np.uint8)
    return np.ascontiguousarray(a[:, :, :3])


def fit_size(shape: tuple[int, int], max_side: int, enlarge: bool = False) -> tuple[int, int]:
    """(height, width) with the longer side at most ``max_side`` (exactly, with ``enlarge``), keeping
    the aspect ratio."""
    h, w = shape
    scale = max_side / max(h, w) if enlarge else min(1.0, max_side / max(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize uint8 H x W x 3 to (height, width) with a Lanczos filter."""
    if image.shape[:2] == tuple(size):
        return image
    return np.asarray(Image.fromarray(image).resize((size[1], size[0]), Image.LANCZOS))


def load_rgba(src: ImageInput, limits: Limits | None = None, what: str = "image"
              ) -> tuple[np.ndarray, np.ndarray | None]:
    """(RGB, alpha): the picture as load_image reads it, and its alpha (uint8 H x W), or None where it
    is opaque throughout. The RGB is what a run paints: the picture over its own edges extended into
    the transparent part (:func:`fill_transparent`), so no background colour rims the cut-out."""
    a = load_image(src, limits, what, background=None)
    if a.shape[2] == 3:
        return a, None
    return _filled(a), np.ascontiguousarray(a[:, :, 3])


FILL_SIDE = 256  # the extended edges are worked out this small: smooth, and cheap at print sizes


def fill_transparent(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The picture composited over its own edges extended outwards: each hidden pixel takes the
    colour of the nearest solid one (alpha >= 128), softened. A file's RGB under alpha 0 is whatever
    its editor left there (black, white, the erased photo), and painting over it would rim the figure
    with that colour where the alpha fades; the run also sees no hard outline to paint strokes along."""
    return _filled(np.dstack([rgb, alpha]))


def _filled(rgba_full: np.ndarray) -> np.ndarray:
    """:func:`fill_transparent` of uint8 H x W x 4 (no second full-size copy of a large picture)."""
    from scipy import ndimage

    rgb, alpha = rgba_full[:, :, :3], rgba_full[:, :, 3]
    h, w = alpha.shape
    small = fit_size((h, w), FILL_SIDE)
    # PIL resizes RGBA premultiplied, so hidden pixels' colours do not bleed into the small copy's edges
    rgba = np.asarray(Image.fromarray(rgba_full).resize(small[::-1], Image.BILINEAR))
    solid = rgba[:, :, 3] >= 128
    if not solid.any():  # nothing solid to extend: a neutral grey under the faint rest
        fill = np.full((h, w, 3), 128, np.uint8)
    else:
        _, (iy, ix) = ndimage.distance_transform_edt(~solid, return_indices=True)
        near = Image.fromarray(np.ascontiguousarray(rgba[iy, ix, :3]))
        fill = np.asarray(near.filter(ImageFilter.GaussianBlur(max(1.0, FILL_SIDE / 64))).resize((w, h), Image.BILINEAR))
    return by_bands(_over, rgb, alpha[:, :, None], fill)


def _over(rgb: np.ndarray, alpha: np.ndarray, fill: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float32) / 255
    return _to_uint8(rgb * a + fill * (1 - a))


def resize_alpha(alpha: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An alpha (uint8 H x W) at (height, width), Lanczos like the picture it belongs to."""
    if alpha.shape[:2] == tuple(size):
        return alpha
    return np.asarray(Image.fromarray(alpha).resize((size[1], size[0]), Image.LANCZOS))


def with_alpha(image: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """uint8 H x W x 3 with ``alpha`` (any size: resized to the picture's) as H x W x 4; the picture
    itself where there is no alpha."""
    if alpha is None:
        return image
    return np.dstack([image[:, :, :3], resize_alpha(alpha, image.shape[:2])])


def check_size(image: np.ndarray, what: str, original: tuple[int, int] | None = None) -> None:
    """Refuse a picture with a side under MIN_SIDE, with advice that fits: a larger picture where the
    file itself is that small (``original``: its (h, w) before sizing), else a larger size or a less
    extreme aspect ratio."""
    h, w = image.shape[:2]
    if min(h, w) >= MIN_SIDE:
        return
    if original is not None and min(original) < MIN_SIDE:
        raise ImageError(f"{what} is only {original[1]}x{original[0]} px: use a picture at least {MIN_SIDE} px "
                         f"on each side")
    raise ImageError(f"{what} is {w}x{h} at this size, too small: each side needs at least {MIN_SIDE} px "
                     f"(use a less extreme aspect ratio or a larger size)")


BAND_PIXELS = 1 << 20  # pixels a per-pixel step works on at once: float temporaries of ~12 MB, not 150


def row_bands(h: int, w: int) -> list[tuple[int, int]]:
    """(y0, y1) bands of rows of an [h, w] picture, each of about BAND_PIXELS pixels."""
    rows = max(1, BAND_PIXELS // max(1, w))
    return [(y, min(h, y + rows)) for y in range(0, h, rows)]


def by_bands(fn, *images: np.ndarray) -> np.ndarray:
    """``fn(*bands)`` over bands of rows of same-sized [H, W, ...] ``images``, into one result: a
    per-pixel step's float temporaries then stay the size of a band (a 4096 px print's were 150-300 MB
    each, its peak memory). Small images in one go; the values are the same either way."""
    h, w = images[0].shape[:2]
    if images[0].ndim != 3 or h * w <= BAND_PIXELS:
        return fn(*images)
    out = None
    for y0, y1 in row_bands(h, w):
        band = fn(*(im[y0:y1] for im in images))
        if out is None:
            out = np.empty((h, *band.shape[1:]), band.dtype)
        out[y0:y1] = band
    return out


def _to_uint8(pixels: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(pixels, dtype=np.float32) + 0.5, 0, 255).astype(np.uint8)


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """float pixels in 0..255 (any shape ending in 3) -> uint8, rounded and clipped."""
    return by_bands(_to_uint8, np.asarray(pixels))


def png_bytes(image: np.ndarray, text: dict[str, str] | None = None) -> bytes:
    """Encode uint8 H x W x 3 (or x 4, with alpha) as PNG, with optional text chunks (e.g. the run recipe)."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for k, v in (text or {}).items():
        info.add_text(k, v)
    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def save_png(image: np.ndarray, path: str | os.PathLike, text: dict[str, str] | None = None) -> Path:
    path = Path(path)
    path.write_bytes(png_bytes(image, text))
    return path
