"""The app's own components: a drop zone that hands nst_core the file undecoded, controls that refuse bad
values in one line, images sent to the page whole, and the examples."""
from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
from pathlib import Path

import gradio as gr
import numpy as np
import PIL.Image
from gradio.processing_utils import encode_pil_to_bytes


class PathImage(gr.Image):
    """A drop zone that hands the uploaded file's path to nst_core undecoded.

    nst_core decodes with its own limits (pixels, bytes), EXIF, alpha and one clear message for
    a damaged or hostile file; Gradio's own decoder would fail first with a generic error.
    """

    is_template = True  # Gradio's template mechanism: the browser renders it as its own gr.Image

    def __init__(self, **kwargs):
        super().__init__(type="filepath", image_mode=None, sources=["upload", "clipboard"], **kwargs)

    def get_config(self, cls=None):  # describe it with gr.Image's parameters (label, elem_id, ...)
        return super().get_config(cls or gr.Image)

    def preprocess(self, payload):
        if payload is not None and payload.path and not (payload.url or "").startswith("data:"):
            return payload.path
        return super().preprocess(payload)


def _refusing_in_one_line(base: type) -> type:
    """``base`` whose bad values (NaN, a string for a number, a choice not offered, out of range) are
    refused with one line naming the control, to the page and to an API caller alike, and no
    traceback in the server's log (Gradio's own check raises with one)."""

    class Control(base):
        is_template = True  # rendered by the browser as ``base`` itself (same parameters: no get_config)

        def preprocess(self, payload):
            numeric = issubclass(base, (gr.Slider, gr.Number))
            if numeric and not (payload is None and base is gr.Number) and (
                    isinstance(payload, bool) or not isinstance(payload, (int, float))):
                raise gr.Error(f"{self.label or self.elem_id}: expected a number, got {str(payload)[:40]!r}",
                               print_exception=False)
            try:
                value = super().preprocess(payload)
            except Exception as exc:  # noqa: BLE001 - whatever Gradio's check raised: said in one line
                raise gr.Error(f"{self.label or self.elem_id}: {getattr(exc, 'message', None) or exc}"[:300],
                               print_exception=False) from None
            if isinstance(value, float) and not math.isfinite(value):
                raise gr.Error(f"{self.label or self.elem_id}: {value} is not a number this control takes",
                               print_exception=False)
            return value

    Control.__name__ = Control.__qualname__ = base.__name__
    return Control


Slider, Number, Dropdown, Radio, Checkbox = map(_refusing_in_one_line,
                                               (gr.Slider, gr.Number, gr.Dropdown, gr.Radio, gr.Checkbox))


def whole_file(image, cache_dir: str, fmt: str) -> str:
    """An image (numpy or PIL) as a file in Gradio's cache, named by its bytes and written once, whole.

    Why: Gradio writes an image it is handed to a path named by the image's bytes each time it is
    sent. The same picture sent again (the photo under the brush after each change of the mask, the
    faces outlined again) is written over the file while a browser may still be fetching it: the fetch
    breaks ("Too much data for declared Content-Length" and a traceback in the server's log). Here an
    existing file is never touched, and a new one appears under its name only complete."""
    if not isinstance(image, (np.ndarray, PIL.Image.Image)):
        return image
    im = PIL.Image.fromarray(np.asarray(image, np.uint8)) if isinstance(image, np.ndarray) else image
    data = encode_pil_to_bytes(im, fmt)  # as Gradio encodes it
    folder = Path(cache_dir) / hashlib.sha256(data).hexdigest()[:40]
    path = folder / f"image.{fmt}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        part = folder / f".{secrets.token_hex(8)}.part"
        part.write_bytes(data)
        os.replace(part, path)
    return str(path)


class Image(gr.Image):
    """gr.Image whose pictures sent to the page are written once, whole (:func:`whole_file`)."""

    is_template = True

    def postprocess(self, value):
        return super().postprocess(whole_file(value, self.GRADIO_CACHE, self.format))


class ImageEditor(gr.ImageEditor):
    """gr.ImageEditor whose photo and layers sent to the page are written once, whole (:func:`whole_file`)."""

    is_template = True

    def postprocess(self, value):
        if isinstance(value, dict):
            value = {**value, "background": whole_file(value.get("background"), self.GRADIO_CACHE, self.format),
                     "layers": [whole_file(x, self.GRADIO_CACHE, self.format) for x in value.get("layers") or []],
                     "composite": whole_file(value.get("composite"), self.GRADIO_CACHE, self.format)}
        return super().postprocess(value)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_rows() -> list[list[str]]:
    """[photo path, painting path, preset] per example pair (examples/pairs.json, written by
    tools/make_examples.py): real public-domain and CC0 pictures, each with the preset that suits it."""
    pairs = json.loads((EXAMPLES / "pairs.json").read_text())
    return [[str(EXAMPLES / p["content"]), str(EXAMPLES / p["style"]), p["preset"]] for p in pairs]
