"""Pictures per hour for a batch: 8 pairs (2 photos x 4 paintings) at 256 px (the cpu-quick preset), in
one process against a local Ray with 2 workers of 1 core each.

Both are timed cold, as a user starts them (TensorFlow's import and VGG19's build included: once for
the process, once per Ray worker), and each picture's own seconds are kept, from which the steady
rate of one task-sized slot follows: what each further node adds, on paper. The Ray pictures are
checked against the one-process ones pixel for pixel. ``--quick``: 2 pairs at 64 px, to try the script.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import SHARED_IMAGES, emit, machine

PHOTOS = ("tubingen.jpg", "golden_gate.jpg")
PAINTINGS = ("starry_night.jpg", "the_scream.jpg", "woman-with-hat-matisse.jpg", "picasso_selfport1907.jpg")


def _psnr(a: Path, b: Path) -> float:
    import numpy as np
    from PIL import Image

    x, y = (np.asarray(Image.open(p).convert("RGB"), np.float64) for p in (a, b))
    mse = float(((x - y) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)


def timed(label: str, pairs, settings, out: Path, **how) -> dict:
    from nst_core.batches.driver import run_batch

    t = time.perf_counter()
    report = run_batch(pairs, out, settings, **how)
    wall = time.perf_counter() - t
    done = [o for o in report.outcomes if o.status == "done"]
    per = sorted(o.seconds for o in done)
    record = {"kind": "batch", "mode": label, "pictures": len(done), "failed": report.count("failed"),
              "wall_s": round(wall, 1), "pictures_per_hour": round(len(done) / wall * 3600, 1),
              "picture_s": [round(s, 1) for s in per],
              # the first picture on each process carries TensorFlow's start; the median does not
              "median_picture_s": round(statistics.median(per), 1) if per else None}
    emit(**record)
    return record


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="2 pairs at 64 px, to try the script")
    args = p.parse_args()
    missing = [n for n in PHOTOS + PAINTINGS if not (SHARED_IMAGES / n).exists()]
    if missing:
        raise SystemExit(f"skipped: the batch benchmark needs {', '.join(missing)} in {SHARED_IMAGES}")
    from nst_core.batches.pairs import cross_pairs
    from nst_core.presets import load_presets

    emit(kind="machine", **machine())
    settings = load_presets()["cpu-quick"].settings
    photos, paintings = [SHARED_IMAGES / n for n in PHOTOS], [SHARED_IMAGES / n for n in PAINTINGS]
    if args.quick:
        settings, paintings = settings.replace(max_size=64, iterations=3), paintings[:1]
    pairs = cross_pairs(photos, paintings)
    emit(kind="settings", preset="cpu-quick", pairs=len(pairs), max_size=settings.max_size,
         iterations=settings.iterations, multiscale=settings.multiscale, conv=settings.conv)
    with tempfile.TemporaryDirectory() as d:
        one = timed("one process (2 cores)", pairs, settings, Path(d) / "one", use_ray=False)
        ray = timed("Ray, 2 workers x 1 core", pairs, settings, Path(d) / "ray", use_ray=True, num_cpus=2,
                    cpus_per_task=1)
        psnr = [_psnr(Path(d) / "one" / q.name, Path(d) / "ray" / q.name) for q in pairs]
    slot = ray["median_picture_s"]
    # Not identical at 256 px: a 1-core task runs TensorFlow on 1 thread, the process on 2, and the
    # sums round differently; L-BFGS carries the difference on (same thread count: same pixels).
    differ = [v for v in psnr if v != float("inf")]
    emit(kind="scaling", identical_pictures=not differ, psnr_db_min=round(min(differ), 1) if differ else None,
         ray_over_one_process=round(ray["pictures_per_hour"] / one["pictures_per_hour"], 2),
         # on paper: each 1-core slot paints a picture every `slot` seconds once its worker is up, so a
         # cluster of N such cores approaches N x 3600 / slot pictures per hour
         steady_per_core_per_hour=round(3600 / slot, 1) if slot else None)


if __name__ == "__main__":
    main()
