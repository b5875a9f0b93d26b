"""Reading and writing clips with PyAV: open with limits and one plain message per failure, H.264 out, audio kept.

PyAV (FFmpeg's libraries, in its wheel: libx264 included) is imported on first use.
"""
from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..errors import VideoError
from ..settings import Limits

#: Audio codecs the MP4 muxer takes as they are; others (Vorbis from a WebM, PCM from a MOV) become AAC.
MP4_AUDIO = {"aac", "mp3", "alac", "ac3", "eac3", "opus", "flac"}
#: Still-image demuxers: FFmpeg opens a JPEG or PNG as a one-frame "video"; such a file is refused here.
STILL_FORMATS = ("image2", "_pipe")
H264_ENCODERS = ("libx264", "h264")  # PyAV's wheels ship libx264; "h264" is whatever H.264 encoder a build has


@dataclass(frozen=True)
class ClipInfo:
    """What the container says about a clip (checked against the limits before any frame is decoded)."""

    width: int
    height: int
    fps: Fraction
    frames: int  # the container's count, else estimated from the duration
    duration_s: float
    has_audio: bool


def _av():
    import av

    return av


def open_clip(path: str | os.PathLike, limits: Limits | None = None, what: str = "video"):
    """(container, ClipInfo) for a clip file, or VideoError with the reason and what to do."""
    limits, path = limits or Limits(), Path(path)
    what = f"{what} {path.name}"
    if not path.is_file():
        raise VideoError(f"{what} not found (check the path)")
    size = path.stat().st_size
    if size == 0:
        raise VideoError(f"{what} is an empty file: choose the clip again")
    if size > limits.max_video_bytes:
        raise VideoError(f"{what} is {size / 1e6:.0f} MB; the limit is {limits.max_video_bytes / 1e6:.0f} MB "
                         f"(NST_MAX_VIDEO_MB): use a shorter or smaller clip")
    av = _av()
    try:
        container = av.open(str(path), "r")
    except av.EOFError:  # the container's header, then nothing (a recording that never got a frame)
        raise VideoError(f"{what} has no frames: it ends before its first picture; record or export it again") from None
    except (av.FFmpegError, UnicodeDecodeError, ValueError):
        raise VideoError(f"{what} is not a video this app can open, or it is damaged: use an MP4, WebM, MOV "
                         f"or GIF file") from None
    try:
        return container, _check(container, limits, what)
    except BaseException:
        container.close()
        raise


def _check(container, limits: Limits, what: str) -> ClipInfo:
    if any(container.format.name.endswith(s) or container.format.name == s for s in STILL_FORMATS):
        raise VideoError(f"{what} is a still picture, not a video: use Instant for pictures, or an MP4, WebM, "
                         f"MOV or GIF clip here")
    if not container.streams.video:
        raise VideoError(f"{what} has no frames (no picture track: is it a sound file?): use a clip with pictures")
    v = container.streams.video[0]
    w, h = v.codec_context.width, v.codec_context.height
    if not w or not h:
        raise VideoError(f"{what} is damaged: its video track has no picture size; save or export it again")
    if max(w, h) > limits.max_video_side:
        raise VideoError(f"{what} is {w}x{h}; the limit is {limits.max_video_side} px on the longer side "
                         f"(NST_MAX_VIDEO_SIDE): use a smaller clip")
    fps = v.average_rate or v.guessed_rate or Fraction(24)
    fps = Fraction(fps).limit_denominator(1001)
    if v.duration is not None and v.time_base:
        duration = float(v.duration * v.time_base)
    else:
        duration = (container.duration or 0) / 1e6
    frames = v.frames or round(duration * fps)
    if duration > limits.max_video_s:
        raise VideoError(f"{what} is {duration:.1f} s long; the limit is {limits.max_video_s} s "
                         f"(NST_MAX_VIDEO_S): trim it first")
    if frames > limits.max_video_frames:
        raise VideoError(f"{what} has {frames} frames; the limit is {limits.max_video_frames} "
                         f"(NST_MAX_VIDEO_FRAMES): trim it or lower its frame rate")
    return ClipInfo(w, h, fps, frames, duration, bool(container.streams.audio))


class ClipWriter:
    """An H.264 MP4 (yuv420p, even sides) at ``fps``, with the source's audio copied (or made AAC) up to
    the last frame written: a clip stopped early keeps its sound for as long as it has pictures."""

    def __init__(self, path: str | os.PathLike, width: int, height: int, fps: Fraction, audio_in=None,
                 crf: int = 20):
        av = _av()
        self.out = av.open(str(path), "w", format="mp4")
        codec = next(c for c in H264_ENCODERS if c in av.codecs_available)
        self.video = self.out.add_stream(codec, rate=fps, options={"crf": str(crf), "preset": "veryfast"})
        self.video.width, self.video.height, self.video.pix_fmt = width, height, "yuv420p"
        self.fps, self.frames, self.audio_in, self.pending = fps, 0, audio_in, deque()
        self.audio = None
        if audio_in is not None:
            name = audio_in.codec_context.name
            self.copy = name in MP4_AUDIO
            self.audio = (self.out.add_stream_from_template(audio_in) if self.copy else
                          self.out.add_stream("aac", rate=audio_in.codec_context.sample_rate or 44100))

    def write(self, image) -> None:
        """Append one uint8 H x W x 3 RGB frame."""
        frame = _av().VideoFrame.from_ndarray(image, format="rgb24")
        frame.pts, frame.time_base = self.frames, 1 / self.fps
        for packet in self.video.encode(frame):
            self.out.mux(packet)
        self.frames += 1
        self._audio_until(self.frames / self.fps)

    def add_audio(self, packet) -> None:
        """A demuxed packet of the source's audio: muxed once the pictures have reached its time."""
        if self.audio is not None and packet.dts is not None and packet.pts is not None:
            self.pending.append(packet)

    def _audio_until(self, t: float | None) -> None:
        while self.pending and (t is None or self.pending[0].pts * self.pending[0].time_base <= t):
            packet = self.pending.popleft()
            if self.copy:
                packet.stream = self.audio
                self.out.mux(packet)
            else:
                for frame in packet.decode():
                    frame.pts = None  # the encoder numbers its own samples
                    for p in self.audio.encode(frame):
                        self.out.mux(p)

    def close(self, complete: bool = True) -> None:
        """Flush and close; ``complete`` = the whole clip was read, so all of its sound goes in."""
        try:
            for packet in self.video.encode():
                self.out.mux(packet)
            self._audio_until(None if complete else self.frames / self.fps)
            if self.audio is not None and not self.copy:
                for p in self.audio.encode():
                    self.out.mux(p)
        finally:
            self.out.close()
