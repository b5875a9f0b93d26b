"""Write examples/: the app's one-click example pairs, small (<= 640 px, <= 200 KB each), with CREDITS.md.

    pip install scikit-image matplotlib && python tools/make_examples.py

Photos from scikit-image's data (public domain or CC0) and matplotlib's sample data (Grace Hopper's
portrait, a second face for keep_faces' figures); paintings from ../shared/images (the three in the
public domain). Which preset suits each pair lives in examples/pairs.json, read by the app.
"""
import json
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "examples"
PAINTINGS = ROOT.parent / "shared" / "images"
MAX_SIDE, MAX_BYTES = 640, 200_000

# (photo from skimage.data, its credit) x (painting, its credit), and the preset that suits the pair
PAIRS = [
    ("astronaut", "the_scream", "default"),
    ("coffee", "starry_night", "default"),
    ("chelsea", "woman-with-hat-matisse", "soft"),
]
PHOTO_CREDITS = {
    "astronaut": "Eileen Collins, NASA astronaut (NASA, public domain), from scikit-image's data",
    "coffee": "A cup of coffee, by Rachel Michetti (CC0), from scikit-image's data",
    "chelsea": "Chelsea the cat, by Stéfan van der Walt (CC0), from scikit-image's data",
}
# photos shipped for the benchmarks and docs but not an example pair: name -> (its credit, how to load it)
EXTRA_PHOTOS = {
    "grace_hopper": "Rear Admiral Grace Hopper (U.S. Navy photo, public domain), from matplotlib's sample data",
}
PAINTING_CREDITS = {
    "the_scream": "Edvard Munch, The Scream (1893), public domain",
    "starry_night": "Vincent van Gogh, The Starry Night (1889), public domain",
    "woman-with-hat-matisse": "Henri Matisse, Woman with a Hat (1905), public domain",
}


def save_small(image: Image.Image, path: Path) -> None:
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.LANCZOS)
    for quality in (90, 85, 80, 75, 70):
        image.save(path, "JPEG", quality=quality, optimize=True)
        if path.stat().st_size <= MAX_BYTES:
            return
    sys.exit(f"{path.name} stays over {MAX_BYTES} bytes")


def main() -> None:
    from skimage import data

    OUT.mkdir(exist_ok=True)
    rows, credits = [], ["# Example images", "", "Small copies, made by `tools/make_examples.py`.", ""]
    for photo, painting, preset in PAIRS:
        save_small(Image.fromarray(getattr(data, photo)()), OUT / f"{photo}.jpg")
        save_small(Image.open(PAINTINGS / f"{painting}.jpg"), OUT / f"{painting}.jpg")
        rows.append({"content": f"{photo}.jpg", "style": f"{painting}.jpg", "preset": preset})
    import matplotlib.cbook

    for name in EXTRA_PHOTOS:
        with matplotlib.cbook.get_sample_data(f"{name}.jpg") as f:
            save_small(Image.open(f), OUT / f"{name}.jpg")
    for name, text in {**PHOTO_CREDITS, **EXTRA_PHOTOS, **PAINTING_CREDITS}.items():
        credits.append(f"- `{name}.jpg`: {text}")
    (OUT / "CREDITS.md").write_text("\n".join(credits) + "\n")
    (OUT / "pairs.json").write_text(json.dumps(rows, indent=1) + "\n")
    for f in sorted(OUT.glob("*.jpg")):
        with Image.open(f) as im:
            print(f"{f.name}: {im.size[0]}x{im.size[1]}, {f.stat().st_size // 1000} KB")


if __name__ == "__main__":
    main()
