"""Optical flow for video: DIS flow, backward warping, occlusion masks and the temporal blend. Pure functions.

Flows are float32 [H, W, 2] (dx, dy) in pixels. ``flow(a, b)`` gives, for each pixel x of ``a``, where
it is in ``b``: x + flow(a, b)[x]. So ``warp(b, flow(a, b))`` is ``b`` brought into ``a``'s frame.
OpenCV is imported on first use, so importing nst_core stays cheap.
"""
from __future__ import annotations

import functools

import numpy as np

#: The blend's weight on the warped previous result where the flow is reliable. On both benchmark clips
#: 0.6 cut the warping error to 0.37-0.41x the per-frame one with the style figures within 10 %; 0.7 cut
#: it to 0.27-0.32x but blurred the strokes (texture figure 12 % worse), 0.5 only just halved it.
DEFAULT_SMOOTHING = 0.6
#: The flow is estimated on frames at most this many pixels on the longer side, then scaled up: DIS's
#: 'medium' preset took 90-150 ms a pair at 854x480 (two pairs per frame: more than the model) and
#: 20-40 ms at 480x270, at an end-point error of 0.2-0.4 px instead of 0.1 on the benchmark's motions.
FLOW_SIDE = 480


def _cv2():
    import cv2

    return cv2


def gray(image: np.ndarray) -> np.ndarray:
    """uint8 H x W x 3 RGB -> uint8 H x W luminance, what DIS works on."""
    cv2 = _cv2()
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)


def dis_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow from grey frame ``a`` to grey frame ``b`` by DIS (Kroeger et al. 2016), OpenCV's
    'medium' preset: a few ms at 256 px, tens at 480p. A new estimator per call: it is cheap to make
    and holds state, so none is shared between threads or visitors."""
    cv2 = _cv2()
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    return dis.calc(a, b, None)


@functools.lru_cache(maxsize=8)
def _grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (ys, xs), float32, read-only: made once per frame size, not once per frame."""
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ys.setflags(write=False)
    xs.setflags(write=False)
    return ys, xs


def warp(image: np.ndarray, flow: np.ndarray, cubic: bool = False) -> np.ndarray:
    """Sample ``image`` at x + flow[x] (bilinear, or bicubic; the border pixel repeats outside), as float32."""
    cv2 = _cv2()
    ys, xs = _grid(*flow.shape[:2])
    return cv2.remap(np.asarray(image, np.float32), xs + flow[..., 0], ys + flow[..., 1],
                     cv2.INTER_CUBIC if cubic else cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def occlusion_mask(back: np.ndarray, fwd: np.ndarray) -> np.ndarray:
    """float32 H x W in {0, 1}: 1 where frame t's pixel is seen in frame t-1 too, by forward-backward
    consistency (Ruder et al. 2016, eq. 3-4). ``back`` = flow(t, t-1), ``fwd`` = flow(t-1, t).

    A pixel is dropped when following ``back`` then ``fwd`` does not come home (it was hidden in t-1:
    disocclusion), when it lands outside the frame, or on a motion boundary (the flow is unreliable there)."""
    h, w = back.shape[:2]
    ys, xs = _grid(h, w)
    # Per component, not np.sum(..., -1): a sum over a last axis of 2 took 5x as long (50 ms a frame at 480x270)
    u, v = back[..., 0], back[..., 1]
    fwd_there = warp(fwd, back)
    fu, fv = fwd_there[..., 0], fwd_there[..., 1]
    du, dv, back_sq = u + fu, v + fv, u * u + v * v
    consistent = du * du + dv * dv <= 0.01 * (back_sq + fu * fu + fv * fv) + 0.5
    gy_u, gx_u = np.gradient(u)
    gy_v, gx_v = np.gradient(v)
    boundary = gx_u ** 2 + gy_u ** 2 + gx_v ** 2 + gy_v ** 2 > 0.01 * back_sq + 0.002
    x, y = xs + u, ys + v
    inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    return (consistent & ~boundary & inside).astype(np.float32)


def blend(current: np.ndarray, warped_prev: np.ndarray, mask: np.ndarray,
          smoothing: float = DEFAULT_SMOOTHING) -> np.ndarray:
    """float32 H x W x 3: ``smoothing`` of the warped previous result and the rest of this frame's,
    where ``mask`` is 1; this frame's alone where it is 0 (newly seen parts get the fresh picture).
    The mask is softened over a few pixels so the edge of a disocclusion leaves no seam."""
    cv2 = _cv2()
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 1.5)[..., None] if smoothing else 0.0
    a = smoothing * soft
    return a * warped_prev + (1.0 - a) * np.asarray(current, np.float32)


class TemporalSmoother:
    """Carries one clip's (or one webcam session's) previous input and result from frame to frame:
    ``smooth(frame, stylised)`` returns the blended result. Belongs to its caller, never shared."""

    def __init__(self, smoothing: float = DEFAULT_SMOOTHING):
        if not 0.0 <= smoothing < 1.0:
            from ..errors import SettingsError

            raise SettingsError(f"smoothing must be from 0 to below 1, got {smoothing!r}")
        self.smoothing = smoothing
        self.prev_gray: np.ndarray | None = None
        self.prev_out: np.ndarray | None = None  # float32: no rounding piles up from frame to frame

    def smooth(self, frame: np.ndarray, stylised: np.ndarray) -> np.ndarray:
        """uint8 input frame and its per-frame stylisation (same size) -> uint8 smoothed result."""
        return self.keep(self.blended(stylised, *self.warped_previous(frame, need=self.smoothing > 0)))

    def blended(self, stylised: np.ndarray, warped: np.ndarray | None, mask: np.ndarray | None) -> np.ndarray:
        """float32: ``stylised`` blended with the warped previous result (itself where there is none)."""
        if warped is None or self.smoothing == 0:
            return np.asarray(stylised, np.float32)
        return blend(stylised, warped, mask, self.smoothing)

    def warped_previous(self, frame: np.ndarray, need: bool = True):
        """(the previous result warped into ``frame``, float32 H x W x 3; where that is reliable, float32
        H x W in 0..1), or (None, None) at a clip's first frame, after a size change or when not
        ``need``ed (no flow is estimated then). Takes ``frame`` as the one the next call compares with."""
        g = _fit(gray(frame), FLOW_SIDE)
        prev, self.prev_gray = self.prev_gray, g
        if not need or prev is None or prev.shape != g.shape or self.prev_out is None:
            return None, None
        back, fwd = dis_flow(g, prev), dis_flow(prev, g)
        mask = occlusion_mask(back, fwd)
        if g.shape != frame.shape[:2]:  # estimated smaller: scale the flow (and its vectors) up
            cv2, (h, w) = _cv2(), frame.shape[:2]
            back = cv2.resize(back, (w, h), interpolation=cv2.INTER_LINEAR) * np.float32([w / g.shape[1], h / g.shape[0]])
            mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
        # Bicubic: the result is warped again every frame, and bilinear's blur piled up in the strokes
        # (texture figure 1.087x per-frame's against 1.055x bicubic, same warping error, pan clip, 0.55).
        return np.clip(warp(self.prev_out, back, cubic=True), 0, 255), mask  # no ringing carried on

    def keep(self, out: np.ndarray) -> np.ndarray:
        """Remember ``out`` (float) as this frame's result, for the next frame; returns it as uint8."""
        self.prev_out = np.asarray(out, np.float32)  # float32: no rounding piles up from frame to frame
        return np.clip(self.prev_out + 0.5, 0, 255).astype(np.uint8)


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` with its longer side at most ``side`` (area-averaged), else as it is."""
    h, w = image.shape[:2]
    if max(h, w) <= side:
        return image
    cv2, k = _cv2(), side / max(h, w)
    return cv2.resize(image, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
