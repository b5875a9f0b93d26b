"""Palette only: the painting's colours on the photo without its strokes, as a user meets it in
Python, on the command line and on the page (and its API endpoint), cut-outs included."""
import json
import subprocess
import sys

import gradio as gr
import numpy as np
import pytest
from PIL import Image

import app
from conftest import ROOT, drain, synthetic_painting
from nst_core import ImageError, Settings, palette_only
from nst_core.imaging.colour import PALETTE_METHOD, PALETTES
from nst_core.imaging.images import load_image, resize, fit_size
from nst_core.vgg.figures import palette_distance
from ui.files import Files
from ui.handlers import Handlers

EXAMPLES = ROOT / "examples"
PAIRS = [("astronaut.jpg", "the_scream.jpg"), ("chelsea.jpg", "woman-with-hat-matisse.jpg"),
         ("coffee.jpg", "starry_night.jpg")]


def small(name: str, side: int = 96) -> np.ndarray:
    im = load_image(EXAMPLES / name)
    return resize(im, fit_size(im.shape[:2], side))


def luma(rgb: np.ndarray) -> np.ndarray:
    return rgb.reshape(-1, 3).astype(float) @ [0.299, 0.587, 0.114]


@pytest.mark.parametrize("photo, painting", PAIRS)
def test_the_photo_takes_the_paintings_colours_and_keeps_its_own_shapes(photo, painting):
    c, s = small(photo), small(painting)
    out = palette_only(c, s, Settings(max_size=96))
    assert out.shape == c.shape
    # nearer the painting's palette than the photo was, by far
    assert palette_distance(out, s) < 0.5 * palette_distance(c, s)
    # no strokes: the picture is still the photo, light where it was light (rank order of the pixels' luma)
    order = np.argsort(np.argsort(luma(c))), np.argsort(np.argsort(luma(out)))
    assert np.corrcoef(*order)[0, 1] > 0.8


def test_the_chosen_way_gives_the_nearest_palette_on_these_pairs():
    """The reason it was chosen (docs/portraits-and-photos.md): on each pair its palette is nearest."""
    for photo, painting in PAIRS:
        c, s = small(photo), small(painting)
        distance = {k: palette_distance(f(c, s), s) for k, f in PALETTES.items()}
        assert min(distance, key=distance.get) == PALETTE_METHOD, (photo, distance)


def test_a_cut_outs_colours_are_counted_on_the_figure_only_and_it_keeps_its_alpha():
    c, s = small("astronaut.jpg"), small("the_scream.jpg")
    h, w = c.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    alpha = np.where(np.hypot((y - h / 2) / (0.4 * h), (x - w / 2) / (0.3 * w)) < 1, 255, 0).astype(np.uint8)
    out = palette_only(np.dstack([c, alpha]), s, Settings(max_size=96))
    assert out.shape == (h, w, 4) and np.array_equal(out[:, :, 3], alpha)
    # the figure's colours as if it were the whole photo: its pixels alone, as a column
    figure = c[alpha == 255][:, None, :]
    alone = PALETTES[PALETTE_METHOD](figure, s)[:, 0]
    assert np.abs(out[alpha == 255][:, :3].astype(int) - alone).max() <= 1
    # a painting's clear part counts for nothing either: as if it were cut off
    sw = s.shape[1]
    clear = np.full(s.shape[:2], 255, np.uint8)
    clear[:, : sw // 3] = 0
    assert np.array_equal(palette_only(c, np.dstack([s, clear]), Settings(max_size=96)),
                          palette_only(c, s[:, sw // 3:], Settings(max_size=96)))


def test_size_and_bad_input():
    out = palette_only(EXAMPLES / "astronaut.jpg", EXAMPLES / "the_scream.jpg", Settings(max_size=64))
    assert max(out.shape[:2]) == 64
    with pytest.raises(ImageError, match="style image.*not an image"):
        palette_only(EXAMPLES / "astronaut.jpg", b"not an image", Settings(max_size=64))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "nst_core", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_the_command_line_writes_the_palette_with_a_recipe_saying_so(tmp_path):
    out = tmp_path / "palette.png"
    r = cli(EXAMPLES / "chelsea.jpg", EXAMPLES / "woman-with-hat-matisse.jpg", "--palette-only", "--size", 80,
            "-o", out)
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:
        assert im.size == (80, 53) and json.loads(im.text["nst-recipe"])["palette_only"] == PALETTE_METHOD
    r = cli(EXAMPLES / "chelsea.jpg", EXAMPLES / "the_scream.jpg", "--palette-only", "--fast", "-o", out)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--palette-only" in r.stderr


def test_a_palette_only_pngs_recipe_replays_as_palette_only_not_as_a_run(tmp_path):
    first, again = tmp_path / "palette.png", tmp_path / "again.png"
    r = cli(EXAMPLES / "chelsea.jpg", EXAMPLES / "the_scream.jpg", "--palette-only", "--size", 64, "-o", first)
    assert r.returncode == 0, r.stderr
    r = cli(EXAMPLES / "chelsea.jpg", EXAMPLES / "the_scream.jpg", "--recipe", first, "-o", again)
    assert r.returncode == 0 and "palette" in r.stderr, r.stderr  # said as Palette only, painted in one pass
    assert np.array_equal(np.asarray(Image.open(first)), np.asarray(Image.open(again)))


def test_the_pages_palette_button_and_its_api_endpoint(tmp_path):
    h = Handlers(Files(str(tmp_path / "cache")), app.PRESETS)
    photo = tmp_path / "cut.png"
    c = small("astronaut.jpg", 128)
    alpha = np.full(c.shape[:2], 255, np.uint8)
    alpha[:, :20] = 0
    Image.fromarray(np.dstack([c, alpha])).save(photo)
    out, = list(h.palette({"content": str(photo), "style": str(EXAMPLES / "the_scream.jpg"), "max_size": 64}))
    assert "Palette only" in out["status"] and out["preview"] == out["result"]
    with Image.open(out["result"]) as im:
        assert im.mode == "RGBA" and im.size == (64, 64) and np.asarray(im)[:, 0, 3].max() == 0
    from nst_core.recipe import one_pass
    assert one_pass(out["result"]) == "palette"  # the download says how it was made, as a run's does
    params = app.demo.get_api_info()["named_endpoints"]["/palette"]["parameters"]
    assert [p["parameter_name"] for p in params] == ["content", "style", "max_size"]
    shown = []
    with pytest.raises(gr.Error):
        for o in h.palette({"content": None, "style": str(EXAMPLES / "the_scream.jpg"), "max_size": 64}):
            shown.append(o)
    assert "Not run" in shown[-1]["status"]
