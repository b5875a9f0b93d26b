"""The before/after sheets of docs/portraits-and-photos.md, from pictures the project may ship (examples/).

    python tools/portraits_sheets.py transparency docs/transparency_sheet.jpg   # about 2 min on 2 cores
    python tools/portraits_sheets.py palette docs/palette_sheet.jpg            # a few seconds

transparency: two photos cut out along a soft ellipse (made here: the examples are opaque), then
painted by Run (384 px, 20 iterations at the last scale), by Instant and by Palette only, each shown
over a checkerboard and over white, where a dark or coloured rim at the figure's edge would show.
palette: photo, painting, and the three ways of carrying the palette over (benchmarks/palette.py
scores them); the one the app uses is marked.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
EX = ROOT / "examples"
ROW_HEIGHT = 224
LABEL = 18


def cut_out(name: str) -> np.ndarray:
    """examples/NAME as RGBA, clear outside a soft-edged ellipse around its middle."""
    from nst_core.imaging.images import load_image

    rgb = load_image(EX / name)
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot((y - 0.55 * h) / (0.47 * h), (x - 0.5 * w) / (0.36 * w))
    alpha = (np.clip((1.0 - r) * 25, 0, 1) * 255).round().astype(np.uint8)  # a ramp 4 % of the radius wide
    return np.dstack([rgb, alpha])


def over(rgba: np.ndarray, background: str) -> np.ndarray:
    """An RGBA picture shown over white or a grey checkerboard."""
    h, w = rgba.shape[:2]
    if background == "white":
        under = np.full((h, w, 3), 255.0)
    else:
        y, x = np.mgrid[0:h, 0:w] // 12
        under = np.where(((y + x) % 2)[..., None] == 1, 200.0, 240.0) * np.ones(3)
    a = rgba[:, :, 3:4] / 255.0
    return (rgba[:, :, :3] * a + under * (1 - a) + 0.5).astype(np.uint8)


def row(tiles: list[np.ndarray]) -> np.ndarray:
    tiles = [np.asarray(Image.fromarray(t).resize((round(t.shape[1] * ROW_HEIGHT / t.shape[0]), ROW_HEIGHT),
                                                  Image.LANCZOS)) for t in tiles]
    gap = np.full((ROW_HEIGHT, 6, 3), 255, np.uint8)
    return np.hstack([x for t in tiles for x in (t, gap)][:-1])


def sheet(rows: list[list[np.ndarray]], labels: list[str], path: Path) -> None:
    made = [row(r) for r in rows]
    width = max(r.shape[1] for r in made)
    made = [np.pad(r, ((0, 6), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in made]
    out = Image.new("RGB", (width, LABEL + sum(r.shape[0] for r in made)), "white")
    draw = ImageDraw.Draw(out)
    x = 0
    for label, tile in zip(labels, rows[0]):
        draw.text((x + 4, 3), label, fill=(0, 0, 0))
        x += round(tile.shape[1] * ROW_HEIGHT / tile.shape[0]) + 6
    out.paste(Image.fromarray(np.vstack(made)), (0, LABEL))
    out.save(path, optimize=True, **({"quality": 88} if path.suffix.lower() in (".jpg", ".jpeg") else {}))
    print(f"wrote {path} ({out.width}x{out.height})")


def transparency(path: Path) -> None:
    from nst_core import Settings, fast_stylize, palette_only, stylize
    from nst_core.imaging.images import with_alpha

    rows = []
    for photo, painting in (("astronaut.jpg", "the_scream.jpg"), ("grace_hopper.jpg", "starry_night.jpg")):
        cut = cut_out(photo)
        s = Settings(max_size=384, iterations=20)
        for last in stylize(cut, EX / painting, s):
            pass
        run = with_alpha(last.image, last.alpha)
        instant = fast_stylize(cut, EX / painting, s)
        palette = palette_only(cut, EX / painting, s)
        rows.append([over(cut, "checks"), np.asarray(Image.open(EX / painting).convert("RGB")), over(run, "checks"),
                     over(run, "white"), over(instant, "white"), over(palette, "white")])
    sheet(rows, ["cut-out photo", "painting", "Run", "Run, over white", "Instant, over white",
                 "Palette only, over white"], path)


def palette(path: Path) -> None:
    from nst_core.imaging.colour import PALETTE_METHOD, PALETTES
    from nst_core.imaging.images import fit_size, load_image, resize

    rows = []
    for photo, painting in (("astronaut.jpg", "the_scream.jpg"), ("coffee.jpg", "starry_night.jpg"),
                            ("chelsea.jpg", "woman-with-hat-matisse.jpg"), ("grace_hopper.jpg", "the_scream.jpg")):
        c, st = load_image(EX / photo), load_image(EX / painting)
        c = resize(c, fit_size(c.shape[:2], 512))
        rows.append([c, st, *(f(c, st) for f in PALETTES.values())])
    sheet(rows, ["photo", "painting", *(f"{k}{' (used)' if k == PALETTE_METHOD else ''}" for k in PALETTES)], path)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("transparency", "palette"):
        sys.exit(__doc__)
    {"transparency": transparency, "palette": palette}[sys.argv[1]](Path(sys.argv[2]))
