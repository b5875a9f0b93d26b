"""Refine from the fast path vs from the photo: iterations and seconds to reach the same loss.

    python benchmarks/refine.py [--size 256] [--reference 80] [--max 200]

The target is the loss a run from the photo (the default start) has after --reference iterations;
the fast start is charged for its own model call too.
"""
import argparse
import os

from common import CONTENT, ROOT, STYLE, emit, require_images
from nst_core import Settings, stylize

LOCAL = ROOT.parent / "shared" / "hub" / "magenta_arbitrary_lite"


def curve(settings: Settings) -> list[tuple[int, float, float]]:
    return [(f.iteration, f.losses["total"], f.elapsed_s) for f in stylize(CONTENT, STYLE, settings) if not f.final]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--reference", type=int, default=80)
    p.add_argument("--max", type=int, default=200)
    args = p.parse_args()
    require_images()
    handle = os.environ.get("NST_HUB_MODEL") or (str(LOCAL) if LOCAL.exists() else None)
    base = Settings(max_size=args.size, preview_every=1, iterations=args.max,
                    **({"hub_model": handle} if handle else {}))
    list(stylize(CONTENT, STYLE, base.replace(iterations=2, init="fast")))  # load both models first
    photo = curve(base.replace(iterations=args.reference + 1))
    target = photo[args.reference - 1][1]
    t_photo = photo[args.reference - 1][2]
    fast = curve(base.replace(init="fast"))
    hit = next(((i, t) for i, loss, t in fast if loss <= target), None)
    emit(kind="refine", size=args.size, target_loss=round(target, 1), photo_iterations=args.reference,
         photo_s=round(t_photo, 1), fast_iterations=hit and hit[0], fast_s=hit and round(hit[1], 1),
         fast_start_loss=round(fast[0][1], 1), photo_start_loss=round(photo[0][1], 1),
         time_ratio=hit and round(t_photo / hit[1], 2))


if __name__ == "__main__":
    main()
