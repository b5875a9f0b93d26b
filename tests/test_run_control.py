"""RunControl: stop and steer a run from outside, as the app's Stop button and sliders do."""
import json
import threading

import numpy as np
import pytest

from conftest import TINY_LAYERS, synthetic_painting, synthetic_photo
from nst_core import RunControl, Settings, SettingsError, result_png, stylize
from nst_core.recipe import read_recipe, run_recipe


def tiny(**kw):
    base = dict(iterations=20, max_size=64, preview_every=1, style_weight=1.0, multiscale=False, **TINY_LAYERS)
    return Settings(**{**base, **kw})


def frames_of(settings, extractor, control=None, on_frame=None, photo=None):
    out = []
    photo = synthetic_photo() if photo is None else photo
    for frame in stylize(photo, synthetic_painting(), settings, extractor=extractor, control=control):
        out.append(frame)
        if on_frame:
            on_frame(frame)
    return out


def test_steered_weights_reach_the_frames_within_two_iterations_from_the_current_image(tiny_extractor, monkeypatch):
    import nst_core.vgg.objective as objective
    import nst_core.optim.steps as run  # where the optimiser is made, and made again on a steer

    made, targets = [], []
    real_make = run.make_optimiser
    monkeypatch.setattr(run, "make_optimiser", lambda x0, s: made.append(x0.copy()) or real_make(x0, s))
    for name in ("style_targets", "content_targets"):
        real = getattr(objective.Objective, name)
        monkeypatch.setattr(objective.Objective, name,
                            lambda self, img, real=real, name=name: targets.append(name) or real(self, img))
    ctl = RunControl()
    seen = {}

    def on_frame(f):
        seen.setdefault(f.iteration, f)
        if f.iteration == 5:
            ctl.steer(style_weight=50.0, tv_weight=0.0)

    frames = frames_of(tiny(), tiny_extractor, ctl, on_frame)
    assert [f.settings.style_weight for f in frames[:5]] == [1.0] * 5
    assert frames[6].settings.style_weight == 50.0 and frames[6].settings.tv_weight == 0.0  # iteration 7
    assert frames[6].losses["tv"] == 0.0
    assert frames[-1].settings.steering == ((5, 1.0, 50.0, 0.0),)
    # one restart (a fresh L-BFGS history) from the picture as it was at iteration 5, not from the photo
    assert len(made) == 2 and not np.array_equal(made[1], made[0])
    assert np.abs(made[1].astype(int) - frames[4].image.astype(int)).max() <= 1
    assert targets.count("style_targets") == 1  # the painting's targets were not recomputed


def test_stop_ends_the_run_with_its_best_image_within_one_iteration(tiny_extractor):
    ctl = RunControl()
    frames = frames_of(tiny(iterations=500), tiny_extractor, ctl,
                       lambda f: ctl.stop() if f.iteration == 3 else None)
    assert [f.iteration for f in frames] == [1, 2, 3, 3]
    last = frames[-1]
    assert last.final and last.stopped and last.losses["total"] <= min(f.losses["total"] for f in frames[:3])
    assert last.image.shape == frames[0].image.shape
    assert json.loads(run_recipe(last, tiny(iterations=500)))["stopped_at"] == 3


def test_a_steered_runs_recipe_replays_it(tiny_extractor, tmp_path):
    ctl = RunControl()
    s = tiny(iterations=12)
    live = frames_of(s, tiny_extractor, ctl, lambda f: ctl.steer(content_weight=3.0) if f.iteration == 4 else
                     ctl.steer(style_weight=9.0) if f.iteration == 8 else None)[-1]
    (tmp_path / "r.png").write_bytes(result_png(live, s))
    replay_settings = read_recipe(tmp_path / "r.png")
    assert replay_settings.steering == ((4, 3.0, 1.0, s.tv_weight), (8, 3.0, 9.0, s.tv_weight))
    assert replay_settings.content_weight == s.content_weight  # the recipe starts where the run started
    replay = frames_of(replay_settings, tiny_extractor)[-1]
    np.testing.assert_array_equal(replay.image, live.image)
    assert replay.settings.style_weight == 9.0


def test_steering_from_another_thread_is_taken_and_bad_weights_are_refused(tiny_extractor):
    ctl = RunControl()
    with pytest.raises(SettingsError, match="style_weight must be a finite number"):
        ctl.steer(style_weight=-1)
    started = threading.Event()

    def steer_soon():
        started.wait()
        ctl.steer(style_weight=7.0)

    thread = threading.Thread(target=steer_soon)
    thread.start()
    frames = frames_of(tiny(iterations=200), tiny_extractor, ctl,
                       lambda f: started.set() or (f.settings.style_weight == 7.0 and ctl.stop()))
    thread.join()
    assert frames[-1].stopped and frames[-1].settings.style_weight == 7.0


def test_frames_name_their_scale_and_count_the_time_left_over_all_scales(tiny_extractor):
    frames = frames_of(tiny(max_size=256, multiscale=True, iterations=4, coarse_iterations=4), tiny_extractor,
                       photo=synthetic_photo(192, 256))
    assert [f.scale for f in frames if f.iteration in (1, 5, 7)] == [(1, 2, 128), (2, 2, 256), (2, 2, 256)]
    from nst_core.optim.state import STEP_OVERHEAD_PX

    first = frames[0]
    # after one coarse iteration, 3 more at 128 px and 4 at 4x the pixels remain, each iteration
    # weighed by its pixels plus a fixed part
    coarse, fine = 96 * 128 + STEP_OVERHEAD_PX, 192 * 256 + STEP_OVERHEAD_PX
    assert first.eta_s == pytest.approx(first.elapsed_s * (3 * coarse + 4 * fine) / coarse, rel=1e-6)
    assert frames[-1].eta_s == 0
