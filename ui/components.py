"""The app's own components: a drop zone that hands nst_core the file undecoded, and the examples."""
from __future__ import annotations

import json
from pathlib import Path

import gradio as gr


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


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def example_rows() -> list[list[str]]:
    """[photo path, painting path, preset] per example pair (examples/pairs.json, written by
    tools/make_examples.py): real public-domain and CC0 pictures, each with the preset that suits it."""
    pairs = json.loads((EXAMPLES / "pairs.json").read_text())
    return [[str(EXAMPLES / p["content"]), str(EXAMPLES / p["style"]), p["preset"]] for p in pairs]
