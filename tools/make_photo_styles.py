"""Write the style photos of photo mode's pairs into examples/: a real dusk photo and two colour grades.

    pip download --no-deps -d /tmp/wheels scikit-image   # its wheel holds rocket.jpg (NASA, public domain)
    python tools/make_photo_styles.py --rocket PATH/TO/skimage/data/rocket.jpg

* ``rocket.jpg``: a launch pad at dusk (NASA, public domain), as scikit-image ships it: the "dusk" look;
* ``coffee_teal_orange.jpg``: the coffee photo (CC0) colour-graded teal shadows, orange highlights;
* ``chelsea_cross_process.jpg``: the cat photo (CC0) graded as cross-processed film: magenta-blue
  shadows, yellow-green highlights, more saturation.

The grades are plain curves on the shipped examples, written here so that anyone can make them again.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CREDITS = {
    "rocket.jpg": "A rocket on its launch pad at dusk (NASA, public domain), from scikit-image's data",
    "coffee_teal_orange.jpg": "`coffee.jpg` colour-graded teal and orange by `tools/make_photo_styles.py` (CC0)",
    "chelsea_cross_process.jpg": "`chelsea.jpg` colour-graded as cross-processed film by `tools/make_photo_styles.py` (CC0)",
}


def _luma(x: np.ndarray) -> np.ndarray:
    return (x @ np.array([0.299, 0.587, 0.114]))[..., None]


def teal_orange(x: np.ndarray) -> np.ndarray:
    """Stronger contrast, shadows pushed to teal and highlights to orange."""
    x = 0.5 + 1.25 * (x - 0.5)  # contrast about mid-grey
    y = np.clip(_luma(x), 0, 1)
    x = x + (1 - y) ** 2 * np.array([-0.30, 0.10, 0.32]) + y ** 2 * np.array([0.18, 0.02, -0.20])
    return x


def cross_process(x: np.ndarray) -> np.ndarray:
    """Cross-processed film: magenta-blue shadows, yellow-green highlights, 20 % more saturation; the
    tones themselves (blacks, whites, contrast) left where they were."""
    y = _luma(x)
    x = y + 1.2 * (x - y)
    y = np.clip(y, 0, 1)
    return x + (1 - y) ** 2 * np.array([0.10, -0.08, 0.16]) + y ** 2 * np.array([0.04, 0.12, -0.22])


def graded(path: Path, grade) -> Image.Image:
    x = np.asarray(Image.open(path).convert("RGB"), np.float64) / 255.0
    return Image.fromarray(np.clip(grade(x) * 255 + 0.5, 0, 255).astype(np.uint8))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rocket", required=True, help="scikit-image's data/rocket.jpg")
    args = ap.parse_args()
    rocket = Image.open(args.rocket).convert("RGB")
    rocket.thumbnail((640, 640), Image.LANCZOS)
    rocket.save(EXAMPLES / "rocket.jpg", quality=88, optimize=True)
    graded(EXAMPLES / "coffee.jpg", teal_orange).save(EXAMPLES / "coffee_teal_orange.jpg", quality=88, optimize=True)
    graded(EXAMPLES / "chelsea.jpg", cross_process).save(EXAMPLES / "chelsea_cross_process.jpg", quality=88,
                                                         optimize=True)
    credits = EXAMPLES / "CREDITS.md"  # tools/make_examples.py writes the rest of it
    lines = [ln for ln in credits.read_text().splitlines() if not any(f"`{n}`" in ln.split(":")[0] for n in CREDITS)]
    credits.write_text("\n".join(lines + [f"- `{n}`: {text}" for n, text in CREDITS.items()]) + "\n")
    for name in CREDITS:
        print(f"{name}: {(EXAMPLES / name).stat().st_size // 1000} KB")


if __name__ == "__main__":
    main()
