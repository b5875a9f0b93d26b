"""Clips through the fast path as a user meets them: containers in, H.264 with sound out, less flicker, Stop, bad files."""
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT, synthetic_painting

sys.path.insert(0, str(ROOT / "tools"))
from clips import pan_zoom, write_clip  # noqa: E402

from nst_core import NSTError, RunControl, Settings, load_image  # noqa: E402
from nst_core.errors import VideoError  # noqa: E402
from nst_core.settings import Limits  # noqa: E402
from nst_core.video.clip import stylize_video  # noqa: E402

av = pytest.importorskip("av")
SIZE = (48, 64)  # tiny clips: 12 frames, half a second at 24 fps


@pytest.fixture(scope="module")
def motion():
    return pan_zoom(load_image(ROOT / "examples" / "coffee.jpg"), SIZE, 12)


@pytest.fixture(scope="module")
def clip(motion, tmp_path_factory):
    return write_clip(tmp_path_factory.mktemp("clip") / "pan.mp4", motion[0])


@pytest.fixture(scope="module")
def style(tmp_path_factory):
    from PIL import Image

    path = tmp_path_factory.mktemp("style") / "stripes.png"
    Image.fromarray(synthetic_painting(64, 64)).save(path)
    return path


def probe(path):
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        return {"codec": v.codec_context.name, "size": (v.height, v.width), "rate": v.average_rate,
                "frames": sum(1 for _ in c.decode(video=0)),
                "audio_s": float(c.streams.audio[0].duration * c.streams.audio[0].time_base) if c.streams.audio else 0}


@pytest.mark.parametrize("kind, rate, sound", [(".mp4", 24, True), (".webm", 24, True), (".mov", 24, True),
                                               (".gif", 25, False)])  # GIF counts delays in 1/100 s
def test_each_container_becomes_an_h264_mp4_at_its_rate_with_its_sound(motion, style, tiny_hub_model, tmp_path,
                                                                        kind, rate, sound):
    src = write_clip(tmp_path / f"in{kind}", motion[0])
    reports = list(stylize_video(src, style, Settings(hub_model=tiny_hub_model, max_size=64),
                                 output=tmp_path / "out.mp4"))
    final = reports[-1]
    assert final.final and not final.stopped and final.output == str(tmp_path / "out.mp4")
    assert [r.done for r in reports[:-1]] == list(range(1, 13))
    got = probe(final.output)
    assert got["codec"] == "h264" and got["size"] == SIZE and got["frames"] == 12 and got["rate"] == rate
    assert (got["audio_s"] > 0.4) == sound  # the tone, half a second of it
    assert np.abs(final.image.astype(int) - motion[0][-1]).mean() > 5  # the tiny model did paint it


def test_smoothing_cuts_the_flicker_against_the_true_motion(motion, clip, tmp_path):
    from nst_core.video.flow import warp

    _, flows, masks = motion
    style = ROOT / "examples" / "starry_night.jpg"

    def warping_error(smoothing):
        outs = [f.image for f in stylize_video(clip, style, Settings(max_size=64), smoothing=smoothing,
                                               output=tmp_path / f"s{smoothing}.mp4") if not f.final]
        return np.mean([np.abs(o.astype(np.float32) - warp(p, f))[m].mean()
                        for o, p, f, m in zip(outs[1:], outs[:-1], flows[1:], masks[1:])])

    from nst_core.video.flow import DEFAULT_SMOOTHING

    assert warping_error(DEFAULT_SMOOTHING) < 0.6 * warping_error(0.0)


def test_the_style_code_is_computed_once_per_clip(clip, monkeypatch):
    from nst_core.fast import load_model

    model = load_model("embedded")
    calls, original = [], model.style_bottleneck
    monkeypatch.setattr(model, "style_bottleneck", lambda s: calls.append(1) or original(s))
    frames = list(stylize_video(clip, ROOT / "examples" / "the_scream.jpg", Settings(max_size=64)))
    assert len(frames) == 13 and len(calls) == 1


def test_stop_keeps_the_frames_done_as_a_shorter_video_with_its_sound(clip, style, tiny_hub_model, tmp_path):
    control = RunControl()
    for f in stylize_video(clip, style, Settings(hub_model=tiny_hub_model), output=tmp_path / "short.mp4",
                           control=control):
        if f.done == 5 and not f.final:
            control.stop()
    assert f.final and f.stopped and f.done == 5
    got = probe(f.output)
    assert got["frames"] == 5 and got["audio_s"] <= 5 / 24 + 0.05  # the sound ends with the pictures


def test_closing_the_generator_still_leaves_a_playable_clip(clip, style, tiny_hub_model, tmp_path):
    run = stylize_video(clip, style, Settings(hub_model=tiny_hub_model), output=tmp_path / "closed.mp4")
    for f in run:
        if f.done == 3:
            break
    run.close()
    assert probe(tmp_path / "closed.mp4")["frames"] == 3


def _damaged(clip, tmp_path):
    data = bytearray(clip.read_bytes())
    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(bytes(data[: len(data) // 2]))  # a download cut off half way: no index at the end
    return bad


def _zero_frames(tmp_path, kind):
    path = tmp_path / f"zero{kind}"
    with av.open(str(path), "w") as out:
        v = out.add_stream({".mp4": "libx264", ".webm": "libvpx-vp9"}[kind], rate=24)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        out.start_encoding()  # the header with a video track, but never a picture
    return path


def _garbled(clip, tmp_path):
    data = bytearray(clip.read_bytes())
    start = data.find(b"mdat") + 8
    data[start:len(data) - 2000] = bytes(len(data) - 2000 - start)  # the index is intact, the pictures zeroed
    bad = tmp_path / "garbled.mp4"
    bad.write_bytes(bytes(data))
    return bad


@pytest.mark.parametrize("make, words", [
    (lambda clip, d: (d / "notes.mp4").write_text("not a video") and d / "notes.mp4", "not a video"),
    (lambda clip, d: (d / "empty.mp4").write_bytes(b"") or d / "empty.mp4", "empty file"),
    (lambda clip, d: ROOT / "examples" / "chelsea.jpg", "still picture"),
    (lambda clip, d: d / "missing.mp4", "not found"),
    (_damaged, "damaged"),
    (lambda clip, d: _zero_frames(d, ".mp4"), "no frames"),
    (lambda clip, d: _zero_frames(d, ".webm"), "no frames"),
])
def test_a_bad_file_gets_one_plain_line(clip, style, tiny_hub_model, tmp_path, make, words):
    path = make(clip, tmp_path)
    with pytest.raises(VideoError) as info:
        next(stylize_video(path, style, Settings(hub_model=tiny_hub_model)))
    message = str(info.value)
    assert words in message and "\n" not in message and isinstance(info.value, NSTError)


def test_a_clip_damaged_inside_gives_a_line_or_what_could_be_read(clip, style, tiny_hub_model, tmp_path):
    try:
        *_, final = stylize_video(_garbled(clip, tmp_path), style, Settings(hub_model=tiny_hub_model),
                                  output=tmp_path / "o.mp4")
    except VideoError as exc:  # nothing decodable: one line
        assert "damaged" in str(exc) or "no frames" in str(exc)
    else:  # the decoder conceals the damage: a whole clip comes out
        assert final.final and probe(final.output)["frames"] >= 1


@pytest.mark.parametrize("env, value, words", [("NST_MAX_VIDEO_S", "0", "NST_MAX_VIDEO_S"),
                                               ("NST_MAX_VIDEO_FRAMES", "10", "NST_MAX_VIDEO_FRAMES"),
                                               ("NST_MAX_VIDEO_SIDE", "32", "NST_MAX_VIDEO_SIDE"),
                                               ("NST_MAX_VIDEO_MB", "0", "NST_MAX_VIDEO_MB")])
def test_the_operators_limits_refuse_a_clip_before_any_work(clip, style, tiny_hub_model, monkeypatch, env, value,
                                                           words):
    monkeypatch.setenv(env, value)
    settings = Settings(hub_model=tiny_hub_model, limits=Limits())
    with pytest.raises(VideoError, match=words):
        next(stylize_video(clip, style, settings))


def test_the_command_line_writes_the_clip_and_shows_a_bar(clip, style, tiny_hub_model, tmp_path):
    out = tmp_path / "cli.mp4"
    r = subprocess.run([sys.executable, "-m", "nst_core", "video", clip, style, "-o", out, "--hub-model",
                        tiny_hub_model], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "frame 12/12" in r.stderr and probe(out)["frames"] == 12
    bad = subprocess.run([sys.executable, "-m", "nst_core", "video", ROOT / "README.md", style], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "not a video" in bad.stderr


def test_importing_nst_core_loads_no_video_libraries():
    code = "import sys, nst_core, nst_core.video.clip; print(any(m in sys.modules for m in ('av', 'cv2', 'tensorflow')))"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr



def test_the_temporal_loss_is_zero_on_the_warped_result_and_its_gradient_is_right():
    from nst_core.video.temporal import temporal_loss

    rng = np.random.default_rng(0)
    x, w = rng.uniform(0, 255, (2, 6, 8, 3)).astype(np.float32)
    mask = (rng.random((6, 8)) > 0.3).astype(np.float32)
    assert temporal_loss(w, w, mask)[0] == 0.0
    value, grad = temporal_loss(x, w, mask)
    assert value == pytest.approx(np.sum(mask[..., None] * ((x - w) / 255) ** 2) / x.size, rel=1e-5)
    assert not grad[mask == 0].any()  # where the flow is unreliable the frame is free
    step = np.zeros_like(x)
    step[2, 3, 1] = 0.5
    numeric = (temporal_loss(x + step, w, mask)[0] - temporal_loss(x - step, w, mask)[0]) / 1.0
    assert numeric == pytest.approx(grad[2, 3, 1], rel=1e-3, abs=1e-12)


@pytest.fixture(scope="module")
def refine_runs(motion, clip, style, tiny_hub_model, tiny_extractor, tmp_path_factory):
    """The pan through the fast path alone, and refined 6 iterations a frame with and without the temporal term."""
    from conftest import TINY_LAYERS

    d = tmp_path_factory.mktemp("refine")
    s = Settings(hub_model=tiny_hub_model, max_size=64, **TINY_LAYERS)
    runs = {}
    for name, refine, weight in (("fast", 0, 0.0), ("refined", 6, 0.0), ("temporal", 6, s.temporal_weight)):
        runs[name] = [f.image for f in stylize_video(clip, style, s.replace(temporal_weight=weight), refine=refine,
                                                     extractor=tiny_extractor, output=d / f"{name}.mp4")
                      if not f.final]
    return runs


def test_refined_frames_are_repainted_from_the_fast_ones(refine_runs):
    fast, refined = refine_runs["fast"], refine_runs["refined"]
    assert len(refined) == len(fast) == 12
    assert all(np.abs(r.astype(int) - f).mean() > 1 for r, f in zip(refined, fast))


def test_the_temporal_term_steadies_the_refined_clip_along_the_true_motion(motion, refine_runs):
    from nst_core.video.flow import warp

    _, flows, masks = motion

    def warping_error(outs):
        return np.mean([np.abs(o.astype(np.float32) - warp(p, f))[m].mean()
                        for o, p, f, m in zip(outs[1:], outs[:-1], flows[1:], masks[1:])])

    assert warping_error(refine_runs["temporal"]) < 0.9 * warping_error(refine_runs["refined"])


def test_stop_ends_a_refined_clip_within_its_frame_and_keeps_what_is_done(clip, style, tiny_hub_model,
                                                                          tiny_extractor, tmp_path, monkeypatch):
    from conftest import TINY_LAYERS
    from nst_core.video import temporal

    control, evaluations, original = RunControl(), [], temporal.temporal_loss

    def stop_pressed_during_frame_2(*args):  # the temporal term is evaluated from the second frame on
        evaluations.append(1)
        if len(evaluations) == 3:
            control.stop()
        return original(*args)

    monkeypatch.setattr(temporal, "temporal_loss", stop_pressed_during_frame_2)
    for f in stylize_video(clip, style, Settings(hub_model=tiny_hub_model, max_size=64, **TINY_LAYERS),
                           refine=1000, extractor=tiny_extractor, control=control, output=tmp_path / "r.mp4"):
        pass
    assert f.final and f.stopped and f.done == 2 and probe(f.output)["frames"] == 2
    assert len(evaluations) == 3  # frame 2 ended at the next iteration, not after its 1000


def test_refine_must_be_a_whole_number_within_the_limit(clip, style, tiny_hub_model):
    with pytest.raises(NSTError, match="video_refine"):
        next(stylize_video(clip, style, Settings(hub_model=tiny_hub_model), refine=-1))


def test_the_command_line_takes_refine_and_names_a_bad_count(clip, style, tiny_hub_model):
    r = subprocess.run([sys.executable, "-m", "nst_core", "video", clip, style, "--refine", "-2", "--hub-model",
                        tiny_hub_model], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0 and "video_refine" in r.stderr
    assert "--refine N" in subprocess.run([sys.executable, "-m", "nst_core", "video", "--help"], cwd=ROOT,
                                          capture_output=True, text=True, timeout=300).stdout
