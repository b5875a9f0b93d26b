"""The app's own components: a drop zone that hands nst_core the file undecoded, and the examples."""
from __future__ import annotations

import os
import tempfile

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


def example_files() -> list[list[str]]:
    """The made-in-code example pairs as PNG files (gr.Examples wants paths)."""
    from PIL import Image

    from nst_core.examples import EXAMPLE_PAIRS

    folder = tempfile.mkdtemp(prefix="nst-examples-")
    rows = []
    for i, (make_content, make_style) in enumerate(EXAMPLE_PAIRS.values()):
        row = []
        for kind, make in (("content", make_content), ("style", make_style)):
            path = os.path.join(folder, f"{i}-{kind}-{make.__name__}.png")
            Image.fromarray(make()).save(path)
            row.append(path)
        rows.append(row)
    return rows
