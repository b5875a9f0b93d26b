"""The Video and Live tabs: a clip through the fast path with progress, preview and Stop; the webcam, streamed."""
from __future__ import annotations

import os
import time

import gradio as gr

from nst_core import NSTError, Settings
from nst_core.optim.memory import trim

from .files import Files
from .admission import RUNS, Line
from .cluster import LocalPainter
from .jobs import STOPPED_BEFORE, Jobs, browser_key, new_key
from .report import visitor_message

CLIP_TYPES = [".mp4", ".webm", ".mov", ".gif"]
UI_UPDATE_S = 0.5  # at most this often the preview and status go to the browser
CPU = {"concurrency_limit": 1, "concurrency_id": "cpu"}  # clips take the CPU in turn with the picture runs
OUTPUTS = ("preview", "status", "video")  # the Video tab's outputs, in the order Gradio takes them
CLIP = RUNS["stylize_video"]  # a clip's job and line entry: under its browser's key (its session's) and this,
# so a clip and a picture run go on side by side


def _positional(out: dict) -> tuple:
    """A job's changed outputs by name -> Gradio's tuple, the unchanged ones skipped."""
    return tuple(out.get(name, gr.skip()) for name in OUTPUTS)


class VideoHandlers:
    """A clip's run, Stop and re-attach, and the webcam's frames. A clip runs as a job (ui/jobs.py), as a
    picture run does: it outlives its page, a reloaded page finds it again by the browser's key (kept in
    the visitor's ``run_state`` and their browser), and it takes the CPU in turn with the picture runs
    (``jobs.cpu``: watched ones first, an unwatched one gives way). The webcam's LiveStylizer lives in the
    visitor's gr.State, never here: visitors share this object."""

    def __init__(self, files: Files, jobs: Jobs | None = None, line: Line | None = None, painter=None):
        self.files, self.jobs, self.line = files, jobs or Jobs(), line or Line()
        self.painter = painter or LocalPainter()  # this machine, or a Ray cluster (ui/cluster.py)

    async def run(self, clip, style, size, strength, smoothing, refine=0, state=None, request: gr.Request = None):
        """Start the clip in a job of its own (it goes on if this page goes) and stream
        (preview, status, video): the latest frame every half second, then the MP4. A clip whose
        Stop was pressed while it waited in Gradio's queue ends here, before it starts."""
        if clip is None or style is None:
            raise gr.Error("Drop a clip and a style painting first.")
        state = state if isinstance(state, dict) else {}  # an API call without a session: a key of its own
        if self.line.left(_line_entry(request), state.get("clip_stop_at")):
            yield None, STOPPED_BEFORE, None
            return
        key = state.setdefault("key", new_key()) + CLIP
        job = self.jobs.start(key, lambda control: self._produce(clip, style, size, strength, smoothing, refine,
                                                                  key, control))
        async for out in job.watch():
            yield _positional(out)

    async def attach(self, browser, state):
        """On page load: this browser's clip, live where it is or finished with its MP4 (a reload)."""
        job = self.jobs.get(browser_key(state, browser) + CLIP) if isinstance(state, dict) else None
        if job is None:
            yield _positional({})
            return
        async for out in job.watch(raise_error=False):  # a failed clip's status says why; no toast again
            yield _positional(out)

    def _produce(self, clip, style, size, strength, smoothing, refine, key, control):
        """The clip itself, in its job's thread, once it has the CPU: {preview, status, video} by name."""
        try:
            yield from self._stylise(clip, style, size, strength, smoothing, refine, key, control)
        finally:
            trim()  # the clip's and the painting's decoded copies go back to the system

    def _stylise(self, clip, style, size, strength, smoothing, refine, key, control):
        folder = self.files.results.new(key, "video")
        shown, f = -1.0, None
        try:
            settings = Settings(max_size=int(size), fast_strength=float(strength))
            for f in self.painter.stylize_video(clip, style, settings, output=os.path.join(folder, "stylized.mp4"),
                                                smoothing=float(smoothing), refine=int(refine or 0), control=control):
                if not f.final and f.elapsed_s - shown >= UI_UPDATE_S:
                    shown = f.elapsed_s
                    yield {"preview": f.image, "video": None,
                           "status": (f"Frame **{f.done} / {f.total}** — {f.frames_per_s:.1f} frames/s, about "
                                      f"{f.eta_s:.0f} s left. **Stop** keeps the frames done.")}
        except NSTError as exc:
            yield {"preview": None, "status": f"**Not run** — {visitor_message(exc)}", "video": None}
            raise gr.Error(visitor_message(exc)) from None
        how = "Stopped: the video has the frames done" if f.stopped else "Done"
        note = f" ({f.message})" if f.message else ""
        yield {"preview": f.image, "video": f.output,
               "status": (f"**{how}** — {f.done} frames at {f.fps:g} fps, {f.image.shape[1]}x{f.image.shape[0]}, "
                          f"in {f.elapsed_s:.0f} s{note}.")}
        self.files.results.keep_newest(key, "video")

    def _running(self, state) -> object | None:
        key = state.get("key") if isinstance(state, dict) else None
        job = self.jobs.get(key + CLIP) if isinstance(key, str) else None
        return job if job is not None and job.running else None

    def stop(self, state) -> None:
        """Stop this visitor's clip (the frames done are written), take it out of the line for the CPU,
        or, while it still waits in Gradio's queue, note the Stop's time for it to find on leaving."""
        job = self._running(state)
        if job is not None:
            job.control.stop()
        elif isinstance(state, dict):
            state["clip_stop_at"] = time.monotonic()

    def stopping(self, state, request: gr.Request = None):
        """Stop the clip, and say so on its status line at once: one request (see Handlers.stopping)."""
        running = self._running(state) is not None
        self.stop(state)
        if running:
            return "**Stopping** — the frames done are being written to the clip."
        if self.line.waiting(_line_entry(request)):
            return STOPPED_BEFORE
        return gr.skip()

    def live(self, frame, style, smoothing, state):
        """One webcam frame -> its stylisation; the session's LiveStylizer is made again for a new style."""
        from nst_core.video.live import LiveStylizer

        if frame is None or style is None:
            return None, state
        state = state if isinstance(state, dict) else {}
        key = (style, float(smoothing))
        if state.get("key") != key:
            try:
                state = {"key": key, "live": LiveStylizer(style, smoothing=float(smoothing))}
            except NSTError as exc:
                raise gr.Error(visitor_message(exc)) from None
            finally:
                trim()  # a large painting's decoded copies go back to the system, not into the heaps for good
        return state["live"](frame), state


def video_tabs(demo: gr.Blocks, files: Files, jobs: Jobs, run_state: gr.State, browser: gr.BrowserState,
               line: Line | None = None, painter=None) -> VideoHandlers:
    """The Video and Webcam tabs, laid out and wired where they are called (inside the page's Tabs).
    ``jobs``, ``run_state`` and ``browser``: the picture runs' jobs and the visitor's key to them (in
    the session and in the browser): a clip is a job of the same kind, found again on a reload.
    ``line``: the page's line (ui/admission.py), where a clip's Stop pressed while it waits is kept.
    ``painter``: where clips are painted (ui/cluster.py), as the picture runs are."""
    from .components import PathImage, Slider

    h = VideoHandlers(files, jobs, line, painter)
    with gr.Tab("Video", elem_id="video_tab"):
        gr.Markdown("A clip (MP4, WebM, MOV or GIF) through the fast path, frame by frame; each frame is "
                    "blended with the previous one moved along the optical flow, so the strokes do not flicker.")
        with gr.Row():
            with gr.Column():
                clip = gr.File(label="Clip", file_types=CLIP_TYPES, type="filepath", elem_id="video_in")
                style = PathImage(label="Style painting", elem_id="video_style", height=220)
                size = Slider(128, 1280, 854, step=2, label="Longer side (px)", elem_id="video_size")
                strength = Slider(0, 1, 1, step=0.05, label="Strength", elem_id="video_strength")
                smoothing = Slider(0, 0.9, _default_smoothing(), step=0.05, elem_id="video_smoothing",
                                      label="Smoothing (0 = each frame alone: flickers)")
                refine = Slider(0, 50, Settings().video_refine, step=1, elem_id="video_refine",
                                   label="Refine: Gatys iterations per frame (0 = off; slow: seconds a frame)")
                with gr.Row():
                    run = gr.Button("Stylise clip", variant="primary", elem_id="video_run")
                    stop = gr.Button("Stop", elem_id="video_stop")
            with gr.Column():
                preview = gr.Image(label="Latest frame", interactive=False, format="jpeg", elem_id="video_preview")
                status = gr.Markdown("Ready.", elem_id="video_status")
                out = gr.Video(label="Stylised clip (H.264 MP4)", interactive=False, elem_id="video_out")
        run.click(h.run, [clip, style, size, strength, smoothing, refine, run_state], [preview, status, out],
                  api_name="stylize_video", **CPU)
        stop.click(h.stopping, [run_state], [status], queue=False, show_progress="hidden", api_visibility="private")
        stop.click(h.stop, [run_state], None, queue=False, api_name="stop_video")  # the API's /stop_video (idempotent)
        # A reload or a new tab of the same browser finds its clip again, live or finished.
        demo.load(h.attach, [browser, run_state], [preview, status, out], concurrency_limit=None,
                  show_progress="hidden", api_visibility="private")
    with gr.Tab("Webcam", elem_id="live_tab"):
        gr.Markdown("Your webcam, stylised as it streams (256 px, smoothed along the optical flow).")
        with gr.Row():
            # a small capture: the frame is stylised at 256 px anyway, and a smaller one travels faster
            cam = gr.Image(label="Webcam", sources=["webcam"], streaming=True, type="numpy", elem_id="live_cam",
                           webcam_options=gr.WebcamOptions(constraints={"video": {"width": {"ideal": 320},
                                                                                  "height": {"ideal": 240}}}))
            live_out = gr.Image(label="Stylised", streaming=True, format="jpeg", elem_id="live_out")
        with gr.Row():
            live_style = PathImage(label="Style painting", elem_id="live_style", height=160)
            live_smoothing = Slider(0, 0.9, _default_smoothing(), step=0.05, label="Smoothing",
                                       elem_id="live_smoothing")
        live_state = gr.State({})
        # Its own queue: a webcam holds its slot while it streams, so it must not hold up the clips and runs;
        # one at a time on two cores, and the rest wait in the page's bounded line (ui/admission.py).
        cam.stream(h.live, [cam, live_style, live_smoothing, live_state], [live_out, live_state],
                   api_name="live", stream_every=0.1, time_limit=300, concurrency_limit=1,
                   concurrency_id="live")
    return h


def _line_entry(request) -> str | None:
    """This session's clip's entry in the line (ui/admission.py)."""
    session = getattr(request, "session_hash", None)
    return session + CLIP if session else None


def _default_smoothing() -> float:
    from nst_core.video.flow import DEFAULT_SMOOTHING

    return DEFAULT_SMOOTHING
