"""Style the subject / Style the background: the photo's subject found (nst_core.imaging.subject) and
put in the brush editor and the Mask box, to edit before Run, as a painted mask is.

Strokes guide it: painted before the first click they mark the subject; painted or erased after it,
they correct it, and the next click cuts again from there. The last mask made is kept per visitor
(``subject_state``) so a correction is read as what changed since. A box dragged over the content
photo (ui/page.py's script puts it in ``subject_box`` as "x,y,w,h" in the photo's pixels) says where
the subject is instead of the faces found; a new box starts the cut afresh inside it, the
corrections painted since the last one kept.
"""
from __future__ import annotations

import hashlib

import gradio as gr
import numpy as np

from nst_core import NSTError, load_image
from nst_core.imaging.subject import (HINT_SUBJECT, NO_HINT, PARTS, Box, edits_as_hints, fit_box, parse_box,
                                      part_mask, subject_mask)
from nst_core.optim.memory import trim

from .handlers import refusal, wire
from .masks import MaskHandlers, editor_value, save_mask
from .page import CLEAR_BOX, DRAG_BOX, SHOW_BOX

NO_PHOTO = "Drop a photo first: its subject is found in it."
FLIPPED = 0.9  # a mask this much unlike the last one made is that one inverted (the Invert button)


def _key(photo: np.ndarray) -> str:
    """Which photo a kept mask belongs to: a new photo starts afresh."""
    return hashlib.sha1(np.ascontiguousarray(photo[::8, ::8]).tobytes()).hexdigest() + str(photo.shape)


def _edge(mask: np.ndarray) -> np.ndarray:
    """The pixels at the mask's edge, a pixel either side: where showing it on the editor's canvas and
    reading it back (resized twice) may move it, which is no correction of the visitor's."""
    inside = np.pad(mask > 127, 1, mode="edge")
    h, w = mask.shape
    shifts = [inside[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)]
    return np.logical_or.reduce(shifts) & ~np.logical_and.reduce(shifts)


class SubjectHandlers(MaskHandlers):
    """The mask handlers and the two buttons, with the API's /subject_mask."""

    def _photo(self, v: dict) -> tuple[np.ndarray, Box | None]:
        """(the photo the subject is cut from, the box dragged over it in its pixels or None): the dropped
        file fitted as the editor's (MASK_CANVAS), but not enlarged as the editor shows a small one:
        GrabCut tells colours apart on the photo's own pixels, and an enlarged photo's smoothed ones let
        a correction's stroke grow less."""
        if v.get("content") is None:
            raise refusal(NO_PHOTO)
        try:
            photo, shape = self._photo_file(v)
            box = parse_box(v.get("box"), shape)  # the page's and the API's: the dropped file's own pixels
        except NSTError as exc:
            raise refusal(str(exc)) from None
        return photo, None if box is None else fit_box(box, shape, photo.shape[:2])

    @staticmethod
    def _guide(photo: np.ndarray, painted: np.ndarray | None, kept: dict | None, box: Box | None):
        """(the mask to start from or None, the hints or None) from the strokes, the last mask made and
        the box it was made with: another box than that one starts afresh, the corrections kept."""
        if kept and kept.get("key") == _key(photo) and painted is not None:
            now = painted if kept["part"] == "subject" else 255 - painted
            if np.mean((now > 127) != (kept["subject"] > 127)) > FLIPPED:  # Invert was pressed since
                now = 255 - now
            edits = edits_as_hints(kept["subject"], now)
            edits[_edge(kept["subject"])] = NO_HINT
            return kept["subject"] if kept.get("box") == box else None, edits
        strokes = None if painted is None else np.where(painted > 127, HINT_SUBJECT, NO_HINT).astype(np.uint8)
        return None, strokes

    def _made(self, v: dict, request, part: str) -> dict:
        photo, box = self._photo(v)
        painted = self._painted(v, photo.shape[:2])
        prior, hints = self._guide(photo, painted, v.get("subject_state"), box)
        try:
            unchanged = prior is not None and not (hints != NO_HINT).any()
            subject = prior if unchanged else subject_mask(photo, hints=hints, box=box, prior=prior)
        except NSTError as exc:
            raise refusal(str(exc)) from None
        finally:
            trim()
        shown = subject if part == "subject" else 255 - subject
        return {"mask_editor": editor_value(photo, shown),
                "mask": save_mask(self.files, shown, request),
                "subject_state": {"subject": subject, "part": part, "key": _key(photo),
                                  "box": None if box is None else tuple(box)}}

    def subject(self, v: dict, request=None) -> dict:
        """The style on the subject, the background left as the photo (or the second style)."""
        return self._made(v, request, "subject")

    def background(self, v: dict, request=None) -> dict:
        """The style on the background, the subject left as the photo (or the second style)."""
        return self._made(v, request, "background")

    def api_mask(self, v: dict, request=None) -> dict:
        """/subject_mask: the photo's subject (or background) as a mask file for /stylize's ``mask``;
        ``box`` ("x,y,w,h" in the photo's pixels, optional): where the subject is."""
        if v.get("content") is None:
            raise refusal(NO_PHOTO)
        try:
            photo = load_image(self.files.take_uploads(v.get("uploads"), v["content"], remove=False)[0])
            mask = part_mask(photo, v.get("part") or "subject", parse_box(v.get("box"), photo.shape[:2]))
        except NSTError as exc:
            raise refusal(str(exc)) from None
        finally:
            trim()
        return {"mask": save_mask(self.files, mask, request)}


def _no_box() -> str:
    return ""


def subject_buttons(c: dict) -> None:
    """The two buttons and what they do, said where they are, and the box dragged over the photo."""
    gr.Markdown("**Style the subject** or **the background**: the subject is found in the photo (a person "
                "from their face, else what the middle of the photo holds) and painted here, to edit. To say "
                "where it is, drag a box around it over the content photo above. To guide it, paint roughly "
                "over the subject first; to correct it, paint over what it missed or erase what it took, and "
                "press the button again.")
    with gr.Row():
        c["subject_btn"] = gr.Button("Style the subject", size="sm", elem_id="style_subject")
        c["background_btn"] = gr.Button("Style the background", size="sm", elem_id="style_background")
        c["box_clear"] = gr.Button("Clear box", size="sm", min_width=80, scale=0, elem_id="box_clear")
    # the box as the drag's script leaves it: rendered (the script types into it) but hidden by CSS
    c["subject_box"] = gr.Textbox("", label="box: x,y,w,h in the photo's pixels", max_lines=1, elem_id="subject_box")
    c["subject_state"] = gr.State(None)  # the last mask made, to read corrections against
    c["subject_part"] = gr.Radio(list(PARTS), value="subject", visible=False, label="part")  # the API's choice
    c["subject_api"] = gr.Button(visible=False)


def wire_subject(c: dict, m: SubjectHandlers) -> None:
    """The buttons in the mask events' own line (after any stroke sent before them); /subject_mask; the
    box drawn where it is dragged, forgotten with the photo, or by Clear box (in the browser alone)."""
    def pick(*names):
        return {n: c[n] for n in names}

    in_order = {"concurrency_limit": 1, "concurrency_id": "mask", "api_visibility": "private"}
    for button, handler in (("subject_btn", m.subject), ("background_btn", m.background)):
        c[button].click(**wire(handler, {**pick("content", "mask_editor", "subject_state", "uploads"),
                                         "box": c["subject_box"]},
                               pick("mask_editor", "mask", "subject_state")), **in_order)
    c["subject_api"].click(**wire(m.api_mask, {"content": c["content"], "part": c["subject_part"],
                                               "box": c["subject_box"], "uploads": c["uploads"]}, pick("mask")),
                           api_name="subject_mask", concurrency_limit=1, concurrency_id="mask")
    gr.on(None, None, js=DRAG_BOX)  # on the page's load: the box follows the mouse over the photo
    c["subject_box"].change(None, c["subject_box"], None, js=SHOW_BOX)
    c["box_clear"].click(None, None, c["subject_box"], js=CLEAR_BOX)
    # a new photo: no box (a box is of one photo's pixels)
    c["content"].change(_no_box, None, c["subject_box"], queue=False, show_progress="hidden",
                        api_visibility="private")
