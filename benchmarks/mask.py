"""Regional style, measured: a mask whose left half is white, on landscape photos at 384 px.

For each pair, at the defaults with max_size 384 and that mask:

* right_mad: mean absolute difference (levels) between the result's right half and the photo's;
* texture_left / texture_right: quality.py's texture distance to the painting of each half (lower is
  closer); their ratio should be well below 1 (the style went left only).

    python benchmarks/mask.py [--size 384] [--pairs tubingen:starry_night,...] [--save DIR]
    python benchmarks/mask.py --two-styles docs/two_styles.jpg

``--two-styles`` paints scikit-image's rocket photo (public domain) with its sky in The Starry Night
and the rest in The Scream (the examples' small copies), the sky mask found from the photo's colour,
and writes photo | mask | result as one PNG for the README.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from common import ROOT, SHARED_IMAGES, emit, machine
from quality import Scorer

PAIRS = (("tubingen", "starry_night"), ("tubingen", "the_scream"), ("golden_gate", "starry_night"),
         ("golden_gate", "woman-with-hat-matisse"))


def left_half(shape: tuple[int, int]) -> np.ndarray:
    m = np.zeros(shape, np.uint8)
    m[:, : shape[1] // 2] = 255
    return m


def measure(photo_name: str, painting_name: str, size: int, scorer: Scorer, save: Path | None) -> dict:
    from nst_core import Settings, load_image, stylize
    from nst_core.imaging.images import fit_size, resize

    photo = load_image(SHARED_IMAGES / f"{photo_name}.jpg")
    painting = load_image(SHARED_IMAGES / f"{painting_name}.jpg")
    *_, last = stylize(photo, painting, Settings(max_size=size), mask=left_half(photo.shape[:2]))
    out = last.image
    h, w = out.shape[:2]
    ref = resize(photo, fit_size(photo.shape[:2], size)).astype(np.float64)
    half = w // 2
    texture = [scorer.score(out[:, a:b], ref[:, a:b].astype(np.uint8), painting)["texture"]
               for a, b in ((0, half), (half, w))]
    if save:
        from nst_core import save_png

        save_png(out, save / f"mask_{photo_name}_{painting_name}.png")
    return {"pair": f"{photo_name}:{painting_name}", "size": [w, h], "seconds": round(last.elapsed_s, 1),
            "right_mad": round(float(np.abs(out[:, half:] - ref[:, half:]).mean()), 2),
            "texture_left": round(texture[0], 3), "texture_right": round(texture[1], 3),
            "ratio": round(texture[0] / texture[1], 3)}


def sky_mask(photo: np.ndarray) -> np.ndarray:
    """uint8 [H, W]: 255 where the rocket photo shows its blue evening sky (bluish and not lit), above
    the ground strip; a median filter removes the specks between the towers' struts."""
    from PIL import Image, ImageFilter

    p = photo.astype(int)
    sky = ((p[..., 2] - p[..., 0]) > 25) & (p.sum(-1) < 400)
    sky[int(0.87 * len(sky)):] = False
    return np.asarray(Image.fromarray((sky * 255).astype(np.uint8)).filter(ImageFilter.MedianFilter(7)))


def two_styles(out: Path, size: int) -> dict:
    from PIL import Image
    from skimage import data

    from nst_core import Settings, load_image, stylize

    photo = data.rocket()
    mask = sky_mask(photo)
    styles = [load_image(ROOT / "examples" / f"{n}.jpg") for n in ("starry_night", "the_scream")]
    *_, last = stylize(photo, styles, Settings(max_size=size), mask=mask)
    h, w = last.image.shape[:2]
    tiles = [Image.fromarray(a).convert("RGB").resize((w, h), Image.LANCZOS) for a in (photo, mask)]
    strip = Image.new("RGB", (3 * w + 8, h), "white")
    for i, im in enumerate([*tiles, Image.fromarray(last.image)]):
        strip.paste(im, (i * (w + 4), 0))
    strip.save(out, quality=88)  # a JPEG keeps the README picture small
    return {"two_styles": str(out), "size": [w, h], "seconds": round(last.elapsed_s, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=384)
    ap.add_argument("--pairs", help="comma-separated photo:painting pairs")
    ap.add_argument("--save", help="write each result here")
    ap.add_argument("--two-styles", help="write the two-style picture (rocket: sky / the rest) here")
    args = ap.parse_args()
    emit(**machine())
    if args.two_styles:
        emit(**two_styles(Path(args.two_styles), max(args.size, 512)))
        return
    pairs = [tuple(p.split(":")) for p in args.pairs.split(",")] if args.pairs else PAIRS
    scorer, save = Scorer(), Path(args.save) if args.save else None
    rows = [measure(a, b, args.size, scorer, save) for a, b in pairs]
    for r in rows:
        emit(**r)
    emit(summary=True, worst_right_mad=max(r["right_mad"] for r in rows), worst_ratio=max(r["ratio"] for r in rows))


if __name__ == "__main__":
    main()
