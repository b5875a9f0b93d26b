"""The subject mask, measured: its time and its overlap with the hand-drawn references.

For each example photo (examples/, shippable), at its own size and enlarged to 1024 px (the page's
mask canvas: a larger upload is fitted to it first), the median wall time and CPU time of
``subject_mask`` (the faces looked for, GrabCut at 320 px, the edge fitted at full size), and the IoU
against tests/data/subject_<name>.png where there is one.

    python benchmarks/subject.py [--repeats 5]
    python benchmarks/subject.py --sheet docs/subject_background.jpg

``--sheet`` writes photo | mask | result (the background in a painting, the subject kept) for two
portraits as one picture for docs/portraits-and-photos.md.
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from common import ROOT, emit, machine

PHOTOS = ("astronaut", "grace_hopper", "coffee", "chelsea")
SHEET = (("astronaut", "starry_night"), ("grace_hopper", "the_scream"))


def timed(fn, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``fn()`` after one warm-up call."""
    fn()
    wall, cpu = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu)


def measure(name: str, repeats: int) -> dict:
    from nst_core import load_image
    from nst_core.imaging.images import fit_size, resize
    from nst_core.imaging.subject import iou, subject_mask

    photo = load_image(ROOT / "examples" / f"{name}.jpg")
    big = resize(photo, fit_size(photo.shape[:2], 1024, enlarge=True))
    row = {"photo": name, "size": [photo.shape[1], photo.shape[0]]}
    for label, image in (("own", photo), ("1024", big)):
        wall, cpu = timed(lambda: subject_mask(image), repeats)
        row[f"wall_s_{label}"], row[f"cpu_s_{label}"] = round(wall, 3), round(cpu, 3)
    ref = ROOT / "tests" / "data" / f"subject_{name}.png"
    if ref.exists():
        from PIL import Image

        row["iou"] = round(iou(subject_mask(photo), np.asarray(Image.open(ref).convert("L"))), 3)
    return row


def sheet(out: Path, size: int) -> dict:
    from PIL import Image

    from nst_core import Settings, load_image, stylize
    from nst_core.imaging.subject import part_mask

    rows, seconds = [], []
    for photo_name, painting_name in SHEET:
        photo = load_image(ROOT / "examples" / f"{photo_name}.jpg")
        painting = load_image(ROOT / "examples" / f"{painting_name}.jpg")
        mask = part_mask(photo, "background")
        *_, last = stylize(photo, painting, Settings(max_size=size), mask=mask)
        seconds.append(round(last.elapsed_s, 1))
        h, w = last.image.shape[:2]
        tiles = [Image.fromarray(a).convert("RGB").resize((w, h), Image.LANCZOS) for a in (photo, mask)]
        rows.append([*tiles, Image.fromarray(last.image)])
    w, h = rows[0][0].size
    heights = [r[0].size[1] * w // r[0].size[0] for r in rows]
    im = Image.new("RGB", (3 * w + 8, sum(heights) + 4 * (len(rows) - 1)), "white")
    y = 0
    for row, rh in zip(rows, heights):
        for i, tile in enumerate(row):
            im.paste(tile.resize((w, rh), Image.LANCZOS), (i * (w + 4), y))
        y += rh + 4
    im.save(out, quality=88)  # a JPEG keeps the docs' picture small
    return {"sheet": str(out), "size": size, "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sheet", help="write the photo | mask | result sheet here")
    ap.add_argument("--size", type=int, default=384, help="the sheet's pictures' size")
    args = ap.parse_args()
    emit(**machine())
    if args.sheet:
        emit(**sheet(Path(args.sheet), args.size))
        return
    rows = [measure(n, args.repeats) for n in PHOTOS]
    for r in rows:
        emit(**r)
    emit(summary=True, worst_iou=min(r["iou"] for r in rows if "iou" in r),
         worst_wall_s_1024=max(r["wall_s_1024"] for r in rows), worst_cpu_s_1024=max(r["cpu_s_1024"] for r in rows))


if __name__ == "__main__":
    main()
