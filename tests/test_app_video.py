"""The Video and Live tabs' handlers, called as Gradio calls them: progress, the MP4, Stop, bad files, a clip
that goes on through a reload and takes the CPU in turn with the picture runs (both are jobs), webcam state."""
import sys
import threading

import gradio as gr
import numpy as np
import pytest

import app
from conftest import ROOT, drain
from test_jobs import ticking, wait_until
from ui.files import Files
from ui.jobs import STOPPED_BEFORE, new_key
from ui.video import CLIP, VideoHandlers

sys.path.insert(0, str(ROOT / "tools"))
from clips import pan_zoom, write_clip  # noqa: E402

from nst_core import load_image  # noqa: E402

STYLE = str(ROOT / "examples" / "the_scream.jpg")


@pytest.fixture
def h(tmp_path, monkeypatch, tiny_hub_model):
    monkeypatch.setenv("NST_HUB_MODEL", tiny_hub_model)
    return VideoHandlers(Files(str(tmp_path / "cache")))


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    frames, _, _ = pan_zoom(load_image(ROOT / "examples" / "chelsea.jpg"), (72, 96), 24)
    return str(write_clip(tmp_path_factory.mktemp("clip") / "cat.mp4", frames))


def frames_in(path):
    import av

    with av.open(path) as c:
        return sum(1 for _ in c.decode(video=0))


def test_the_page_has_video_and_live_tabs_with_named_endpoints():
    endpoints = app.demo.get_api_info()["named_endpoints"]
    assert {"/stylize_video", "/stop_video", "/live"} <= set(endpoints)
    assert [p["parameter_name"] for p in endpoints["/stylize_video"]["parameters"]] == [
        "clip", "style", "size", "strength", "smoothing", "refine"]


def clip_run(h, *args, state=None):
    """What the page is sent while its clip runs: (preview, status, video) tuples, as Gradio takes them."""
    return drain(h.run(*args, {} if state is None else state))


def skipped(value) -> bool:
    return isinstance(value, dict) and value == gr.skip()


def on_screen(outs) -> tuple:
    """The page after those outputs: each one's latest value (a skipped one leaves the last as it was)."""
    shown = [None, None, None]
    for out in outs:
        shown = [old if skipped(new) else new for old, new in zip(shown, out)]
    return tuple(shown)


def test_a_clip_streams_its_latest_frame_then_the_video(h, clip):
    outs = list(clip_run(h, clip, STYLE, 854, 1.0, 0.7, 0))
    preview, status, video = outs[-1]  # the last message is whole: an API client's result
    assert video.endswith(".mp4") and frames_in(video) == 24
    assert "Done" in status and "24 frames" in status
    assert preview.shape == (72, 96, 3)
    assert all(o[2] is None or skipped(o[2]) for o in outs[:-1])  # the video comes once, at the end


def test_stop_gives_the_frames_done_as_a_shorter_video(h, clip):
    state = {}
    run = clip_run(h, clip, STYLE, 854, 1.0, 0.7, 0, state=state)
    next(run)  # the first preview: the clip is running
    h.stop(state)
    preview, status, video = on_screen(run)
    assert "Stopped" in status and 1 <= frames_in(video) < 24
    assert not h.jobs.get(state["key"] + CLIP).running  # nothing is left to stop


def test_a_file_that_is_not_a_video_is_one_plain_message(h, tmp_path):
    bad = tmp_path / "holiday.mp4"
    bad.write_text("this is not a video")
    with pytest.raises(gr.Error, match="not a video"):
        list(clip_run(h, str(bad), STYLE, 854, 1.0, 0.7, 0))


def test_the_webcam_keeps_its_smoothing_state_per_viewer(h):
    frame = (np.random.default_rng(0).random((480, 640, 3)) * 255).astype(np.uint8)
    out, mine = h.live(frame, STYLE, 0.7, {})
    assert out.shape == (192, 256, 3)  # 256 px on the longer side
    out2, mine2 = h.live(frame, STYLE, 0.7, mine)
    assert mine2["live"] is mine["live"]  # the style's code and the previous frame carry over
    _, theirs = h.live(frame, STYLE, 0.7, {})
    assert theirs["live"] is not mine["live"]  # another viewer starts afresh
    assert h.live(None, STYLE, 0.7, mine) == (None, mine)  # the camera not yet on


@pytest.fixture
def jobs():
    from ui.jobs import Jobs

    return Jobs(grace_s=60)


@pytest.fixture
def held(monkeypatch):
    """Clips whose frames after the third wait for ``held.set()``: a clip still going when a test looks."""
    import nst_core.video.clip

    gate, original = threading.Event(), nst_core.video.clip.stylize_video

    def stylize_video(*args, **kw):
        for i, frame in enumerate(original(*args, **kw)):
            if i >= 3:
                gate.wait(timeout=60)
            yield frame

    monkeypatch.setattr(nst_core.video.clip, "stylize_video", stylize_video)
    yield gate
    gate.set()


def test_a_clip_waits_for_a_picture_run_left_going_by_a_page_that_has_gone(jobs, tmp_path, clip):
    gate = threading.Event()
    picture = jobs.start(new_key(), lambda c: ticking(c, steps=3, gate=gate))  # nobody watches it: no queue place
    assert wait_until(jobs.cpu.locked)
    run = clip_run(VideoHandlers(Files(str(tmp_path / "cache")), jobs), clip, STYLE, 96, 1.0, 0.7, 0)
    assert "Waiting" in on_screen([next(run)])[1]
    gate.set()
    next(run)  # the clip's first frame ...
    assert not picture.running  # ... came after the picture run had ended (or, unwatched, given way)
    preview, status, video = on_screen(run)
    assert "Done" in status and frames_in(video) == 24


def test_a_picture_run_waits_while_a_clip_is_stylised(jobs, tmp_path, clip, held):
    state = {}
    run = clip_run(VideoHandlers(Files(str(tmp_path / "cache")), jobs), clip, STYLE, 96, 1.0, 0.7, 0, state=state)
    outs = [next(run)]  # the clip's first frame: it has the CPU
    the_clip, clip_done = jobs.get(state["key"] + CLIP), []

    def picture_run(control):  # notes, at its first step, whether the clip had finished its video by then
        clip_done.append(the_clip.changes(0)[1].get("video") is not None)
        yield from ticking(control, steps=2)

    picture = jobs.start(new_key(), picture_run)
    assert wait_until(lambda: "Waiting" in str(picture.changes(0)[1].get("status")))
    held.set()  # the clip goes on to its end
    outs += list(run)
    assert wait_until(lambda: not picture.running)
    assert clip_done == [True]  # the picture run painted its first step only after the clip's end
    assert picture.changes(0)[1]["status"] == "Done" and "Done" in on_screen(outs)[1]


def test_stop_while_a_clip_waits_for_the_cpu_ends_it_there(jobs, tmp_path, clip):
    h, state = VideoHandlers(Files(str(tmp_path / "cache")), jobs), {}
    jobs.cpu.take()  # a picture run holds the CPU
    try:
        run = clip_run(h, clip, STYLE, 96, 1.0, 0.7, 0, state=state)
        assert "Waiting" in next(run)[1]
        h.stop(state)
        assert [out[1] for out in run] == [STOPPED_BEFORE]
    finally:
        jobs.cpu.give_back()
    assert not jobs.get(state["key"] + CLIP).running


def test_stop_while_a_clip_waits_in_the_queue_ends_it_unstarted_and_leaves_the_picture_run_be(h, clip):
    """Stop pressed while the clip still waits in Gradio's queue (no job yet): its status says so at
    once, and the clip, on leaving the queue, ends there; the same visitor's picture run keeps its
    place, and a clip sent after the Stop runs."""
    from types import SimpleNamespace

    request, state = SimpleNamespace(session_hash="visitor"), {}
    h.line.joined("visitor" + CLIP)  # the clip joined the queue (ui/admission.py notes it)
    h.line.joined("visitor")  # and a picture run of the same visitor
    assert h.stopping(state, request) == STOPPED_BEFORE
    h.stop(state)
    assert list(drain(h.run(clip, STYLE, 96, 1.0, 0.7, 0, state, request))) == [(None, STOPPED_BEFORE, None)]
    assert "key" not in state or h.jobs.get(state["key"] + CLIP) is None  # it never started
    assert h.line.waiting("visitor")  # the picture run's place is its own
    h.line.joined("visitor" + CLIP)  # sent again, after the Stop
    last = list(drain(h.run(clip, STYLE, 96, 1.0, 0.7, 0, state, request)))[-1]
    assert "Done" in last[1] and last[2].endswith(".mp4")


def test_a_clip_goes_on_through_a_reload_and_the_reloaded_page_sees_it_stops_it_and_gets_its_video(
        jobs, tmp_path, clip, held):
    h, page = VideoHandlers(Files(str(tmp_path / "cache")), jobs), {}
    run = clip_run(h, clip, STYLE, 96, 1.0, 0.7, 0, state=page)
    assert "Frame" in next(run)[1]  # painting
    browser = page["key"]  # what the browser keeps (the page's load stores it: see Handlers.attach)
    run.close()  # the page reloads: its event ends, the clip goes on
    reloaded = {}  # the reloaded page's session: a new one
    again = drain(h.attach(browser, reloaded))
    preview, status, video = next(again)  # the clip as it stands: its latest frame and status
    assert preview.shape == (72, 96, 3) and "Frame" in status and video is None
    assert jobs.get(browser + CLIP).running
    h.stop(reloaded)  # the reloaded page's Stop reaches it
    held.set()
    preview, status, video = on_screen([(preview, status, video), *again])
    assert "Stopped" in status and 1 <= frames_in(video) < 24
    later = list(drain(h.attach(browser, {})))  # a page loaded after the end gets the MP4 at once
    assert len(later) == 1 and later[0][2] == video and "Stopped" in later[0][1]
    assert list(drain(h.attach(new_key(), {}))) == [(gr.skip(),) * 3]  # another browser: nothing


def test_a_clip_and_a_picture_run_of_one_browser_are_two_jobs_neither_stops_the_other(jobs, tmp_path, clip):
    state = {}
    key = state.setdefault("key", new_key())
    picture = jobs.start(key, lambda c: ticking(c, steps=3))  # the Picture tab's run, under the browser's key
    preview, status, video = on_screen(clip_run(VideoHandlers(Files(str(tmp_path / "cache")), jobs), clip, STYLE,
                                                96, 1.0, 0.7, 0, state=state))
    assert "Done" in status and frames_in(video) == 24
    assert wait_until(lambda: not picture.running) and picture.changes(0)[1]["status"] == "Done"


def test_a_refined_clip_from_the_page(h, clip, monkeypatch, tiny_extractor):
    """The Refine slider's iterations reach the engine: the frames come out repainted, not the fast ones."""
    import nst_core.video.clip

    from conftest import TINY_LAYERS

    original = nst_core.video.clip.stylize_video

    def with_tiny_vgg(clip, style, settings, **kw):  # VGG19 is too slow for a page test: a stand-in, same loop
        return original(clip, style, settings.replace(**TINY_LAYERS), extractor=tiny_extractor, **kw)

    monkeypatch.setattr(nst_core.video.clip, "stylize_video", with_tiny_vgg)
    fast = list(clip_run(h, clip, STYLE, 96, 1.0, 0.7, 0))[-1][0]
    refined = list(clip_run(h, clip, STYLE, 96, 1.0, 0.7, 4))[-1][0]
    assert np.abs(fast.astype(int) - refined).mean() > 1
