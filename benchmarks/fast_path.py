"""Fast path: seconds per image after the first call (the Magenta model or its stand-in).

    python benchmarks/fast_path.py [--size 512] [--amp]

``--amp`` turns on TensorFlow's auto-mixed-precision for oneDNN (bf16) in this process first, to see
whether bf16 would serve the Magenta model too (the app does not: the option rewrites every graph of
the process). Run once with and once without, in turn.
"""
import argparse
import os
import time

from common import CONTENT, ROOT, STYLE, emit, machine, median_time, require_images
from nst_core import Settings, fast_stylize, load_image

LOCAL = ROOT.parent / "shared" / "hub" / "magenta_arbitrary_lite"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--amp", action="store_true")
    args = p.parse_args()
    require_images()
    emit(kind="machine", **machine())
    if args.amp:
        from nst_core.vgg.features import tf

        tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": True})
    handle = os.environ.get("NST_HUB_MODEL") or (str(LOCAL) if LOCAL.exists() else None)
    s = Settings(max_size=args.size, **({"hub_model": handle} if handle else {}))
    content, style = load_image(CONTENT), load_image(STYLE)
    t = time.perf_counter()
    out = fast_stylize(content, style, s)
    first = time.perf_counter() - t
    med = median_time(lambda: fast_stylize(content, style, s), repeats=7, warmup=1)
    emit(kind="fast_path", model=s.hub_model, amp=args.amp, shape=list(out.shape[:2]), first_call_s=round(first, 2),
         s_per_image=round(med, 3), images_per_s=round(1 / med, 1))


if __name__ == "__main__":
    main()
