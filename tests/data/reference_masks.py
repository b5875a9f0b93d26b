"""Hand-drawn reference masks of the subject in three shipped photos (examples/), for the subject
mask's IoU test. Drawn by eye as polygons over each photo with a labelled grid, overlaid and
corrected until the outline followed the subject; never made from GrabCut's output.

    python tests/data/reference_masks.py            # writes tests/data/subject_<name>.png
    python tests/data/reference_masks.py --overlay DIR   # also the photos with the outline, to check
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parents[1] / "examples"

# (x, y) in the photo's pixels, clockwise. Each shape is ("polygon", points) or ("ellipse", box);
# a shape whose name starts with "-" is cut out of the ones before it.
SHAPES: dict[str, list[tuple[str, list]]] = {
    # Eileen Collins and the helmet she holds in front of her (the flag and the shuttle model behind).
    "astronaut": [("polygon", [
        (25, 512), (22, 450), (22, 400), (27, 350), (35, 310), (45, 280), (65, 258), (90, 238), (113, 215),
        (113, 190), (125, 175), (145, 160), (170, 150), (186, 149), (183, 135), (176, 120), (166, 108),
        (157, 95), (154, 80), (155, 60), (165, 42), (182, 28), (205, 18), (230, 15), (255, 18), (275, 27),
        (292, 42), (300, 62), (300, 85), (295, 105), (285, 120), (272, 130), (268, 145), (262, 160),
        (256, 172), (268, 180), (282, 190), (292, 200), (299, 212), (304, 232), (325, 250), (343, 270),
        (352, 295), (358, 325), (362, 345), (395, 343), (430, 348), (460, 362), (485, 385), (500, 415),
        (505, 450), (512, 460), (512, 512)])],
    # Grace Hopper, cap to uniform (the flag and the sky behind).
    "grace_hopper": [("polygon", [
        (20, 600), (22, 500), (23, 440), (32, 415), (45, 397), (70, 380), (110, 363), (150, 350), (185, 337),
        (198, 320), (190, 305), (175, 290), (165, 270), (160, 245), (156, 215), (152, 190), (150, 165),
        (150, 130), (152, 105), (160, 88), (172, 73), (180, 60), (200, 45), (225, 30), (250, 22), (275, 24),
        (300, 30), (325, 42), (345, 62), (355, 82), (366, 98), (372, 125), (371, 155), (372, 180), (370, 205),
        (366, 235), (360, 262), (350, 285), (335, 305), (332, 318), (350, 333), (390, 351), (430, 368),
        (460, 386), (485, 401), (500, 419), (512, 442), (512, 600)])],
    # The cup, its saucer and the spoon (the table around them).
    "coffee": [("polygon", [
        (174, 85), (183, 55), (210, 35), (250, 20), (300, 18), (350, 25), (390, 50), (400, 75), (405, 72),
        (417, 66), (424, 70), (420, 90), (412, 108), (430, 117), (450, 135), (467, 165), (477, 200),
        (479, 240), (470, 280), (450, 320), (420, 350), (375, 372), (325, 385), (275, 390), (225, 385),
        (175, 365), (140, 340), (110, 305), (92, 270), (82, 235), (77, 200), (80, 165), (100, 130), (125, 100),
        (150, 85), (172, 78)])],
}


def draw(name: str, size: tuple[int, int]) -> np.ndarray:
    """uint8 [H, W], 255 = the subject."""
    im = Image.new("L", size, 0)
    d = ImageDraw.Draw(im)
    for kind, pts in SHAPES[name]:
        fill = 0 if kind.startswith("-") else 255
        if kind.lstrip("-") == "ellipse":
            d.ellipse(pts, fill=fill)
        else:
            d.polygon(pts, fill=fill)
    return np.asarray(im)


def overlay(name: str, mask: np.ndarray, scale: int = 2) -> Image.Image:
    photo = Image.open(EXAMPLES / f"{name}.jpg").convert("RGB")
    tint = np.asarray(photo, np.float32)
    tint[mask == 0] = tint[mask == 0] * 0.45 + np.array([0, 60, 140]) * 0.55  # the background blued
    im = Image.fromarray(tint.astype(np.uint8)).resize((photo.width * scale, photo.height * scale))
    d = ImageDraw.Draw(im)
    for kind, pts in SHAPES[name]:
        if kind.lstrip("-") == "polygon":
            d.line([(x * scale, y * scale) for x, y in pts + pts[:1]], fill=(255, 255, 0), width=1)
    return im


def main(argv: list[str]) -> None:
    out = Path(argv[argv.index("--overlay") + 1]) if "--overlay" in argv else None
    for name in SHAPES:
        with Image.open(EXAMPLES / f"{name}.jpg") as photo:
            mask = draw(name, photo.size)
        Image.fromarray(mask).convert("1").save(HERE / f"subject_{name}.png", optimize=True)
        if out:
            overlay(name, mask).save(out / f"overlay_{name}.png")


if __name__ == "__main__":
    main(sys.argv[1:])
