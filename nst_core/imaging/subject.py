"""The photo's subject as a mask, in one click: OpenCV's GrabCut seeded by the faces found, a box, or
brush strokes, run at a working size, then enlarged with its edge fitted to the photo's own edges.

GrabCut (Rother et al. 2004) models the subject's and the background's colours as two Gaussian
mixtures and cuts the picture's pixel graph between them; it needs a start: which pixels are surely
background, which probably subject. A face found says where a person is: the hair above it, the
shoulders and the body below, widening to the photo's bottom edge, and background beside the head.
Strokes say where the subject surely is (or surely is not). Without a face or a hint, the subject
is what the middle of the photo holds (a photographer's framing).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..errors import ImageError
from .faces import Face, find_faces
from .images import fit_size, resize

WORK_SIDE = 320  # GrabCut runs at most this size (longer side): its time grows with the pixels
ITERATIONS = 5  # GrabCut's rounds of colour models and cut; more change a pixel or two
GUIDE_RADIUS = 0.012  # the edge is fitted to the photo within this share of its longer side
GUIDE_EPS = 1e-3  # the guided filter's smoothing: lower follows fainter edges of the photo
# A person below a face, in face widths and heights: the shoulders' line under the face's top, how
# fast the body widens below the chin, and at most how wide it is from the middle
SHOULDERS, SPREAD, BODY_HALF = 1.5, 0.3, 2.5
THREAD = 5  # px at the working size: a part of the subject thinner than this is dropped
HOLE = 0.02  # a hole in the subject smaller than this share of the photo is filled
HINT_SUBJECT, HINT_BACKGROUND, NO_HINT = 255, 0, 128
PARTS = ("subject", "background")  # what --mask and the page's buttons may name
MASK_SIDE = 1024  # a mask made for a run is at most this size: each scale resizes it anyway


class Box(NamedTuple):
    """Where the subject probably is, in the photo's pixels."""

    x: int
    y: int
    w: int
    h: int


def parse_box(text: str | None, shape: tuple[int, int]) -> Box | None:
    """A box as a visitor or an API caller gives it, "x,y,w,h" in the photo's pixels (its top left
    corner and its size; empty: no box), checked against a photo of ``shape``; ImageError if bad."""
    if text is None or not str(text).strip():
        return None
    said = str(text).strip()[:40]
    try:
        x, y, w, h = (int(part) for part in said.split(","))
    except ValueError:
        raise ImageError(f"the box is four whole numbers x,y,w,h in the photo's pixels, not {said!r}") from None
    if min(w, h) < 8 or min(x, y) < 0 or x + w > shape[1] or y + h > shape[0]:
        raise ImageError(f"the box {x},{y},{w},{h} (x,y,w,h) is not a box of at least 8 px a side inside the "
                         f"{shape[1]}x{shape[0]} photo")
    return Box(x, y, w, h)


def fit_box(box: Box, shape: tuple[int, int], to: tuple[int, int]) -> Box:
    """``box`` on a photo of ``shape`` -> the same part of it resized to ``to``, covering it whole."""
    sy, sx = to[0] / shape[0], to[1] / shape[1]
    x0, y0 = math.floor(box.x * sx), math.floor(box.y * sy)
    x1 = min(to[1], max(x0 + 1, math.ceil((box.x + box.w) * sx)))
    y1 = min(to[0], max(y0 + 1, math.ceil((box.y + box.h) * sy)))
    return Box(x0, y0, x1 - x0, y1 - y0)


def centred_box(shape: tuple[int, int]) -> Box:
    """No face and no hint: the middle of the photo, a tenth of each side left out."""
    h, w = shape[:2]
    return Box(round(w * 0.1), round(h * 0.06), round(w * 0.8), round(h * 0.88))


def hint_box(hints: np.ndarray) -> Box | None:
    """Around the strokes marked subject: a stroke marks part of the subject, not its outline, so
    their bounding box grown by its own size or a fifth of the photo, whichever is more."""
    ys, xs = np.nonzero(hints == HINT_SUBJECT)
    if not len(xs):
        return None
    h, w = hints.shape
    grow = 0.2 * max(h, w)
    gx, gy = max(grow, xs.max() - xs.min() + 1), max(grow, ys.max() - ys.min() + 1)
    x0, x1 = max(0, int(xs.min() - gx)), min(w, int(xs.max() + gx) + 1)
    y0, y1 = max(0, int(ys.min() - gy)), min(h, int(ys.max() + gy) + 1)
    return Box(x0, y0, x1 - x0, y1 - y0)


def _person(labels: np.ndarray, f, inner: int, outer: int) -> None:
    """Label a person around face ``f`` (at the working size): ``inner`` inside the head and a body
    that widens below it, ``outer`` (surely background) beyond a wider margin of the same shape."""
    h, w = labels.shape
    fx, fy, fw, fh = f
    cx = fx + fw / 2
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    below = np.maximum(0, ys - (fy + fh)) / fh  # face heights under the chin
    body = ys >= fy + fh
    # the person: the head (hair included), the body from the chin, widening like shoulders and arms
    head = ((xs - cx) / (0.75 * fw)) ** 2 + ((ys - (fy + 0.45 * fh)) / (0.95 * fh)) ** 2 <= 1
    torso = body & (np.abs(xs - cx) <= fw * np.minimum(BODY_HALF, 0.9 + SPREAD * 2 * below))
    labels[head | torso] = inner
    # surely not the person: above the hair, beside the head, and well outside the shoulders
    beside = (ys < fy + SHOULDERS * fh) & (np.abs(xs - cx) > 1.0 * fw)
    wide = body & (np.abs(xs - cx) > fw * (1.6 + SPREAD * 3 * below))
    labels[(ys < fy - 0.8 * fh) | beside | wide] = outer


def _start(shape: tuple[int, int], box: Box | None, faces: list[Face], scale: float, soft: bool) -> np.ndarray:
    """GrabCut's start at the working size: where a face says a person is, probably the subject,
    with sure background around it and the face's middle and the chest below surely the person;
    inside a box, probably the subject, outside it surely not (or, ``soft``, probably not: the
    box was guessed around strokes)."""
    import cv2

    h, w = shape
    labels = np.full(shape, cv2.GC_PR_BGD if faces or soft else cv2.GC_BGD, np.uint8)
    if box is not None:
        x0, y0 = round(box.x * scale), round(box.y * scale)
        labels[y0:y0 + max(1, round(box.h * scale)), x0:x0 + max(1, round(box.w * scale))] = cv2.GC_PR_FGD
    for f in faces:
        _person(labels, [v * scale for v in f], cv2.GC_PR_FGD, cv2.GC_BGD)
    for f in faces:
        fx, fy, fw, fh = (v * scale for v in f)
        cx, cy = round(fx + fw / 2), round(fy + fh / 2)
        cv2.ellipse(labels, (cx, cy), (max(1, round(fw * 0.3)), max(1, round(fh * 0.4))), 0, 0, 360,
                    int(cv2.GC_FGD), -1)
        chest = slice(round(fy + 1.2 * fh), round(fy + 2.5 * fh))
        labels[chest, max(0, round(cx - 0.4 * fw)):round(cx + 0.4 * fw)] = cv2.GC_FGD
    return labels


def _guided(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter (grey guide): ``src`` smoothed, its edges moved onto the guide's."""
    import cv2

    def mean(a):
        return cv2.boxFilter(a, -1, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)

    mi, ms = mean(guide), mean(src)
    var, cov = mean(guide * guide) - mi * mi, mean(guide * src) - mi * ms
    a = cov / (var + eps)
    b = ms - a * mi
    return mean(a) * guide + mean(b)


def _largest_parts(fg: np.ndarray, keep: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The cut's pieces that matter: any piece holding a sure-subject pixel (``keep``), and the
    largest; specks of background that matched the subject's colours go, and small holes inside the
    subject (a name tag, a reflection) are filled, unless marked surely background (``out``)."""
    import cv2

    n, parts, stats, _ = cv2.connectedComponentsWithStats((~fg).astype(np.uint8), connectivity=4)
    on_edge = set(np.unique(np.concatenate([parts[0], parts[-1], parts[:, 0], parts[:, -1], parts[out]])).tolist())
    small = [i for i in range(1, n) if i not in on_edge and stats[i, cv2.CC_STAT_AREA] < HOLE * fg.size]
    fg = fg | np.isin(parts, small)

    n, parts, stats, _ = cv2.connectedComponentsWithStats(fg.astype(np.uint8), connectivity=8)
    if n <= 2:
        return fg
    areas = stats[1:, cv2.CC_STAT_AREA]
    wanted = {1 + int(np.argmax(areas))} | {1 + i for i, a in enumerate(areas) if a >= 0.15 * areas.max()}
    wanted |= set(np.unique(parts[keep & (parts > 0)]).tolist())
    return np.isin(parts, list(wanted))


def subject_mask(rgb: np.ndarray, hints: np.ndarray | None = None, box: Box | None = None,
                 prior: np.ndarray | None = None, faces: list[Face] | None = None) -> np.ndarray:
    """uint8 [H, W, 3] photo -> uint8 [H, W] mask, 255 = the subject.

    ``hints`` (uint8 [H, W]): 255 surely the subject, 0 surely background, 128 no hint (brush strokes).
    ``box``: where the subject is (a box dragged); ``prior``: a mask (255 = subject) to start from
    instead, as when the visitor corrects an earlier one. Without a box the faces found (``faces``,
    else looked for) and the subject strokes say where it is; without any, the middle of the photo.
    """
    import cv2

    if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 8:
        raise ImageError("the subject is found in a colour photo at least 8 px on each side")
    h, w = rgb.shape[:2]
    for name, a in (("hints", hints), ("prior", prior)):
        if a is not None and a.shape[:2] != (h, w):
            raise ImageError(f"the {name} are {a.shape[1]}x{a.shape[0]} but the photo is {w}x{h}")
    faces = find_faces(rgb) if faces is None and box is None else (faces or [])
    # the people in the photo, not a face on a poster behind them
    faces = faces[:1] + [f for f in faces[1:] if f.w * f.h >= 0.3 * faces[0].w * faces[0].h]
    soft = box is None and hints is not None and (hints == HINT_SUBJECT).any()
    if box is None:
        box = None if hints is None else hint_box(hints)
    if box is None and not faces:
        box = centred_box((h, w))

    scale = min(1.0, WORK_SIDE / max(h, w))
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA) if scale < 1 else rgb.copy()
    labels = _start(small.shape[:2], box, faces, small.shape[1] / w, soft)
    if prior is not None:
        p = cv2.resize(prior, size, interpolation=cv2.INTER_AREA) if scale < 1 else prior
        labels = np.where(p > 127, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
    if hints is not None:
        hs = cv2.resize(hints, size, interpolation=cv2.INTER_NEAREST) if scale < 1 else hints
        labels[hs == HINT_SUBJECT], labels[hs == HINT_BACKGROUND] = cv2.GC_FGD, cv2.GC_BGD
    sure, out = labels == cv2.GC_FGD, labels == cv2.GC_BGD
    if not (labels % 2 == 1).any() or (labels % 2 == 1).all():  # nothing or everything might be the subject
        return np.full((h, w), 255 if (labels % 2 == 1).all() else 0, np.uint8)

    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)  # GrabCut's k-means start: the same photo gives the same mask
    cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), labels, None, bgd, fgd, ITERATIONS, cv2.GC_INIT_WITH_MASK)
    fg = (labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)
    # threads a few pixels wide (a flag's cord, a pole touching the hair) are cut off the subject
    thin = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (THREAD, THREAD))
    fg = (cv2.morphologyEx(fg.astype(np.uint8), cv2.MORPH_OPEN, thin) > 0) | sure
    fg = _largest_parts(fg, sure, out)
    # Enlarged, then the edge fitted to the photo's: the cut was made on a coarser grid
    soft = cv2.resize(fg.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255
    radius = max(2, round(GUIDE_RADIUS * max(h, w)))
    fitted = _guided(grey, soft, radius, GUIDE_EPS)
    return np.where(fitted > 0.5, 255, 0).astype(np.uint8)


def part_mask(rgb: np.ndarray, part: str, box: Box | None = None) -> np.ndarray:
    """The run's mask for ``part``: "subject" (white on the subject) or "background" (its inverse),
    uint8 at the photo's shape fitted to MASK_SIDE; ``box`` (the photo's pixels): where the subject is."""
    if part not in PARTS:
        raise ImageError(f"the mask can be made for {' or '.join(PARTS)}, not {part!r}")
    small = resize(rgb, fit_size(rgb.shape[:2], MASK_SIDE)) if max(rgb.shape[:2]) > MASK_SIDE else rgb
    mask = subject_mask(small, box=None if box is None else fit_box(box, rgb.shape[:2], small.shape[:2]))
    return mask if part == "subject" else 255 - mask


def edits_as_hints(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """What a visitor changed in a subject mask (uint8, 255 = subject), as hints for the next cut:
    255 where they added to the subject, 0 where they took from it, 128 where they left it."""
    hints = np.full(before.shape, NO_HINT, np.uint8)
    hints[(after > 127) & (before <= 127)] = HINT_SUBJECT
    hints[(after <= 127) & (before > 127)] = HINT_BACKGROUND
    return hints


def iou(a: np.ndarray, b: np.ndarray) -> float:
    """Two masks' overlap: |a and b| / |a or b|, each taken as > 127."""
    a, b = a > 127, b > 127
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0
