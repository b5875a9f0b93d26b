"""Keep faces recognisable: the checkbox, and the faces it will keep, outlined on the photo before Run.

Finding faces is OpenCV's cascade on a small copy of the photo (tens of milliseconds, no TensorFlow), so
the page shows them as soon as the box is ticked or a photo dropped with it ticked.
"""
from __future__ import annotations

import gradio as gr

from nst_core import NSTError, load_image
from nst_core.imaging.faces import find_faces, outlined
from nst_core.imaging.images import fit_size, resize
from nst_core.optim.memory import trim

from .files import Files
from .knobs import KNOBS

SHOWN_SIDE = 512  # the outlined photo on the page; the run finds the faces again on the photo itself


def faces_inputs(c: dict) -> None:
    """The checkbox, the note under it and the photo with its faces outlined (shown while ticked)."""
    c["keep_faces"] = KNOBS["keep_faces"].make()
    c["faces_note"] = gr.Markdown("", visible=False, elem_id="faces_note")
    c["faces_view"] = gr.Image(label="Faces found (kept recognisable)", type="numpy", interactive=False,
                               visible=False, height=260, elem_id="faces_view")


class FaceHandlers:
    """The photo and the checkbox -> the note and the outlined photo. Takes and returns dicts by name."""

    def __init__(self, files: Files):
        self.files = files

    def faces_found(self, v: dict, request=None) -> dict:
        hidden = {"faces_note": gr.Markdown(visible=False), "faces_view": gr.Image(value=None, visible=False)}
        if not v.get("keep_faces") or v.get("content") is None:
            return hidden
        try:
            photo = load_image(self.files.take_uploads(v.get("uploads"), v["content"], remove=False)[0])
            small = resize(photo, fit_size(photo.shape[:2], SHOWN_SIDE))
        except NSTError:  # the drop zone's own check names the bad file
            return hidden
        finally:
            photo = None
            trim()  # a large photo's decoded copies go back to the system, not into the heaps for good
        faces = find_faces(small)
        if not faces:
            return {"faces_note": gr.Markdown("No face found in this photo: it is painted as usual.", visible=True),
                    "faces_view": gr.Image(value=None, visible=False)}
        note = f"{len(faces)} face{'s' if len(faces) > 1 else ''} found: the outlined parts keep their features."
        return {"faces_note": gr.Markdown(note, visible=True),
                "faces_view": gr.Image(value=outlined(small, faces), visible=True)}


def wire_faces(c: dict, files: Files, wire) -> None:
    """Ticking the box or dropping a photo with it ticked shows the faces the run will keep."""
    handler = FaceHandlers(files).faces_found
    gr.on([c["keep_faces"].change, c["content"].change],
          **wire(handler, {n: c[n] for n in ("content", "keep_faces", "uploads")},
                 {n: c[n] for n in ("faces_note", "faces_view")}),
          show_progress="hidden", concurrency_limit=1, concurrency_id="faces", api_visibility="private")
