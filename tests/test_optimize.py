"""L-BFGS's first steps: a good step size however the loss is scaled (weights, image size)."""
import numpy as np
import pytest

from nst_core.optimize import LBFGS


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
