"""The mask brush: a layer painted over the photo in Gradio's ImageEditor, turned into the run's mask.

The run reads the mask from the "mask" drop zone (a greyscale PNG: white = style, black = the photo),
so an API caller passes a file and the page's brush writes one. The editor shows the photo fitted to
MASK_CANVAS px (the mask is resized to each scale anyway); strokes are see-through so the photo shows.
"""
from __future__ import annotations

import gradio as gr
import numpy as np
from PIL import Image

from nst_core import NSTError, load_image, png_bytes
from nst_core.imaging.images import fit_size, resize
from nst_core.imaging.mask import check_mask, load_mask
from nst_core.optim.memory import trim

from .components import ImageEditor, PathImage
from .files import Files, write_files

MASK_CANVAS = 1024
BRUSH_RGB, BRUSH_ALPHA = (255, 45, 111), 0.55
BRUSH = (f"#{BRUSH_RGB[0]:02x}{BRUSH_RGB[1]:02x}{BRUSH_RGB[2]:02x}", BRUSH_ALPHA)


def layer_from_mask(mask: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """uint8 [H, W] mask -> the brush's RGBA layer [h, w, 4] at ``shape`` (alpha = mask x the brush's)."""
    m = np.asarray(Image.fromarray(mask).resize((shape[1], shape[0]), Image.BILINEAR), np.float32) / 255
    layer = np.zeros((*shape, 4), np.uint8)
    layer[..., :3] = BRUSH_RGB
    layer[..., 3] = np.round(m * BRUSH_ALPHA * 255).astype(np.uint8)
    return layer


def mask_from_layers(layers: list, shape: tuple[int, int]) -> np.ndarray | None:
    """The editor's RGBA layers -> uint8 [H, W] at ``shape`` (a full brush stroke is white), or None
    if nothing is painted."""
    rgba = [a for a in map(np.asarray, filter(lambda layer: layer is not None, layers or ()))
            if a.ndim == 3 and a.shape[2] == 4]
    alpha = [a[..., 3].astype(np.float32) for a in rgba]
    if not alpha or max(a.max() for a in alpha) == 0:
        return None
    top = np.max([np.asarray(Image.fromarray(a).resize((shape[1], shape[0]), Image.BILINEAR)) for a in alpha], 0)
    return np.clip(top / (BRUSH_ALPHA * 255) * 255 + 0.5, 0, 255).astype(np.uint8)


def editor_value(background, layer=None) -> dict:
    """The editor's value: the photo under one layer of strokes (or none)."""
    return {"background": background, "layers": [] if layer is None else [layer], "composite": None}


def save_mask(files: Files, mask: np.ndarray, request) -> str:
    """uint8 [H, W] -> the path of a PNG in the session's own result folder, for the Mask drop zone.
    The masks before it are no longer on the page, but the browser may still be fetching the last,
    so that one is kept; a Run naming an older one takes the newest (Handlers._mask_path)."""
    session = getattr(request, "session_hash", None)
    path = write_files(files.results.new(session, "mask"), {"mask.png": png_bytes(mask)})["mask.png"]
    files.results.keep_newest(session, "mask", keep=2)
    return path


class MaskHandlers:
    """Content dropped -> the editor's canvas; brush, Invert, Clear and a mask file -> the mask and
    the editor kept in step. Handlers take and return dicts by name, as ui/handlers.py's do."""

    def __init__(self, files: Files):
        self.files = files

    def _mask(self, v: dict) -> np.ndarray | None:
        try:
            if v.get("mask") is None:
                return None
            return load_mask(self.files.take_uploads(v.get("uploads"), v["mask"], remove=False)[0])
        except NSTError:
            return None
        finally:
            trim()  # a large mask's decoding copies go back to the system, not into the heaps for good

    @staticmethod
    def _background(v: dict) -> np.ndarray | None:
        editor = v.get("mask_editor") or {}
        bg = editor.get("background") if isinstance(editor, dict) else None
        return None if bg is None else np.asarray(bg)[..., :3]

    def canvas(self, v: dict, request=None) -> dict:
        """A new photo: the editor shows it; a mask of its shape stays (a recipe's), others go."""
        if v.get("content") is None:
            return {"mask_editor": None, "mask": None}
        try:
            photo = load_image(self.files.take_uploads(v.get("uploads"), v["content"], remove=False)[0])
        except NSTError:  # the drop zone's own check names the bad file
            return {"mask_editor": None, "mask": None}
        shape, bg = photo.shape[:2], resize(photo, fit_size(photo.shape[:2], MASK_CANVAS))
        del photo
        trim()  # a large photo's decoded copies go back to the system, not into the heaps for good
        mask = self._mask(v)
        try:
            if mask is not None:
                check_mask(mask, shape)
        except NSTError:
            mask = None
        return {"mask_editor": editor_value(bg, None if mask is None else layer_from_mask(mask, bg.shape[:2])),
                "mask": v.get("mask") if mask is not None else None}

    def painted(self, v: dict, request=None) -> dict:
        """A brush stroke: the mask is what is painted now."""
        bg = self._background(v)
        if bg is None:
            return {"mask": None}
        mask = mask_from_layers((v.get("mask_editor") or {}).get("layers"), bg.shape[:2])
        return {"mask": None if mask is None else save_mask(self.files, mask, request)}

    def invert(self, v: dict, request=None) -> dict:
        """White for black: the style goes where it did not (nothing painted inverts to everywhere)."""
        bg = self._background(v)
        if bg is None:
            return {}
        # the editor's strokes as sent with the click (a stroke's own event may not be back yet)
        mask = mask_from_layers((v.get("mask_editor") or {}).get("layers"), bg.shape[:2])
        mask = self._mask(v) if mask is None else mask
        mask = np.full(bg.shape[:2], 255, np.uint8) if mask is None else 255 - mask
        return {"mask_editor": editor_value(bg, layer_from_mask(mask, bg.shape[:2])),
                "mask": save_mask(self.files, mask, request)}

    def clear(self, v: dict, request=None) -> dict:
        bg = self._background(v)
        return {"mask_editor": None if bg is None else editor_value(bg), "mask": None}

    def shown(self, v: dict, request=None) -> dict:
        """A mask file dropped or loaded from a recipe: the editor paints it over the photo."""
        bg = self._background(v)
        if bg is None:  # no photo under it yet: the canvas paints the mask when one comes
            return {}
        mask = self._mask(v)
        return {"mask_editor": editor_value(bg, None if mask is None else layer_from_mask(mask, bg.shape[:2]))}


def mask_inputs(c: dict, extra=None) -> None:
    """Where the style goes: a brush over the photo, Invert and Clear (and ``extra(c)``'s controls),
    and the mask it makes."""
    with gr.Accordion("Where the style goes (optional): paint over the photo", open=False, elem_id="mask_box"):
        gr.Markdown("Painted parts get the style; the rest stays the photo, or takes the **second style** "
                    "(Advanced) if you give one. The seam is blended (Advanced: mask feather).")
        c["mask_editor"] = ImageEditor(
            label="Brush", type="numpy", image_mode="RGBA", sources=(), transforms=(), layers=False,
            brush=gr.Brush(colors=[BRUSH], default_color=BRUSH, color_mode="fixed", default_size=40),
            eraser=gr.Eraser(default_size=40), format="png", height=420, elem_id="mask_editor")
        with gr.Row():
            c["invert_btn"] = gr.Button("Invert", size="sm", elem_id="mask_invert")
            c["clear_btn"] = gr.Button("Clear", size="sm", elem_id="mask_clear")
        if extra is not None:
            extra(c)
        c["mask"] = PathImage(label="Mask (white = style; a greyscale file of the photo's shape works too)",
                              height=260, elem_id="mask")


def wire_masks(c: dict, m: MaskHandlers, wire) -> None:
    """The mask brush: a new photo becomes the canvas; strokes, Invert, Clear and a mask file keep the
    editor and the mask (the run's input, and the API's: a greyscale file) in step. One at a time, in
    the order sent: a stroke's mask never lands after the Invert clicked after it."""
    def pick(*names):
        return {n: c[n] for n in names}

    private = {"api_visibility": "private"}
    editor_and_mask, in_order = pick("mask_editor", "mask"), {"concurrency_limit": 1, "concurrency_id": "mask"}
    c["content"].change(**wire(m.canvas, pick("content", "mask", "uploads"), editor_and_mask), **in_order, **private)
    c["mask_editor"].input(**wire(m.painted, pick("mask_editor"), pick("mask")), trigger_mode="always_last",
                           show_progress="hidden", **in_order, **private)
    for button, handler in (("invert_btn", m.invert), ("clear_btn", m.clear)):
        c[button].click(**wire(handler, pick("mask_editor", "mask", "uploads"), editor_and_mask), **in_order,
                        **private)
    c["mask"].upload(**wire(m.shown, pick("mask_editor", "mask", "uploads"), pick("mask_editor")), **in_order,
                     **private)
