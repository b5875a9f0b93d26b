"""Engine efficiency: seconds per iteration at 256/384/512 px, analytic FLOPs, fraction of peak.

    python benchmarks/engine.py [--sizes 256,384,512] [--repeats 5]

One JSON line for the machine and its measured peak rates, then one per size. An iteration is one
forward and one backward pass of VGG19 up to the deepest layer in use (gatys: block5_conv2),
the same compiled step the app and CLI run, timed after warm-up, median of --repeats.
"""
import argparse

import numpy as np

from common import CONTENT, STYLE, emit, machine, median_time, peak_rates, require_images
from nst_core import Settings
from nst_core.features import vgg_features
from nst_core.objective import get_objective
from nst_core.run import prepare_images
from nst_core.weights import CONV_LAYERS, load_weights


def vgg_flops(shape: tuple[int, int], deepest: str) -> float:
    """Forward FLOPs of the conv layers up to ``deepest`` (2 * 9 * C_in * C_out per output pixel)."""
    weights = load_weights("embedded")
    h, w = shape
    total, block = 0.0, 1
    for name in CONV_LAYERS:
        b = int(name[5])
        if b != block:  # a 2x2 pool sits between blocks
            h, w, block = h // 2, w // 2, b
        kh, kw, cin, cout = weights[name][0].shape
        total += 2 * kh * kw * cin * cout * h * w
        if name == deepest:
            break
    return total


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="256,384,512")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    require_images()
    rates = peak_rates()
    emit(kind="machine", **machine(), **{k: round(v, 1) if isinstance(v, float) else v for k, v in rates.items()})
    for size in map(int, args.sizes.split(",")):
        s = Settings(max_size=size)
        content, style = prepare_images(CONTENT, STYLE, s)
        cl, sl = s.layer_names
        objective = get_objective(vgg_features(s.weights, cl + sl), cl, sl)
        targets = objective.targets(content, style)
        x = content.astype(np.float32)
        t = median_time(lambda: objective(x, targets, (1.0, 1e-5, 1.0), (0.2,) * 5, 1.0), args.repeats)
        deepest = max(cl + sl, key=CONV_LAYERS.index)
        flops = 2 * vgg_flops(content.shape[:2], deepest)  # forward + input-gradient backward
        achieved = flops / t / 1e9
        emit(kind="engine", size=size, shape=list(content.shape[:2]), s_per_iter=round(t, 4),
             gflop_per_iter=round(flops / 1e9, 2), achieved_gflops=round(achieved, 1),
             frac_of_matmul_fp32=round(achieved / rates["matmul_fp32_gflops"], 3),
             frac_of_conv_fp32=round(achieved / rates["conv3x3_float32_gflops"], 3))


if __name__ == "__main__":
    main()
