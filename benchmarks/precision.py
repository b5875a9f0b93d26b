"""Which way to bfloat16 wins: the ways TensorFlow offers against the engine's own ``direct-bf16``.

    python benchmarks/precision.py [--size 512] [--repeats 5]

Each way runs in its own process (oneDNN reads its fpmath mode once per process; TF's
auto-mixed-precision rewrites every graph of the process), in turn, twice:

* ``plain``: no setting. The plain float32 step (a compiled Keras VGG19 to block5_conv2 with Gram and
  content losses: the yardstick), the same under Keras' ``mixed_bfloat16`` policy, and the engine's
  step with Winograd float32 and with ``direct-bf16``;
* ``fpmath``: ``TF_SET_ONEDNN_FPMATH_MODE=BF16`` (float32 graphs, oneDNN computes in bf16);
* ``amp``: ``auto_mixed_precision_onednn_bfloat16`` (TF rewrites float32 graphs to bf16 where it may).

Keras' policy applies to Keras layers only: the engine's VGG19 is plain TensorFlow ops, and
``direct-bf16`` is that policy written out (bf16 layers, float32 Grams and losses). Prints the
machine, then each (way, step) with its median seconds and its ratio to the plain float32 step
(the mean of the two ``plain`` processes' yardsticks).
"""
import argparse
import json
import os
import subprocess
import sys

from common import CONTENT, STYLE, emit, machine, median_times, require_images

WAYS = {"plain": {}, "fpmath": {"TF_SET_ONEDNN_FPMATH_MODE": "BF16"}, "amp": {"NST_BENCH_AMP": "1"}}


def worker(size: int, repeats: int) -> None:
    """In this process: time the steps its way can run, print {step: seconds}."""
    from nst_core.vgg.features import tf

    amp = os.environ.get("NST_BENCH_AMP") == "1"
    if amp:
        tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": True})
    import numpy as np

    from default_run import plain_step_seconds
    from nst_core import Settings
    from nst_core.engine.run import prepare_images
    from nst_core.vgg.features import vgg_features
    from nst_core.vgg.objective import get_objective

    s = Settings(max_size=size)
    content, style = prepare_images(CONTENT, STYLE, s)
    cl, sl = s.layer_names
    x = content.astype(np.float32)
    steps = {"plain Keras step": plain_step_seconds(content.shape[:2], build_only=True)}
    plain_way = "TF_SET_ONEDNN_FPMATH_MODE" not in os.environ and not amp
    if plain_way:
        steps["Keras mixed_bfloat16"] = plain_step_seconds(content.shape[:2], build_only=True, policy="mixed_bfloat16")
    for conv in ("winograd", "direct-bf16") if plain_way else ("direct",):
        objective = get_objective(vgg_features(s.weights, cl + sl, conv), cl, sl)
        targets = objective.targets(content, style)
        steps[f"engine {conv}"] = lambda o=objective, t=targets: o(x, t, (1.0, 20.0, 10.0), (0.2,) * 5, 1.0)
    print(json.dumps(median_times(steps, repeats)), flush=True)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    require_images()
    if args.worker:
        return worker(args.size, args.repeats)
    emit(kind="machine", **machine())
    results = {way: [] for way in WAYS}
    for _ in range(2):
        for way, env in WAYS.items():
            out = subprocess.run([sys.executable, __file__, "--worker", "--size", str(args.size), "--repeats",
                                  str(args.repeats)], env={**os.environ, **env}, capture_output=True, text=True,
                                 check=True)
            results[way].append(json.loads(out.stdout.strip().splitlines()[-1]))
    yardstick = sum(r["plain Keras step"] for r in results["plain"]) / 2
    for way, runs in results.items():
        for step in runs[0]:
            seconds = sorted(r[step] for r in runs)
            emit(kind="precision", way=way, step=step, size=args.size, seconds=[round(t, 3) for t in seconds],
                 vs_plain_float32=round(sum(seconds) / 2 / yardstick, 3))


if __name__ == "__main__":
    main()
