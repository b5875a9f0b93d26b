"""Clips with known motion, made from still photos, for the video tests and benchmarks/video.py.

Each maker returns (frames, flows, masks): uint8 frames, and for t >= 1 the true backward flow
flow(t, t-1) (float32 [H, W, 2]) and where frame t's pixel is seen in frame t-1 (bool [H, W]), so
the estimated flow and the temporal error can both be checked against the truth.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np


def _affine(image: np.ndarray, scale: float, ox: float, oy: float, size: tuple[int, int]) -> np.ndarray:
    """Frame pixel (x, y) shows image point (scale * x + ox, scale * y + oy), bilinear."""
    import cv2

    m = np.float32([[scale, 0, ox], [0, scale, oy]])
    return cv2.warpAffine(image, m, (size[1], size[0]), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REFLECT)


def pan_zoom(photo: np.ndarray, size: tuple[int, int], frames: int, zoom: float = 0.85, pan: float = 0.25):
    """A slow camera pan (``pan`` of the photo's width, left to right) and zoom in (the view
    shrinks to ``zoom`` of its first size) across ``photo``, as ``frames`` frames of ``size`` (h, w)."""
    h, w = size
    ph, pw = photo.shape[:2]
    s0 = min(ph / h, (1 - pan) * pw / w)  # the first view fits the photo with room to pan
    views = []
    for t in range(frames):
        a = t / max(1, frames - 1)
        s = s0 * (1 - (1 - zoom) * a)
        cx = (w * s0 / 2) + a * pan * pw  # the view's centre in photo pixels
        views.append((s, cx - w * s / 2, ph / 2 - h * s / 2))
    out = [_affine(photo, *v, size) for v in views]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    flows, masks = [None], [None]
    for (s1, ox1, oy1), (s0_, ox0, oy0) in zip(views[1:], views[:-1]):
        px, py = s1 * xs + ox1, s1 * ys + oy1  # the photo point frame t shows ...
        x0, y0 = (px - ox0) / s0_, (py - oy0) / s0_  # ... where frame t-1 showed it
        flows.append(np.stack([x0 - xs, y0 - ys], -1).astype(np.float32))
        masks.append((x0 >= 0) & (x0 <= w - 1) & (y0 >= 0) & (y0 <= h - 1))
    return out, flows, masks


def moving_patch(background: np.ndarray, patch: np.ndarray, size: tuple[int, int], frames: int,
                 velocity: tuple[float, float] = (4.0, 1.5), pan: float = 1.0):
    """``patch`` (a second photo, pasted as a rectangle of a third of the frame's height) crossing
    ``background`` at ``velocity`` px per frame while the camera pans ``pan`` px per frame to the right."""
    import cv2

    h, w = size
    bw = w + int(abs(pan) * frames) + 2  # room for the camera's pan
    bh_src = min(background.shape[0], round(background.shape[1] * h / bw))  # crop to the strip's shape: no squash
    top = (background.shape[0] - bh_src) // 2
    bg = cv2.resize(background[top:top + bh_src], (bw, h), interpolation=cv2.INTER_AREA)
    ph = h // 3
    pw = round(ph * patch.shape[1] / patch.shape[0])
    small = cv2.resize(patch, (pw, ph), interpolation=cv2.INTER_AREA)
    vx, vy = velocity
    q0 = (w * 0.1, h * 0.2)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    out, flows, masks, covered = [], [None], [None], []
    for t in range(frames):
        qx, qy = q0[0] + vx * t, q0[1] + vy * t
        frame = _affine(bg, 1.0, pan * t, 0.0, size).astype(np.float32)
        ones = np.ones(small.shape[:2], np.float32)
        m = np.float32([[1, 0, qx], [0, 1, qy]])  # patch -> frame
        fg = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_LINEAR).astype(np.float32)
        alpha = cv2.warpAffine(ones, m, (w, h), flags=cv2.INTER_LINEAR)[..., None]
        out.append(np.clip(alpha * fg + (1 - alpha) * frame + 0.5, 0, 255).astype(np.uint8))
        covered.append(alpha[..., 0] > 0.01)
        if t:
            inside = alpha[..., 0] > 0.99
            flow = np.where(inside[..., None], np.float32([-vx, -vy]), np.float32([pan, 0]))
            x0, y0 = xs + flow[..., 0], ys + flow[..., 1]
            seen = (x0 >= 0) & (x0 <= w - 1) & (y0 >= 0) & (y0 <= h - 1)
            prev_cover = covered[t - 1][np.clip(y0.round().astype(int), 0, h - 1), np.clip(x0.round().astype(int), 0, w - 1)]
            edge = (alpha[..., 0] > 0.01) & ~inside  # the patch's blended rim belongs to neither motion
            masks.append(seen & ~edge & (inside | ~prev_cover))
            flows.append(flow.astype(np.float32))
    return out, flows, masks


def write_clip(path: str | Path, frames: list[np.ndarray], fps: int = 24, audio: bool = True) -> Path:
    """Write frames (uint8 RGB) as a clip; the container and codecs follow the suffix (.mp4 H.264 +
    AAC, .webm VP9 + Opus, .mov MPEG-4 + PCM, .gif), with a 440 Hz tone as its sound."""
    import av

    path = Path(path)
    kind = path.suffix.lower()
    video_codec, audio_codec, pix = {".mp4": ("libx264", "aac", "yuv420p"), ".webm": ("libvpx-vp9", "libopus", "yuv420p"),
                                     ".mov": ("mpeg4", "pcm_s16le", "yuv420p"), ".gif": ("gif", None, "rgb8")}[kind]
    with av.open(str(path), "w") as out:
        v = out.add_stream(video_codec, rate=Fraction(fps))
        v.height, v.width = frames[0].shape[:2]
        v.pix_fmt = pix
        if video_codec == "libx264":
            v.options = {"crf": "12", "preset": "veryfast"}
        a = out.add_stream(audio_codec, rate=48000) if audio and audio_codec else None
        for i, image in enumerate(frames):
            f = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            f.pts, f.time_base = i, Fraction(1, fps)
            for p in v.encode(f):
                out.mux(p)
        for p in v.encode():
            out.mux(p)
        if a is not None:
            n = round(48000 * len(frames) / fps)
            tone = (0.2 * np.sin(2 * np.pi * 440 * np.arange(n) / 48000)).astype(np.float32)
            for start in range(0, n, 960):
                chunk = tone[start:start + 960]
                af = av.AudioFrame.from_ndarray(np.stack([chunk, chunk], -1).reshape(1, -1), format="flt",
                                                layout="stereo")
                af.sample_rate, af.pts = 48000, start
                for p in a.encode(af):
                    out.mux(p)
            for p in a.encode():
                out.mux(p)
    return path
