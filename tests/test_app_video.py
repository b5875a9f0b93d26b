"""The Video and Live tabs' handlers, called as Gradio calls them: progress, the MP4, Stop, bad files, webcam state."""
import sys
import threading

import gradio as gr
import numpy as np
import pytest

import app
from conftest import ROOT
from ui.files import Files
from ui.video import VideoHandlers

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


def test_a_clip_streams_its_latest_frame_then_the_video(h, clip):
    outs = list(h.run(clip, STYLE, 854, 1.0, 0.7, 0, {}))
    preview, status, video = outs[-1]
    assert video.endswith(".mp4") and frames_in(video) == 24
    assert "Done" in status and "24 frames" in status
    assert preview.shape == (72, 96, 3)
    assert all(o[2] is None for o in outs[:-1])  # the video comes once, at the end


def test_stop_gives_the_frames_done_as_a_shorter_video(h, clip):
    state = {}
    run = h.run(clip, STYLE, 854, 1.0, 0.7, 0, state)
    next(run)  # the first preview: the clip is running
    h.stop(state)
    *_, (preview, status, video) = run
    assert "Stopped" in status and 1 <= frames_in(video) < 24
    assert "control" not in state  # nothing is left to stop


def test_a_file_that_is_not_a_video_is_one_plain_message(h, tmp_path):
    bad = tmp_path / "holiday.mp4"
    bad.write_text("this is not a video")
    with pytest.raises(gr.Error, match="not a video"):
        list(h.run(str(bad), STYLE, 854, 1.0, 0.7, 0, {}))


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


def test_a_clip_waits_for_a_picture_run_left_going_by_a_page_that_has_gone(jobs, tmp_path, clip):
    from test_jobs import ticking, wait_until

    from ui.jobs import new_key

    gate = threading.Event()
    picture = jobs.start(new_key(), lambda c: ticking(c, steps=3, gate=gate))  # nobody watches it: no queue place
    assert wait_until(jobs.cpu.locked)
    run = VideoHandlers(Files(str(tmp_path / "cache")), jobs.cpu).run(clip, STYLE, 96, 1.0, 0.7, 0, {})
    preview, status, video = next(run)
    assert "Waiting" in status and preview is None and video is None
    gate.set()
    next(run)  # the clip's first frame ...
    assert not picture.running  # ... came after the picture run had ended (or, unwatched, given way)
    *_, (preview, status, video) = run
    assert "Done" in status and frames_in(video) == 24


def test_a_picture_run_waits_while_a_clip_is_stylised(jobs, tmp_path, clip):
    from test_jobs import ticking, wait_until

    from ui.jobs import new_key

    run = VideoHandlers(Files(str(tmp_path / "cache")), jobs.cpu).run(clip, STYLE, 96, 1.0, 0.7, 0, {})
    next(run)  # the clip's first frame: it has the CPU
    picture = jobs.start(new_key(), lambda c: ticking(c, steps=2))
    assert wait_until(lambda: "Waiting" in str(picture.changes(0)[1].get("status")))
    for _, status, _ in run:  # the clip holds the CPU at each of its outputs
        assert "preview" not in picture.changes(0)[1]  # so the picture run has not painted a step
    assert wait_until(lambda: not picture.running)
    assert picture.changes(0)[1]["status"] == "Done" and "Done" in status


def test_stop_while_a_clip_waits_for_the_cpu_ends_it_there(jobs, tmp_path, clip):
    h, state = VideoHandlers(Files(str(tmp_path / "cache")), jobs.cpu), {}
    jobs.cpu.take()  # a picture run holds the CPU
    try:
        run = h.run(clip, STYLE, 96, 1.0, 0.7, 0, state)
        assert "Waiting" in next(run)[1]
        h.stop(state)
        assert [out[1] for out in run] == ["**Stopped** before it started."]
    finally:
        jobs.cpu.give_back()
    assert "control" not in state


def test_a_refined_clip_from_the_page(h, clip, monkeypatch, tiny_extractor):
    """The Refine slider's iterations reach the engine: the frames come out repainted, not the fast ones."""
    import nst_core.video.clip

    from conftest import TINY_LAYERS

    original = nst_core.video.clip.stylize_video

    def with_tiny_vgg(clip, style, settings, **kw):  # VGG19 is too slow for a page test: a stand-in, same loop
        return original(clip, style, settings.replace(**TINY_LAYERS), extractor=tiny_extractor, **kw)

    monkeypatch.setattr(nst_core.video.clip, "stylize_video", with_tiny_vgg)
    fast = list(h.run(clip, STYLE, 96, 1.0, 0.7, 0, {}))[-1][0]
    refined = list(h.run(clip, STYLE, 96, 1.0, 0.7, 4, {}))[-1][0]
    assert np.abs(fast.astype(int) - refined).mean() > 1
