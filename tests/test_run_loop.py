"""The run loop with a tiny stand-in model: frames, cancellation, L-BFGS state, no retracing."""
import dataclasses
import threading

import numpy as np
import pytest

from conftest import TINY_LAYERS, synthetic_painting, synthetic_photo
from nst_core import Settings, stylize
from nst_core.vgg.objective import get_objective


def run(settings, extractor, content=None, style=None):
    content = synthetic_photo() if content is None else content
    style = synthetic_painting() if style is None else style
    return list(stylize(content, style, settings, extractor=extractor))


def tiny(**kw):
    base = dict(iterations=20, max_size=64, preview_every=5, style_weight=1.0, **TINY_LAYERS)
    return Settings(**{**base, **kw})


def test_frames_arrive_every_k_iterations_and_the_last_is_final(tiny_extractor):
    frames = run(tiny(), tiny_extractor)
    assert [f.iteration for f in frames] == [5, 10, 15, 20]
    assert [f.final for f in frames] == [False, False, False, True]
    last = frames[-1]
    assert last.image.dtype == np.uint8 and last.image.shape == (48, 64, 3)  # 96x128 fitted to 64
    assert set(last.losses) == {"content", "style", "tv", "total"}
    assert last.losses["total"] == pytest.approx(sum(last.losses[k] for k in ("content", "style", "tv")), rel=1e-5)
    assert all(b.elapsed_s >= a.elapsed_s for a, b in zip(frames, frames[1:]))


@pytest.mark.parametrize("optimizer", ["lbfgs", "adam", "sgd"])
def test_every_optimizer_lowers_the_loss(tiny_extractor, optimizer):
    # SGD's rate is the first step in pixel levels (scaled by the first gradient), whatever the
    # model's gradient scale; from noise, 10 levels a step
    lr = 10.0 if optimizer == "sgd" else 0.0
    frames = run(tiny(optimizer=optimizer, preview_every=1, iterations=15, init="noise", learning_rate=lr),
                 tiny_extractor)
    assert frames[-1].losses["total"] < 0.5 * frames[0].losses["total"]


def lbfgs_threads():
    return [t for t in threading.enumerate() if t.name == "lbfgs" and t.is_alive()]


def test_closing_the_generator_stops_the_work(tiny_extractor):
    before = len(lbfgs_threads())
    gen = stylize(synthetic_photo(), synthetic_painting(), tiny(iterations=5000, preview_every=1),
                  extractor=tiny_extractor)
    first = next(gen)
    assert first.iteration == 1 and len(lbfgs_threads()) == before + 1
    gen.close()  # (how soon: benchmarks/stop.py)
    assert len(lbfgs_threads()) == before  # the optimiser's worker is gone once close returns


def test_lbfgs_state_survives_preview_frames(tiny_extractor):
    """Frames are observations only: the optimisation does not restart at a preview."""
    every1 = {f.iteration: f.losses["total"] for f in run(tiny(iterations=100, preview_every=1), tiny_extractor)}
    every50 = {f.iteration: f.losses["total"] for f in run(tiny(iterations=100, preview_every=50), tiny_extractor)}
    assert every50[50] == every1[50]
    assert every50[100] == every1[100]


def test_no_retracing_between_iterations_runs_weights_or_sizes(tiny_extractor):
    objective = get_objective(tiny_extractor, TINY_LAYERS["content_layers"], TINY_LAYERS["style_layers"])
    compiled = (objective.step, objective.first_step, objective.content_fn, objective.style_fn)
    run(tiny(iterations=3), tiny_extractor)
    run(tiny(iterations=2, init="noise"), tiny_extractor)
    traces = [f.experimental_get_tracing_count() for f in compiled]
    assert traces == [1, 1, 1, 1]
    run(tiny(iterations=6, style_weight=5.0, tv_weight=2.0, max_size=80), tiny_extractor)
    run(tiny(iterations=4, content_weight=0.1), tiny_extractor,
        content=synthetic_photo(70, 50), style=synthetic_painting(60, 120))
    run(tiny(iterations=2, init="noise", max_size=72), tiny_extractor)
    assert [f.experimental_get_tracing_count() for f in compiled] == traces


def test_first_step_at_the_content_matches_precomputed_targets(tiny_extractor):
    """The first step makes the content targets itself; the losses and gradient must not change."""
    objective = get_objective(tiny_extractor, TINY_LAYERS["content_layers"], TINY_LAYERS["style_layers"])
    content, style = synthetic_photo(), synthetic_painting()
    full = objective.targets(content, style)
    x = content.astype(np.float32)
    knobs = ((1.0, 1e-3, 1.0), (0.5, 0.5), 1.0)
    total, parts, grad = objective(x, full, *knobs)
    total2, parts2, grad2, filled = objective.at_content(x, dataclasses.replace(full, content=None), *knobs)
    assert total2 == pytest.approx(total, rel=1e-6) and parts2["content"] == 0.0
    np.testing.assert_allclose(grad2, grad, rtol=1e-5, atol=1e-6)
    for a, b in zip(filled.content, full.content):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_style_grams_are_cached_per_image_not_shared_across_images(tiny_extractor):
    objective = get_objective(tiny_extractor, TINY_LAYERS["content_layers"], TINY_LAYERS["style_layers"])
    style = synthetic_painting()
    first = objective.style_targets(style)
    traces = objective.style_fn.experimental_get_tracing_count()
    assert objective.style_targets(style.copy()) is first  # same pixels: no second forward pass
    other = objective.style_targets(style[::-1].copy())
    assert other is not first and not np.allclose(other[0].numpy(), first[0].numpy())
    assert objective.style_fn.experimental_get_tracing_count() == traces


def test_a_diverging_run_stops_with_a_message_and_keeps_the_best_image(tiny_extractor):
    from nst_core.vgg.features import tf

    calls = tf.Variable(0)

    def breaks_after_five_iterations(x):  # 1 call for the style targets, then one per iteration
        calls.assign_add(1)
        scale = tf.where(calls > 6, float("nan"), 1.0)
        return {k: v * scale for k, v in tiny_extractor(x).items()}

    frames = run(tiny(iterations=30, preview_every=1), breaks_after_five_iterations)
    last = frames[-1]
    assert last.final and "became nan at iteration 6" in last.message
    assert last.iteration == 5 and np.isfinite(last.losses["total"])
    assert last.losses["total"] == min(f.losses["total"] for f in frames[:-1])


def test_same_seed_gives_identical_images(tiny_extractor):
    a = run(tiny(init="noise", seed=7), tiny_extractor)[-1].image
    b = run(tiny(init="noise", seed=7), tiny_extractor)[-1].image
    c = run(tiny(init="noise", seed=8), tiny_extractor)[-1].image
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_xla_compiled_step_gives_the_same_losses(tiny_extractor):
    plain = run(tiny(iterations=3, preview_every=1), tiny_extractor)
    xla = run(tiny(iterations=3, preview_every=1, xla=True), tiny_extractor)
    for a, b in zip(plain, xla):
        assert b.losses["total"] == pytest.approx(a.losses["total"], rel=1e-3)


def test_prepare_does_the_style_pass_before_the_click(tiny_extractor):
    """The app prepares when a painting is dropped; the run then spends no pass on the style."""
    from nst_core import prepare
    from nst_core.vgg.features import tf

    calls = tf.Variable(0)

    def counting(x):
        calls.assign_add(1)
        return tiny_extractor(x)

    s = tiny(iterations=3, preview_every=1)
    assert prepare(None, synthetic_painting(), s, extractor=counting)  # photo assumed >= max_size
    assert int(calls.numpy()) == 1
    run(s, counting)
    assert int(calls.numpy()) == 1 + 3  # one pass per iteration, none for the targets
    assert not prepare(None, synthetic_painting(), s.replace(preserve_colors="match"), extractor=counting)


def test_a_run_stopped_before_its_first_step_ends_with_its_start_picture_and_raises_nothing(tiny_extractor):
    """A Stop that comes before the run has begun (a visitor who stopped it while it waited) still
    ends in one final, stopped frame: the picture it would have started from, never an exception."""
    from conftest import TINY_LAYERS, synthetic_painting, synthetic_photo
    from nst_core import RunControl, Settings, stylize

    control = RunControl()
    control.stop()
    s = Settings(iterations=5, max_size=64, **TINY_LAYERS)
    frames = list(stylize(synthetic_photo(), synthetic_painting(), s, extractor=tiny_extractor, control=control))
    assert len(frames) == 1 and frames[0].final and frames[0].stopped
    assert frames[0].image.shape == (48, 64, 3) and frames[0].iteration == 0


def test_the_eta_does_not_count_the_time_before_the_first_iteration_again():
    """Seconds spent before the first preview (decoding, the painting's Grams, tracing) are not a
    rate: a run that then paints at a steady pace is told the time its remaining work takes."""
    from nst_core.optim.state import STEP_OVERHEAD_PX, RunState
    from nst_core import Settings

    run = RunState(Settings(), None, [(1000 - STEP_OVERHEAD_PX, 10)])  # an iteration's work: 1000 units
    assert run.eta(1, 20.0) == pytest.approx(20.0 * 9)  # one point: the whole time so far is all we know
    assert run.eta(3, 22.0) == pytest.approx(1.0 * 7)  # then 1 s an iteration: 7 left
