"""Faces in a photo, found by OpenCV's bundled Haar cascade, and a feathered mask over them.

Offline and cheap (a fraction of a second on two cores): the cascade's XML ships inside the OpenCV wheel.
The 'alt2' frontal cascade is used: on the project's photos and paintings it found every frontal
face and, unlike 'default', none in Tübingen's windows or The Starry Night's sky.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

DETECT_SIDE = 640  # faces are looked for at most this size (longer side): the cascade's cost grows with area
MIN_FACE = 0.06  # a face smaller than this share of the shorter side is left alone: too few pixels to keep
CASCADE = "haarcascade_frontalface_alt2.xml"


class Face(NamedTuple):
    """A face's box in the photo's pixels."""

    x: int
    y: int
    w: int
    h: int


@functools.cache
def _cascade():
    import cv2

    c = cv2.CascadeClassifier(cv2.data.haarcascades + CASCADE)
    if c.empty():  # OpenCV 5 wheels no longer carry the cascades: requirements pin 4.x
        raise RuntimeError(f"OpenCV's {CASCADE} is missing: install opencv-python-headless<5")
    return c


def find_faces(rgb: np.ndarray) -> list[Face]:
    """uint8 [H, W, 3] -> the frontal faces found, largest first."""
    import cv2

    h, w = rgb.shape[:2]
    scale = min(1.0, DETECT_SIDE / max(h, w))
    grey = np.asarray(Image.fromarray(rgb).convert("L"))
    if scale < 1:
        grey = cv2.resize(grey, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    grey = cv2.equalizeHist(grey)  # a dim or washed-out portrait is found as a well-lit one
    side = max(20, round(MIN_FACE * min(grey.shape)))
    found = _cascade().detectMultiScale(grey, scaleFactor=1.1, minNeighbors=4, minSize=(side, side))
    faces = [Face(*(round(v / scale) for v in box)) for box in (found if len(found) else [])]
    return sorted(faces, key=lambda f: -f.w * f.h)


def face_mask(shape: tuple[int, int], faces: list[Face], feather: float = 0.25) -> np.ndarray:
    """float32 [H, W] in 0..1: an ellipse over each face (the box grown to take in the chin and the
    hairline), its edge blurred by ``feather`` x the face's width so the weight fades into the picture."""
    h, w = shape[:2]
    im = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(im)
    for f in faces:
        cx, cy = f.x + f.w / 2, f.y + f.h * 0.55
        rx, ry = f.w * 0.55, f.h * 0.70
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    if faces and feather > 0:
        im = im.filter(ImageFilter.GaussianBlur(feather * max(f.w for f in faces) / 2))
    return np.asarray(im, np.float32) / 255.0


def outlined(rgb: np.ndarray, faces: list[Face]) -> np.ndarray:
    """The photo with each face found outlined, for the page to show before a run."""
    im = Image.fromarray(rgb).convert("RGB")
    draw = ImageDraw.Draw(im)
    width = max(2, round(max(rgb.shape[:2]) / 200))
    for f in faces:
        cx, cy = f.x + f.w / 2, f.y + f.h * 0.55
        rx, ry = f.w * 0.55, f.h * 0.70
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), outline=(255, 214, 0), width=width)
    return np.asarray(im)
