"""Engine efficiency: seconds per iteration at 256/384/512 px, analytic FLOPs, fraction of peak.

    python benchmarks/engine.py [--sizes 256,384,512] [--repeats 5] [--compare-iterations 20]

One JSON line for the machine and its measured peak rates, then one per (size, convolution
algorithm): Winograd (the default) and oneDNN's direct convolution, timed in alternation so both
see the same machine. An iteration is one forward and one backward pass of VGG19 up to the deepest
layer in use (gatys: block5_conv2), the same compiled step the app and CLI run, after warm-up.
Last, a short L-BFGS run at 384 px with each algorithm: final losses and the PSNR between the two
pictures, to show the faster one paints the same picture.
"""
import argparse

import numpy as np

from common import CONTENT, STYLE, emit, machine, median_times, peak_rates, require_images
from nst_core import Settings, stylize
from nst_core.features import vgg_features
from nst_core.objective import get_objective
from nst_core.run import prepare_images
from nst_core.settings import CONV_ALGORITHMS
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


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="256,384,512")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--compare-iterations", type=int, default=20, help="0 skips the picture comparison")
    args = p.parse_args()
    require_images()
    rates = peak_rates()
    emit(kind="machine", **machine(), **{k: round(v, 1) if isinstance(v, float) else v for k, v in rates.items()})
    for size in map(int, args.sizes.split(",")):
        s = Settings(max_size=size)
        content, style = prepare_images(CONTENT, STYLE, s)
        cl, sl = s.layer_names
        x = content.astype(np.float32)
        steps = {}
        for conv in CONV_ALGORITHMS:
            objective = get_objective(vgg_features(s.weights, cl + sl, conv), cl, sl)
            targets = objective.targets(content, style)
            steps[conv] = lambda o=objective, t=targets: o(x, t, (1.0, 1e-5, 1.0), (0.2,) * 5, 1.0)
        seconds = median_times(steps, args.repeats)
        deepest = max(cl + sl, key=CONV_LAYERS.index)
        flops = 2 * vgg_flops(content.shape[:2], deepest)  # forward + input-gradient backward
        for conv, t in seconds.items():
            achieved = flops / t / 1e9
            emit(kind="engine", size=size, conv=conv, shape=list(content.shape[:2]), s_per_iter=round(t, 4),
                 gflop_per_iter=round(flops / 1e9, 2), achieved_gflops=round(achieved, 1),
                 frac_of_matmul_fp32=round(achieved / rates["matmul_fp32_gflops"], 3),
                 frac_of_conv_fp32=round(achieved / rates["conv3x3_float32_gflops"], 3),
                 frac_of_conv_bf16=round(achieved / rates["conv3x3_bfloat16_gflops"], 3)
                 if rates.get("conv3x3_bfloat16_gflops") else None,
                 speedup_vs_direct=round(seconds["direct"] / t, 2))
    if args.compare_iterations:
        results = {conv: list(stylize(CONTENT, STYLE, Settings(max_size=384, iterations=args.compare_iterations,
                                                               conv=conv)))[-1] for conv in CONV_ALGORITHMS}
        a, b = (results[c] for c in CONV_ALGORITHMS)
        emit(kind="same_picture", size=384, iterations=args.compare_iterations,
             **{f"loss_{c}": round(r.losses["total"], 2) for c, r in results.items()},
             loss_rel_diff=round(abs(a.losses["total"] / b.losses["total"] - 1), 5),
             psnr_db=round(psnr(a.image, b.image), 1))


if __name__ == "__main__":
    main()
