"""A tile visited in several sweeps: scipy's L-BFGS-B started afresh each visit, against nst_core.tiles.kept_lbfgs
carrying the tile's pairs from one visit to the next. Prints JSON lines.

1. Loss after 30 evaluations from the same start (a picture 20 evaluations into its run, whole, at
   --size), in one run or in three runs of 10: what restarting costs, without tiles in the way.
2. The optimiser's own time per evaluation on a 704 x 704 crop (a 640 px tile with its context),
   the objective a cheap quadratic: what it adds to every tile-iteration.

    python benchmarks/kept_history.py [--size 512] [--pairs chelsea:starry_night,tubingen:starry_night]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from common import emit, machine, require_images
from quality import image_path


def _drive(opt, f, n: int, best):
    for _ in range(n):
        x = opt.ask()
        if x is None:
            break
        v, g = f(x)
        opt.tell(v, g)
        if v < best[0]:
            best[:] = [v, x]
    opt.close()
    return opt


def restarts(photo: str, painting: str, size: int) -> None:
    from nst_core import Settings, load_image
    from nst_core.tiles.kept_lbfgs import KeptLBFGS
    from nst_core.optim.optimisers import LBFGS
    from nst_core.engine.run import make_objective, size_images

    s = Settings(enlarge=True)
    obj = make_objective(s)
    c, (st,) = size_images(load_image(image_path(photo)), [load_image(image_path(painting))], size, s)
    targets = obj.targets(c, st)

    def f(x):
        total, _, g = obj(x, targets, (s.content_weight, s.style_weight, s.tv_weight),
                          s.normalized_style_layer_weights, s.tv_power)
        return total, g

    def run(make, chunks: int, carry: bool, x0):
        best, pairs = [f(x0)[0], x0], None
        for _ in range(chunks):
            opt = _drive(make(best[1], pairs), f, 30 // chunks, best)
            pairs = getattr(opt, "pairs", None) if carry else None
        return best[0]

    start = [np.inf, c.astype(np.float32)]
    _drive(LBFGS(start[1]), f, 20, start)
    x0 = start[1]
    scipy = lambda x, _: LBFGS(x)  # noqa: E731
    kept = lambda x, pairs: KeptLBFGS(x, pairs)  # noqa: E731
    emit(kind="restarts", pair=f"{photo}:{painting}", size=size, start=round(float(start[0]), 4),
         scipy_1x30=round(run(scipy, 1, False, x0), 4), scipy_3x10=round(run(scipy, 3, False, x0), 4),
         kept_1x30=round(run(kept, 1, False, x0), 4), kept_3x10_fresh=round(run(kept, 3, False, x0), 4),
         kept_3x10_carried=round(run(kept, 3, True, x0), 4))


def overhead(side: int = 704, n: int = 20) -> None:
    from nst_core.tiles.kept_lbfgs import KeptLBFGS
    from nst_core.optim.optimisers import LBFGS

    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2, (side, side, 3)).astype(np.float32)
    b = rng.uniform(0, 255, (side, side, 3)).astype(np.float32)

    def f(x):
        d = x - b
        return float(0.5 * np.sum(a * d * d)), a * d

    out = {}
    for round_ in range(2):  # alternated, twice: the machine is shared
        for name, make in (("scipy", LBFGS), ("kept", KeptLBFGS)):
            opt, spent = make(np.full((side, side, 3), 128, np.float32)), 0.0
            t0 = time.perf_counter()
            for _ in range(n):
                x = opt.ask()
                t1 = time.perf_counter()
                v, g = f(x)
                spent += time.perf_counter() - t1
                opt.tell(v, g)
            opt.close()
            out.setdefault(name, []).append((time.perf_counter() - t0 - spent) / n)
    emit(kind="overhead", crop=f"{side}x{side}", **{f"{k}_s_per_evaluation": round(min(v), 3) for k, v in out.items()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--pairs", default="chelsea:starry_night,tubingen:starry_night")
    args = ap.parse_args()
    require_images()
    emit(kind="machine", **machine())
    overhead()
    for pair in args.pairs.split(","):
        restarts(*pair.split(":"), args.size)


if __name__ == "__main__":
    main()
