"""Photo mode's two candidates and the default run, side by side on photo-to-photo pairs, in one run.

    python benchmarks/photo.py [--size 512] [--pairs chelsea:rocket,...] [--sheet docs/photo_sheet.jpg]

For each pair (a photo and a "style photo", both shipped in examples/), in turn: the default run
(``Settings()``), the "photo-look" preset with ``photo_method="smooth"`` (Li et al. 2018's smoothing
after the run) and with ``photo_method="laplacian"`` (Luan et al. 2017's term in the loss). Each is
timed warm (VGG19 loaded and the step traced before), the three one after another so the machine's
noise hits them alike. Per result:

* ssim: the luminance's SSIM with the photo (nst_core.vgg.figures.luminance_ssim); the goal >= 0.80;
* palette_drop: 1 - d(R, S) / d(C, S), d the sliced Wasserstein palette distance; the goal >= 0.60;
* seconds, and the ratio to the default run's on the same pair; the goal <= 2.

Prints the CPU first, one JSON line per pair and run, and a summary with the medians; --sheet writes
a before/after sheet (photo, style photo, default, smooth, laplacian).
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from common import ROOT, emit, machine
from quality import contact_sheet

EXAMPLES = ROOT / "examples"
# (photo, style photo, what the pair is): the style photos are made by tools/make_photo_styles.py
PAIRS = [("coffee", "rocket", "a table by day to dusk"),
         ("coffee", "chelsea_cross_process", "a table to a cross-processed grade"),
         ("astronaut", "coffee_teal_orange", "a portrait to a teal-and-orange grade"),
         ("chelsea", "rocket", "a cat by day to dusk")]
CANDIDATES = ("default", "smooth", "laplacian")
GOALS = {"ssim": 0.80, "palette_drop": 0.60, "time_ratio": 2.0}


def candidate_settings(size: int) -> dict:
    from nst_core import Settings
    from nst_core.presets import load_presets

    photo = load_presets()["photo-look"].settings.replace(max_size=size)
    return {"default": Settings().replace(max_size=size), "smooth": photo.replace(photo_method="smooth"),
            "laplacian": photo.replace(photo_method="laplacian")}


def run(content, style, settings):
    from nst_core import stylize

    t = time.perf_counter()
    *_, final = stylize(content, style, settings)
    return final.image, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--pairs", help="comma-separated photo:style pairs of examples/ (default: the four above)")
    ap.add_argument("--only", default=",".join(CANDIDATES), help="comma-separated candidates to run")
    ap.add_argument("--sheet", help="write the before/after sheet here (JPEG or PNG)")
    args = ap.parse_args()
    from nst_core import load_image, warm_up
    from nst_core.imaging.images import resize
    from nst_core.vgg.figures import luminance_ssim, palette_drop

    pairs = ([(*p.split(":"), "") for p in args.pairs.split(",")] if args.pairs else PAIRS)
    settings = {k: v for k, v in candidate_settings(args.size).items() if k in args.only.split(",")}
    emit(kind="machine", **machine(), size=args.size, candidates={k: {f: getattr(s, f) for f in (
        "photo", "photo_method", "photo_strength", "content_weight", "style_weight", "tv_weight")}
        for k, s in settings.items()})
    warm_up(settings["default"] if "default" in settings else next(iter(settings.values())))
    records, rows = [], []
    for photo, style_name, what in pairs:
        content, style = load_image(EXAMPLES / f"{photo}.jpg"), load_image(EXAMPLES / f"{style_name}.jpg")
        row = [(content, photo), (style, style_name)]
        times = {}
        for name, s in settings.items():
            image, seconds = run(content, style, s)
            c = resize(content, image.shape[:2])
            times[name] = seconds
            record = {"kind": "run", "pair": f"{photo}:{style_name}", "what": what, "candidate": name,
                      "seconds": round(seconds, 1), "ssim": round(luminance_ssim(image, c), 3),
                      "palette_drop": round(palette_drop(image, c, style), 3)}
            if "default" in times:
                record["time_ratio"] = round(seconds / times["default"], 2)
            record["meets"] = {k: record[k] >= goal if k != "time_ratio" else record[k] <= goal
                               for k, goal in GOALS.items() if k in record}
            records.append(record)
            emit(**record)
            row.append((image, f"{name}: SSIM {record['ssim']:.2f}, palette {100 * record['palette_drop']:.0f} %"))
        rows.append(row)
    summary = {"kind": "summary"}
    for name in settings:
        mine = [r for r in records if r["candidate"] == name]
        summary[name] = {k: statistics.median(r[k] for r in mine) for k in ("seconds", "ssim", "palette_drop",
                                                                            "time_ratio") if k in mine[0]}
        summary[name]["pairs_meeting_all"] = sum(all(r["meets"].values()) for r in mine)
    emit(**summary)
    if args.sheet:
        contact_sheet(rows, Path(args.sheet), height=160)


if __name__ == "__main__":
    main()
