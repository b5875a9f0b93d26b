"""The Video and Live tabs: a clip through the fast path with progress, preview and Stop; the webcam, streamed."""
from __future__ import annotations

import os

import gradio as gr

from nst_core import NSTError, RunControl, Settings
from nst_core.optim.memory import trim

from .files import Files
from .jobs import CpuTurns
from .report import visitor_message

CLIP_TYPES = [".mp4", ".webm", ".mov", ".gif"]
UI_UPDATE_S = 0.5  # at most this often the preview and status go to the browser
CPU = {"concurrency_limit": 1, "concurrency_id": "cpu"}  # clips take the CPU in turn with the picture runs


class VideoHandlers:
    """A clip's run and Stop, and the webcam's frames. The running clip's RunControl and the webcam's
    LiveStylizer live in the visitor's gr.State, never here: visitors share this object.

    ``cpu`` is the CPU's turns the picture runs take (ui.jobs.Jobs.cpu): a clip takes it too, so a picture run
    going on for a page that has gone (it holds no place in Gradio's queue) never shares the CPU with a clip."""

    def __init__(self, files: Files, cpu: CpuTurns | None = None):
        self.files, self.cpu = files, cpu or CpuTurns()

    def run(self, clip, style, size, strength, smoothing, refine=0, state=None, request: gr.Request = None):
        """Stream (preview, status, video): the latest frame every half second, then the MP4."""
        if clip is None or style is None:
            raise gr.Error("Drop a clip and a style painting first.")
        state = state if isinstance(state, dict) else {}
        control = state["control"] = RunControl()
        try:
            if not self.cpu.take_if_free():
                yield None, "**Waiting** — the picture run before yours is finishing; your clip starts next.", None
                if not self.cpu.take(stopped=lambda: control.stopped):
                    yield None, "**Stopped** before it started.", None
                    return
            try:
                yield from self._stylise(clip, style, size, strength, smoothing, refine, control, request)
            finally:
                self.cpu.give_back()
        finally:
            if state.get("control") is control:
                del state["control"]
            trim()  # the clip's and the painting's decoded copies go back to the system

    def _stylise(self, clip, style, size, strength, smoothing, refine, control, request):
        from nst_core.video.clip import stylize_video

        folder = self.files.results.new(getattr(request, "session_hash", None), "video")
        shown, f = -1.0, None
        try:
            settings = Settings(max_size=int(size), fast_strength=float(strength))
            for f in stylize_video(clip, style, settings, output=os.path.join(folder, "stylized.mp4"),
                                   smoothing=float(smoothing), refine=int(refine or 0), control=control):
                if not f.final and f.elapsed_s - shown >= UI_UPDATE_S:
                    shown = f.elapsed_s
                    yield f.image, (f"Frame **{f.done} / {f.total}** — {f.frames_per_s:.1f} frames/s, about "
                                    f"{f.eta_s:.0f} s left. **Stop** keeps the frames done."), None
        except NSTError as exc:
            yield None, f"**Not run** — {visitor_message(exc)}", None
            raise gr.Error(visitor_message(exc)) from None
        how = "Stopped: the video has the frames done" if f.stopped else "Done"
        note = f" ({f.message})" if f.message else ""
        yield f.image, (f"**{how}** — {f.done} frames at {f.fps:g} fps, {f.image.shape[1]}x{f.image.shape[0]}, "
                        f"in {f.elapsed_s:.0f} s{note}."), f.output
        self.files.results.keep_newest(getattr(request, "session_hash", None), "video")

    def stop(self, state) -> None:
        control = (state or {}).get("control") if isinstance(state, dict) else None
        if control is not None:
            control.stop()

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


def video_tabs(files: Files, cpu: CpuTurns | None = None) -> VideoHandlers:
    """The Video and Webcam tabs, laid out and wired where they are called (inside the page's Tabs);
    ``cpu``: the picture runs' lock, which a clip takes too."""
    from .components import PathImage, Slider

    h = VideoHandlers(files, cpu)
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
        state = gr.State({})
        run.click(h.run, [clip, style, size, strength, smoothing, refine, state], [preview, status, out],
                  api_name="stylize_video", **CPU)
        stop.click(h.stop, [state], None, queue=False, api_name="stop_video")
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


def _default_smoothing() -> float:
    from nst_core.video.flow import DEFAULT_SMOOTHING

    return DEFAULT_SMOOTHING
