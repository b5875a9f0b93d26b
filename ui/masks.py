"""The mask brush: a layer painted over the photo in Gradio's ImageEditor, turned into the run's mask.

The run reads the mask from the "mask" drop zone (a greyscale PNG: white = style, black = the photo),
so an API caller passes a file and the page's brush writes one. Strokes are see-through so the photo
shows.

The editor's canvas is a fixed MASK_CANVAS px square, and every picture sent to it (the photo and the
mask's layer) is that square: the photo fitted into it, centred, on a transparent letterbox; the layer
the same size with the mask in the photo's box. Gradio 6.31 places a layer sent with the photo on the
canvas it had before the photo came (800x800), so a layer of the photo's own size sat off the photo
on any photo of another size; a canvas that never changes size has nothing to disagree about. The
editor sends back pictures of its canvas: the photo is the opaque part of its background, and the
strokes are read in that same box.
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
BRUSH_SIZE = 40  # the brush's and the eraser's width at first, in the canvas's pixels

Box = tuple[int, int, int, int]  # (top, left, height, width) of the photo on a canvas


def photo_box(shape: tuple[int, int]) -> Box:
    """Where a photo of ``shape`` sits on the editor's canvas: enlarged or shrunk until it touches two
    opposite sides (as large as the editor can show it), and centred."""
    h, w = fit_size(shape[:2], MASK_CANVAS, enlarge=True)
    return (MASK_CANVAS - h) // 2, (MASK_CANVAS - w) // 2, h, w


def on_canvas(photo: np.ndarray) -> np.ndarray:
    """uint8 [h, w, 3] -> the editor's background, RGBA [MASK_CANVAS, MASK_CANVAS, 4]: the photo in its
    box (resized to it), transparent around it."""
    top, left, h, w = photo_box(photo.shape[:2])
    canvas = np.zeros((MASK_CANVAS, MASK_CANVAS, 4), np.uint8)
    canvas[top:top + h, left:left + w, :3] = resize(np.ascontiguousarray(photo[..., :3]), (h, w))
    canvas[top:top + h, left:left + w, 3] = 255
    return canvas


def layer_from_mask(mask: np.ndarray, box: Box, canvas: tuple[int, int] = (MASK_CANVAS, MASK_CANVAS)) -> np.ndarray:
    """uint8 [H, W] mask -> the brush's RGBA layer of the canvas's size, the mask resized into ``box``
    (alpha = mask x the brush's) and nothing outside it."""
    top, left, h, w = box
    m = np.asarray(Image.fromarray(mask).resize((w, h), Image.BILINEAR), np.float32) / 255
    layer = np.zeros((*canvas, 4), np.uint8)
    layer[..., :3] = BRUSH_RGB
    layer[top:top + h, left:left + w, 3] = np.round(m * BRUSH_ALPHA * 255).astype(np.uint8)
    return layer


def opaque_box(background: np.ndarray) -> Box:
    """The photo's box on a background the editor sent: its opaque part (all of it without alpha)."""
    if background.ndim != 3 or background.shape[2] != 4:
        return 0, 0, *background.shape[:2]
    rows, cols = np.flatnonzero((background[..., 3] > 127).any(1)), np.flatnonzero((background[..., 3] > 127).any(0))
    if not len(rows):
        return 0, 0, *background.shape[:2]
    return int(rows[0]), int(cols[0]), int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def mask_from_layers(layers: list, box: Box, canvas: tuple[int, int], shape: tuple[int, int] | None = None
                     ) -> np.ndarray | None:
    """The editor's RGBA layers (pictures of a canvas of shape ``canvas``) -> uint8 [h, w] of the
    photo's ``box`` on it, or at ``shape`` (a full brush stroke is white), or None if nothing is
    painted on the photo: strokes on the letterbox around it are not part of the mask."""
    top, left, h, w = box
    alpha = []
    for a in map(np.asarray, filter(lambda layer: layer is not None, layers or ())):
        if a.ndim == 3 and a.shape[2] == 4:
            a = a[..., 3]
            if a.shape != tuple(canvas):  # not the editor's own: read in the same frame all the same
                a = np.asarray(Image.fromarray(a).resize((canvas[1], canvas[0]), Image.BILINEAR))
            alpha.append(a[top:top + h, left:left + w].astype(np.float32))
    if not alpha or max(a.max(initial=0) for a in alpha) == 0:
        return None
    mask = np.clip(np.max(alpha, 0) / (BRUSH_ALPHA * 255) * 255 + 0.5, 0, 255).astype(np.uint8)
    if shape is None or mask.shape == tuple(shape[:2]):
        return mask
    return np.asarray(Image.fromarray(mask).resize((shape[1], shape[0]), Image.BILINEAR))


def editor_value(photo: np.ndarray, mask: np.ndarray | None = None) -> dict:
    """The editor's value: the photo on the canvas under one layer painted with ``mask`` (or none)."""
    layers = [] if mask is None else [layer_from_mask(mask, photo_box(photo.shape[:2]))]
    return {"background": on_canvas(photo), "layers": layers, "composite": None}


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
    def _canvas(v: dict) -> np.ndarray | None:
        """The editor's background as it sent it (its canvas), or None before a photo."""
        editor = v.get("mask_editor") or {}
        bg = editor.get("background") if isinstance(editor, dict) else None
        return None if bg is None else np.asarray(bg)

    def _background(self, v: dict) -> np.ndarray | None:
        """The photo the editor shows (the opaque part of its canvas), or None before a photo."""
        bg = self._canvas(v)
        if bg is None:
            return None
        top, left, h, w = opaque_box(bg)
        return np.ascontiguousarray(bg[top:top + h, left:left + w, :3])

    def _painted(self, v: dict, shape: tuple[int, int] | None = None) -> np.ndarray | None:
        """What is painted on the photo in the editor (uint8, the shape of _background's photo, or
        ``shape``), or None."""
        bg = self._canvas(v)
        if bg is None:
            return None
        return mask_from_layers(v["mask_editor"].get("layers"), opaque_box(bg), bg.shape[:2], shape)

    def _photo_file(self, v: dict) -> tuple[np.ndarray, tuple[int, int]]:
        """(the dropped photo fitted to MASK_CANVAS, never enlarged, its own shape); NSTError if bad."""
        photo = load_image(self.files.take_uploads(v.get("uploads"), v["content"], remove=False)[0])
        shape, fitted = photo.shape[:2], resize(photo, fit_size(photo.shape[:2], MASK_CANVAS))
        del photo
        trim()  # a large photo's decoded copies go back to the system, not into the heaps for good
        return fitted, shape

    def canvas(self, v: dict, request=None) -> dict:
        """A new photo: the editor shows it; a mask of its shape stays (a recipe's), others go."""
        if v.get("content") is None:
            return {"mask_editor": None, "mask": None}
        try:
            bg, shape = self._photo_file(v)
        except NSTError:  # the drop zone's own check names the bad file
            return {"mask_editor": None, "mask": None}
        mask = self._mask(v)
        try:
            if mask is not None:
                check_mask(mask, shape)
        except NSTError:
            mask = None
        return {"mask_editor": editor_value(bg, mask), "mask": v.get("mask") if mask is not None else None}

    def painted(self, v: dict, request=None) -> dict:
        """A brush stroke: the mask is what is painted now."""
        if self._background(v) is None:
            return {"mask": None}
        mask = self._painted(v)
        return {"mask": None if mask is None else save_mask(self.files, mask, request)}

    def invert(self, v: dict, request=None) -> dict:
        """White for black: the style goes where it did not (nothing painted inverts to everywhere)."""
        bg = self._background(v)
        if bg is None:
            return {}
        # the editor's strokes as sent with the click (a stroke's own event may not be back yet)
        mask = self._painted(v)
        mask = self._mask(v) if mask is None else mask
        mask = np.full(bg.shape[:2], 255, np.uint8) if mask is None else 255 - mask
        return {"mask_editor": editor_value(bg, mask), "mask": save_mask(self.files, mask, request)}

    def clear(self, v: dict, request=None) -> dict:
        bg = self._background(v)
        return {"mask_editor": None if bg is None else editor_value(bg), "mask": None}

    def shown(self, v: dict, request=None) -> dict:
        """A mask file dropped or loaded from a recipe: the editor paints it over the photo."""
        bg = self._background(v)
        if bg is None:  # no photo under it yet: the canvas paints the mask when one comes
            return {}
        return {"mask_editor": editor_value(bg, self._mask(v))}


def mask_inputs(c: dict, extra=None) -> None:
    """Where the style goes: a brush over the photo, Invert and Clear (and ``extra(c)``'s controls),
    and the mask it makes."""
    with gr.Accordion("Where the style goes (optional): paint over the photo", open=False, elem_id="mask_box"):
        gr.Markdown("Painted parts get the style; the rest stays the photo, or takes the **second style** "
                    "(Advanced) if you give one. The seam is blended (Advanced: mask feather).")
        c["mask_editor"] = ImageEditor(
            label="Brush", type="numpy", image_mode="RGBA", sources=(), transforms=(), layers=False,
            canvas_size=(MASK_CANVAS, MASK_CANVAS), fixed_canvas=True,
            brush=gr.Brush(colors=[BRUSH], default_color=BRUSH, color_mode="fixed", default_size=BRUSH_SIZE),
            eraser=gr.Eraser(default_size=BRUSH_SIZE), format="png", height=420, elem_id="mask_editor")
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
