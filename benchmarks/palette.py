"""Palette only: how long it takes at 512 px and how near each way comes to the painting's palette.

    python benchmarks/palette.py [--repeats 15] [--size 512]

Prints JSON lines: the CPU; then the median seconds of ``palette_only`` from the files (decode, fit,
transfer) and of each way's transfer alone on decoded pictures, all timed side by side in turn; then,
per pair, each way's palette distance to the painting (sliced Wasserstein-1 in levels, as in
nst_core/vgg/figures.py; the photo's own for reference) and how well the photo's light and dark
survive (rank correlation of the luma, 1 = every pixel keeps its order). The example pairs are always
there; ../shared/images adds Tübingen and the Golden Gate.
"""
from __future__ import annotations

import argparse

import numpy as np

from common import ROOT, SHARED_IMAGES, emit, median_times

from nst_core import Settings, palette_only
from nst_core.imaging.colour import PALETTE_METHOD, PALETTES
from nst_core.imaging.images import fit_size, load_image, resize
from nst_core.machine import cpu_info
from nst_core.vgg.figures import palette_distance

EX = ROOT / "examples"
PAIRS = [(EX / "astronaut.jpg", EX / "the_scream.jpg"), (EX / "coffee.jpg", EX / "starry_night.jpg"),
         (EX / "chelsea.jpg", EX / "woman-with-hat-matisse.jpg"), (EX / "grace_hopper.jpg", EX / "starry_night.jpg"),
         (SHARED_IMAGES / "tubingen.jpg", SHARED_IMAGES / "starry_night.jpg"),
         (SHARED_IMAGES / "golden_gate.jpg", SHARED_IMAGES / "the_scream.jpg")]


def sized(path, side: int) -> np.ndarray:
    im = load_image(path)
    return resize(im, fit_size(im.shape[:2], side, enlarge=True))


def luma_order(rgb: np.ndarray) -> np.ndarray:
    return np.argsort(np.argsort(rgb.reshape(-1, 3).astype(np.float64) @ [0.299, 0.587, 0.114]))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--size", type=int, default=512)
    args = p.parse_args()
    cpu = cpu_info()
    emit(cpu=cpu["model"], cpu_count=__import__("os").cpu_count(), chosen=PALETTE_METHOD)

    photo, painting = PAIRS[0]  # a 512x512 photo, a 1200x1528 painting: decoding is part of the wait
    s = Settings(max_size=args.size, enlarge=True)
    c, st = sized(photo, args.size), sized(painting, 512)
    fns = {"palette_only from files": lambda: palette_only(photo, painting, s)}
    fns.update({f"{k} transfer": (lambda f=f: f(c, st)) for k, f in PALETTES.items()})
    times = median_times(fns, repeats=args.repeats, warmup=2)
    emit(size=args.size, repeats=args.repeats, median_s={k: round(v, 4) for k, v in times.items()})

    means = {k: [] for k in PALETTES}
    for photo, painting in PAIRS:
        if not photo.exists():
            continue
        c, st = sized(photo, 256), sized(painting, 256)
        outs = {k: f(c, st) for k, f in PALETTES.items()}
        dist = {k: round(palette_distance(o, st), 2) for k, o in outs.items()}
        kept = {k: round(float(np.corrcoef(luma_order(c), luma_order(o))[0, 1]), 3) for k, o in outs.items()}
        for k in dist:
            means[k].append(dist[k])
        emit(pair=f"{photo.stem}:{painting.stem}", photo_palette=round(palette_distance(c, st), 2),
             palette=dist, luma_kept=kept)
    emit(mean_palette={k: round(float(np.mean(v)), 2) for k, v in means.items()})


if __name__ == "__main__":
    main()
