"""Coarse-to-fine vs single scale at a large size: time to the same loss, and peak memory.

    python benchmarks/multiscale.py [--size 1024] [--single 45] [--final 25] [--save PREFIX]

The multi-scale run does Settings' coarse_iterations at each coarser scale and --final at the last.

Each configuration runs in its own process so that its peak RSS is its own. The single-scale
run's loss curve says when it reaches the loss the multi-scale run ends with (same objective,
same final size); if it never does within --single iterations, the figure is a lower bound.
"""
import argparse
import json
import resource
import subprocess
import sys

from common import ROOT, emit, require_images

CHILD = """
import json, sys
sys.path.insert(0, {root!r})
from nst_core import Settings, stylize
s = Settings(max_size={size}, iterations={iters}, preview_every=1, multiscale={multi})
for f in stylize({content!r}, {style!r}, s):
    print(json.dumps({{"it": f.iteration, "loss": f.losses["total"], "t": f.elapsed_s,
                      "shape": list(f.image.shape[:2]), "final": f.final}}), flush=True)
if {save!r}:
    from PIL import Image
    Image.fromarray(f.image).save({save!r})
"""


def run_child(size: int, iters: int, multi: bool, save: str = "") -> tuple[list[dict], float]:
    from common import CONTENT, STYLE

    code = CHILD.format(root=str(ROOT), size=size, iters=iters, multi=multi, content=str(CONTENT), style=str(STYLE),
                        save=save)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # max over children so far
    rows = [json.loads(line) for line in out.splitlines()]
    return rows, max(peak_kb, before) / 1024


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=1024)
    p.add_argument("--single", type=int, default=45)
    p.add_argument("--final", type=int, default=25, help="multi-scale: iterations at the final scale")
    p.add_argument("--save", default="", help="write the two results to PREFIX-multi.png and PREFIX-single.png")
    args = p.parse_args()
    require_images()
    # the smaller-footprint run first: ru_maxrss of children only ever grows
    save = lambda kind: args.save and f"{args.save}-{kind}.png"  # noqa: E731
    multi, multi_peak = run_child(args.size, args.final, True, save("multi"))
    single, single_peak = run_child(args.size, args.single, False, save("single"))
    target = multi[-1]["loss"]
    full = [r for r in single if not r["final"]]
    hit = next((r for r in full if r["loss"] <= target), None)
    emit(kind="multiscale", size=args.size, shape=multi[-1]["shape"], multi_iterations=multi[-1]["it"],
         multi_scales=sorted({max(r["shape"]) for r in multi}), multi_final_scale_iterations=args.final,
         multi_time_s=round(multi[-1]["t"], 1), multi_final_loss=round(target, 1), multi_peak_rss_mb=round(multi_peak),
         single_peak_rss_mb=round(single_peak), single_s_per_iter=round(full[-1]["t"] / len(full), 2),
         single_iterations_to_same_loss=hit and hit["it"], single_time_to_same_loss_s=hit and round(hit["t"], 1),
         single_best_loss_in_budget=round(min(r["loss"] for r in full), 1),
         single_budget_s=round(full[-1]["t"], 1),
         time_ratio=round((hit["t"] if hit else full[-1]["t"]) / multi[-1]["t"], 2),
         ratio_is_lower_bound=hit is None)


if __name__ == "__main__":
    main()
