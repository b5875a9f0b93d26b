"""Engine efficiency: seconds per iteration at 256/384/512 px, analytic FLOPs, fraction of peak.

    python benchmarks/engine.py [--sizes 256,384,512] [--repeats 5] [--compare-iterations 20] [--bf16]

One JSON line for the machine and its measured peak rates; one for what ``conv="auto"`` picks here
from a cold cache, and how long picking took; then one per (size, convolution path): the paths
``auto`` considers on this CPU (float32 Winograd and oneDNN direct; bfloat16 ones where the CPU has
native bf16, or with --bf16), and a plain compiled Keras VGG19 float32 step (oneDNN, to
block5_conv2, Gram and content losses: the reference issue 15 measures against), all timed in
alternation so they see the same machine. An iteration is one forward and one backward pass of VGG19 up to the deepest
layer in use (gatys: block5_conv2), the same compiled step the app and CLI run, after warm-up.
Last, a short L-BFGS run at 384 px with each algorithm: final losses and the PSNR between the two
pictures, to show the faster one paints the same picture.
"""
import argparse
import atexit
import os
import shutil

import numpy as np

from common import CONTENT, STYLE, emit, machine, median_times, peak_rates, require_images
from nst_core import Settings, stylize
from nst_core.vgg.features import vgg_features
from nst_core.vgg.objective import get_objective
from nst_core.engine.run import prepare_images
from nst_core.optim import autotune
from nst_core.optim.autotune import psnr
from nst_core.vgg.weights import CONV_LAYERS, load_weights


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
    p.add_argument("--compare-iterations", type=int, default=20, help="0 skips the picture comparison")
    p.add_argument("--bf16", action="store_true", help="also time the bf16 paths (emulated, slow, without native bf16)")
    args = p.parse_args()
    require_images()
    rates = peak_rates()
    emit(kind="machine", **machine(), **{k: round(v, 1) if isinstance(v, float) else v for k, v in rates.items()})
    import tempfile
    import time

    from default_run import plain_step_seconds

    os.environ["NST_CACHE_DIR"] = tempfile.mkdtemp(prefix="nst-cache-")  # a cold choice, timed here
    atexit.register(shutil.rmtree, os.environ["NST_CACHE_DIR"], True)
    t = time.perf_counter()
    choice = autotune.choose()
    emit(kind="auto", chosen=choice.conv, seconds_per_step=choice.seconds_per_step, rejected=choice.rejected,
         choose_s=round(time.perf_counter() - t, 2))
    convs = autotune.candidates(autotune.cpu_info()["flags"])
    convs = tuple(dict.fromkeys(convs + (autotune.BF16_CONVS if args.bf16 else ())))
    for size in map(int, args.sizes.split(",")):
        s = Settings(max_size=size)
        content, style = prepare_images(CONTENT, STYLE, s)
        cl, sl = s.layer_names
        x = content.astype(np.float32)
        steps = {}
        for conv in convs:
            objective = get_objective(vgg_features(s.weights, cl + sl, conv), cl, sl)
            targets = objective.targets(content, style)
            steps[conv] = lambda o=objective, t=targets: o(x, t, (1.0, 20.0, 10.0), (0.2,) * 5, 1.0)
        steps["plain-keras-fp32"] = plain_step_seconds(content.shape[:2], build_only=True)
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
                 speedup_vs_direct=round(seconds["direct"] / t, 2),
                 vs_plain_keras_fp32=round(t / seconds["plain-keras-fp32"], 3))
        emit(kind="auto_at_size", size=size, chosen=choice.conv,
             auto_vs_plain_keras_fp32=round(seconds[choice.conv] / seconds["plain-keras-fp32"], 3),
             auto_vs_winograd_fp32=round(seconds[choice.conv] / seconds["winograd"], 3))
    if args.compare_iterations:  # single scale, from the photo, the same start for every path
        s = Settings(max_size=384, iterations=args.compare_iterations, multiscale=False)
        results = {conv: list(stylize(CONTENT, STYLE, s.replace(conv=conv)))[-1] for conv in convs}
        ref = results["winograd"]
        for conv, r in results.items():
            emit(kind="same_picture", size=384, iterations=args.compare_iterations, conv=conv,
                 loss=round(r.losses["total"], 4), loss_rel_diff_vs_winograd=round(abs(r.losses["total"] /
                                                                                    ref.losses["total"] - 1), 5),
                 psnr_db_vs_winograd=round(psnr(r.image, ref.image), 1))


if __name__ == "__main__":
    main()
