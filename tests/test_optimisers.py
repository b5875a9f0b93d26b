"""L-BFGS's first steps: a good step size however the loss is scaled (weights, image size)."""
import numpy as np
import pytest

from nst_core.optim.optimisers import LBFGS


def evaluations_to_reach(scale: float, fraction: float = 0.01, limit: int = 40) -> int:
    """Evaluations L-BFGS needs to cut a scaled quadratic over 64x64 'pixels' to ``fraction``."""
    rng = np.random.default_rng(0)
    target = rng.uniform(20, 235, (64, 64, 3)).astype(np.float32)
    opt = LBFGS(np.full_like(target, 128.0))
    try:
        first = None
        for n in range(1, limit + 1):
            x = opt.ask()
            loss = scale * float(np.sum((x - target) ** 2))
            first = first or loss
            if loss <= fraction * first:
                return n
            opt.tell(loss, 2 * scale * (x - target))
        return limit + 1
    finally:
        opt.close()


@pytest.mark.parametrize("scale", [1e-8, 1.0, 1e6])
def test_lbfgs_finds_the_step_size_at_once_whatever_the_loss_scale(scale):
    # Before scaling its variables, L-BFGS-B's first step moved pixels by a hair at small loss scales
    # and crawled for many evaluations: at 1024 px that was a minute of a multi-scale run.
    assert evaluations_to_reach(scale) <= 6



class _Enough(Exception):
    pass


def _points(monkeypatch, fast: bool) -> list:
    """The points L-BFGS-B evaluates (at most 60) on a bounded, badly conditioned problem whose
    optimum lies partly outside the box, through nst_core.optim.lbfgsb's fast or public path."""
    from nst_core.optim import lbfgsb

    monkeypatch.setattr(lbfgsb, "FAST", fast)
    rng = np.random.default_rng(1)
    target, scale = rng.uniform(-40, 300, 300), rng.uniform(0.01, 10, 300)
    seen = []

    def fun(x):
        if len(seen) == 60:
            raise _Enough  # as the run loop's Stop does: the optimiser unwinds
        seen.append(x.copy())
        d = x - target
        return float(np.sum(scale * d ** 2 + 1e-4 * d ** 4)), 2 * scale * d + 4e-4 * d ** 3

    try:
        lbfgsb.minimize_box(fun, np.full(300, 128.0), 0.0, 255.0, 10)
    except _Enough:
        pass
    return seen


def test_fast_lbfgsb_evaluates_the_same_points_as_scipys_minimize(monkeypatch):
    # The fast path skips scipy's per-variable start-up loops (seconds per tile at print sizes);
    # a user would notice a changed optimiser as different pictures from the same recipe.
    from nst_core.optim import lbfgsb

    if not lbfgsb.FAST:
        pytest.fail("this scipy's setulb is not the one nst_core.optim.lbfgsb drives: every start pays "
                    "scipy's Python loops again (pin scipy to a tested version or update the driver)")
    fast, public = _points(monkeypatch, True), _points(monkeypatch, False)
    assert len(fast) == len(public) >= 20
    for a, b in zip(fast, public):
        np.testing.assert_array_equal(a, b)
    assert fast[-1].min() == 0.0 and fast[-1].max() == 255.0  # the box held where the optimum is outside it


def test_lbfgsb_works_on_one_blas_thread_and_gives_the_others_back(monkeypatch):
    """setulb's vector operations wait on OpenBLAS's threads and leave them spinning beside the VGG
    step (a third of a 256 px run's time on 2 cores); numpy's BLAS elsewhere keeps its threads."""
    import threadpoolctl

    from nst_core.optim import lbfgsb

    def blas_threads():
        return {i["filepath"]: i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"}

    during, real = [], lbfgsb._SETULB
    monkeypatch.setattr(lbfgsb, "_SETULB", lambda *a: during.append(blas_threads()) or real(*a))
    with threadpoolctl.threadpool_limits(2, user_api="blas"):  # as on a machine with 2 cores or more
        before = blas_threads()
        _points(monkeypatch, True)
        assert blas_threads() == before and set(before.values()) == {2}
    assert len(during) > 20 and all(set(d.values()) == {1} for d in during)


def test_two_runs_in_setulb_at_once_give_the_blas_threads_back():
    """Two visitors' runs in one process overlap in setulb: the first to leave must not give BLAS its
    threads back under the other, nor the last leave it on one thread for the rest of the process."""
    import threadpoolctl

    from nst_core.optim.lbfgsb import one_blas_thread

    def blas_threads():
        return {i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"}

    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        first, second = one_blas_thread(), one_blas_thread()
        first.__enter__()
        second.__enter__()
        first.__exit__(None, None, None)  # the other run is still in setulb
        assert blas_threads() == {1}
        second.__exit__(None, None, None)
        assert blas_threads() == {2}


def _box_quadratic(n=600, seed=0):
    rng = np.random.default_rng(seed)
    a, b = rng.uniform(0.1, 10, n), rng.uniform(-60, 320, n)  # some minima outside the pixel box
    return (lambda x: (0.5 * float(np.sum(a * (x.ravel() - b) ** 2)), (a * (x.ravel() - b)).reshape(x.shape))), b


def _drive(opt, f, n):
    losses = []
    for _ in range(n):
        x = opt.ask()
        if x is None:
            break
        assert x.dtype == np.float32 and x.min() >= 0 and x.max() <= 255  # always a valid picture
        v, g = f(x)
        opt.tell(v, g)
        losses.append(v)
    return losses


def test_kept_lbfgs_reaches_the_best_picture_inside_the_box():
    from nst_core.tiles.kept_lbfgs import KeptLBFGS

    f, b = _box_quadratic()
    best_possible = f(np.clip(b, 0, 255).reshape(10, 20, 3))[0]
    losses = _drive(KeptLBFGS(np.full((10, 20, 3), 128, np.float32)), f, 60)
    assert min(losses) == pytest.approx(best_possible, rel=1e-4)


def test_a_tiles_next_visit_goes_on_from_the_curvature_it_left():
    # what a tile visited in several sweeps gains: its second visit starts with its pairs, not afresh
    from nst_core.tiles.kept_lbfgs import KeptLBFGS

    f, _ = _box_quadratic(seed=1)
    x0 = np.full((10, 20, 3), 128, np.float32)
    first = KeptLBFGS(x0)
    _drive(first, f, 8)
    assert len(first.pairs) >= 5
    kept = _drive(KeptLBFGS(x0, first.pairs), f, 2)
    fresh = _drive(KeptLBFGS(x0), f, 2)
    assert kept[0] == fresh[0]  # the same start; its first step is where they part
    assert kept[1] < 0.2 * fresh[1]
