"""stylize_video(): a clip through the fast path frame by frame, smoothed along the optical flow, as a generator.

    for f in stylize_video("clip.mp4", "painting.jpg", Settings(max_size=854), output="out.mp4"):
        ...  # f.image is the latest stylised frame; the last one (f.final) names the finished MP4

Closing the generator, or ``control.stop()``, ends the clip early: the frames done so far are
written as a shorter video (with their sound).
"""
from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Generator, Iterator

import numpy as np

from ..control import RunControl
from ..errors import VideoError
from .flow import DEFAULT_SMOOTHING, TemporalSmoother
from ..imaging.images import ImageInput, MIN_SIDE, fit_size
from ..settings import Settings


@dataclass(frozen=True)
class VideoFrame:
    """One stylised frame of a clip in progress. ``done`` frames of about ``total`` are written; the
    last report has ``final=True``, the MP4's path in ``output``, ``stopped`` if it ended on a stop,
    and ``message`` if the clip ended early for another reason (a damaged tail, the frame limit)."""

    done: int
    total: int
    elapsed_s: float
    image: np.ndarray = field(repr=False)
    final: bool = False
    stopped: bool = False
    output: str | None = None
    message: str = ""
    fps: float = 0.0  # the clip's frame rate

    @property
    def frames_per_s(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float:
        return max(0, self.total - self.done) / self.frames_per_s if self.frames_per_s else 0.0


def output_size(width: int, height: int, max_size: int) -> tuple[int, int]:
    """(height, width) within ``max_size`` on the longer side, both even (H.264's 4:2:0 needs it)."""
    h, w = fit_size((height, width), max_size)
    h, w = max(2, h - h % 2), max(2, w - w % 2)
    if min(h, w) < MIN_SIDE:
        raise VideoError(f"the clip would be {w}x{h} at this size, too small: each side needs {MIN_SIDE} px")
    return h, w


def stylize_video(path: str | os.PathLike, style: ImageInput, settings: Settings | None = None, *,
                  output: str | os.PathLike | None = None, smoothing: float = DEFAULT_SMOOTHING,
                  control: RunControl | None = None, refine: int | None = None,
                  stylizer: Callable[[np.ndarray], np.ndarray] | None = None,
                  extractor=None) -> Iterator[VideoFrame]:
    """Stylise every frame of the clip at ``path`` with the fast path (``settings.hub_model``, at most
    ``settings.max_size`` px, ``fast_strength``), blend each with the previous result warped by the
    optical flow where that is reliable (``smoothing``: 0 = frames on their own), and write an H.264
    MP4 at the clip's frame rate with its audio to ``output`` (default: a new temporary file).

    ``refine`` (default ``settings.video_refine``) > 0 goes on from each blended frame with that many
    Gatys iterations (stylize()'s loss and weights) plus ``settings.temporal_weight`` x the temporal
    loss towards the previous result warped along the flow (Ruder et al. 2016): slower, steadier.

    Raises VideoError before any work for a file that is not a video, is damaged, has no frames or
    breaks the limits (``settings.limits``: NST_MAX_VIDEO_S, _FRAMES, _SIDE, _MB). ``stylizer``
    replaces the model, ``extractor`` VGG19 (tests)."""
    from .io import ClipWriter, open_clip

    s = settings or Settings()
    if refine is not None:
        s = s.replace(video_refine=refine)  # checked as the setting is: a whole number within the limit
    smoother = TemporalSmoother(smoothing)  # checks the value before the clip is opened
    container, info = open_clip(path, s.limits)
    t0 = time.perf_counter()
    try:
        stylizer, paint = _painters(style, s, smoother, control, stylizer, extractor)
        h, w = output_size(info.width, info.height, s.max_size)
        out = Path(output) if output is not None else Path(tempfile.mkstemp(suffix=".mp4", prefix="nst-video-")[1])
        frames = _frames(container, s.limits.max_video_frames)
        head = _up_to_the_first_picture(frames, path)
        audio = container.streams.audio[0] if info.has_audio else None
        writer = ClipWriter(out, w, h, info.fps, audio)
        done, last, message, complete = yield from _paint_and_write(
            _chain(head, frames), (h, w), stylizer, paint, writer, control, info, t0)
        stopped = not complete and not message
        yield VideoFrame(done, done if not complete else max(info.frames, done), time.perf_counter() - t0,
                         last, final=True, stopped=stopped, output=str(out), message=message,
                         fps=float(info.fps))
    finally:
        container.close()


def _painters(style: ImageInput, s: Settings, smoother: TemporalSmoother, control: RunControl | None,
              stylizer: Callable[[np.ndarray], np.ndarray] | None, extractor):
    """(the fast path's stylizer, unless one is given; ``paint(rgb, styled)``: frame t's model output
    (a Future) smoothed, and refined if ``s.video_refine``, against frame t-1's result)."""
    if stylizer is None:
        from ..fast import frame_stylizer

        stylizer = frame_stylizer(style, s)
    refiner = None
    if s.video_refine:
        from .refine import FrameRefiner

        refiner = FrameRefiner(style, s, s.video_refine, extractor=extractor, control=control)

    def paint(rgb: np.ndarray, styled: Future) -> np.ndarray:
        if refiner is None:
            return smoother.smooth(rgb, styled.result())
        warped, mask = smoother.warped_previous(rgb)  # the temporal term needs the flow even where the blend is off
        return smoother.keep(refiner(rgb, smoother.blended(styled.result(), warped, mask), warped, mask))

    return stylizer, paint


def _up_to_the_first_picture(frames: Iterator, path: str | os.PathLike) -> list:
    """The decoder's items up to its first picture, so that a clip without one is answered (VideoError)
    before a writer is made."""
    head = []
    for item in frames:
        head.append(item)
        if hasattr(item, "to_ndarray") or isinstance(item, str):
            break
    if not head or not hasattr(head[-1], "to_ndarray"):
        raise VideoError(f"video {Path(path).name} has no frames that can be decoded: it is empty or damaged")
    return head


def _paint_and_write(items: Iterator, size: tuple[int, int], stylizer, paint, writer, control: RunControl | None,
                     info, t0: float) -> Generator[VideoFrame, None, tuple[int, np.ndarray | None, str, bool]]:
    """Each decoded picture painted and written, sound packets passed on, a VideoFrame yielded per
    frame written. Returns (frames written, the last one, why the clip ended early or "", whether it
    was read to its end). The writer is closed however this ends, closing the generator too: the
    frames done so far make a playable clip."""
    h, w = size
    done, last, message, complete = 0, None, "", False

    def written(image: np.ndarray) -> VideoFrame:
        nonlocal done
        writer.write(image)
        done += 1
        return VideoFrame(done, max(info.frames, done), time.perf_counter() - t0, image, fps=float(info.fps))

    # One frame ahead: the model paints frame t+1 in a thread of its own while frame t is smoothed and
    # encoded here (OpenCV, x264 and TensorFlow all leave Python's lock while they work).
    ahead = None  # (frame, its fast stylisation on its way)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="nst-video-model") as model:
            for item in items:
                if isinstance(item, str):  # the decoder's note on why the clip ends early
                    message = item
                    break
                if not hasattr(item, "to_ndarray"):  # a sound packet
                    writer.add_audio(item)
                    continue
                if control is not None and control.stopped:
                    break
                rgb = item.to_ndarray(width=w, height=h, format="rgb24")
                current, ahead = ahead, (rgb, model.submit(stylizer, rgb))
                if current is not None:
                    last = paint(*current)
                    yield written(last)
            else:
                complete = True
            if control is not None and control.stopped:  # the frame on its way is dropped: Stop was pressed
                complete = False
            elif ahead is not None:
                last = paint(*ahead)
                yield written(last)
    finally:
        writer.close(complete=complete)
    return done, last, message, complete


def _chain(head: list, rest):
    yield from head
    yield from rest


def _frames(container, max_frames: int):
    """The clip's video frames and audio packets in file order; then, if decoding fails part-way or
    the clip has more frames than its header said and the limit allows, a str saying why it ended."""
    import av

    video = container.streams.video[0]
    video.thread_type = "AUTO"  # frame-threaded decoding: the decoder keeps up while TensorFlow runs
    streams = [video] + list(container.streams.audio[:1])
    count = 0
    try:
        for packet in container.demux(*streams):
            if packet.stream.type == "audio":
                yield packet
                continue
            for frame in packet.decode():
                if count >= max_frames:
                    yield f"the clip has more than {max_frames} frames (NST_MAX_VIDEO_FRAMES); it ends there"
                    return
                count += 1
                yield frame
    except (av.FFmpegError, ValueError) as exc:
        if count == 0:
            raise VideoError(f"video {Path(container.name).name} is damaged and cannot be decoded: save or "
                             f"export it again") from None
        yield f"the clip is damaged after frame {count} ({exc.__class__.__name__}); the video ends there"
