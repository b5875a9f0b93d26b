"""A cut-out photo keeps its transparency: the style is painted on the figure, the result carries the
photo's alpha at its own size (engine, PNG, fast path, command line, batch, recipe replay), and no
background colour rims the figure."""
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, TINY_LAYERS, synthetic_painting, synthetic_photo
from nst_core import Settings, batch, result_png, stylize
from nst_core.fast import fast_stylize
from nst_core.imaging.images import load_image, load_rgba, resize_alpha

MAGENTA = (255, 0, 255)  # what an editor left under the erased background: it must not show


def cut_out(h: int = 96, w: int = 128) -> np.ndarray:
    """A photo cut out along a soft-edged ellipse, magenta under its transparent part."""
    y, x = np.mgrid[0:h, 0:w]
    r = np.hypot((y - h / 2) / (0.4 * h), (x - w / 2) / (0.35 * w))
    alpha = np.clip((1.1 - r) * 10, 0, 1) * 255  # solid inside, a 10 % ramp at the edge, clear outside
    rgb = np.where(alpha[..., None] > 0, synthetic_photo(h, w), MAGENTA)
    return np.dstack([rgb, alpha]).round().astype(np.uint8)


def rgba(path) -> np.ndarray:
    with Image.open(path) as im:
        assert im.mode == "RGBA", im.mode
        return np.asarray(im)


@pytest.fixture(scope="module")
def cut_out_png(tmp_path_factory):
    path = tmp_path_factory.mktemp("alpha") / "figure.png"
    Image.fromarray(cut_out()).save(path)
    return path


def test_the_hidden_part_is_the_figures_edges_extended_never_the_background_under_it(cut_out_png):
    rgb, alpha = load_rgba(cut_out_png)
    assert np.array_equal(alpha, cut_out()[:, :, 3])
    hidden, edge = alpha == 0, (alpha > 0) & (alpha < 255)
    assert hidden.any() and edge.any()
    # the photo's greens are all >= 50 and magenta has none: no hidden or fading pixel turns magenta
    assert rgb[hidden][:, 1].min() > 40 and rgb[edge][:, 1].min() > 40
    assert np.array_equal(rgb[alpha == 255], cut_out()[alpha == 255][:, :3])  # the figure itself untouched
    webp = cut_out_png.with_suffix(".webp")
    Image.fromarray(cut_out()).save(webp, lossless=True)
    assert np.array_equal(load_rgba(webp)[1], alpha) and np.array_equal(load_rgba(webp)[0], rgb)
    assert load_rgba(synthetic_photo())[1] is None  # an opaque photo has no alpha to carry
    assert load_image(cut_out_png).shape == (96, 128, 3)  # elsewhere pictures still come flattened


def test_a_run_paints_the_figure_and_its_result_carries_the_alpha(cut_out_png, tiny_extractor, tmp_path):
    s = Settings(max_size=64, iterations=2, preview_every=1, multiscale=False, **TINY_LAYERS)
    frames = list(stylize(cut_out_png, synthetic_painting(), s, extractor=tiny_extractor))
    last = frames[-1]
    assert last.image.shape == (48, 64, 3) and all(f.alpha is None for f in frames[:-1])
    assert np.array_equal(last.alpha, resize_alpha(cut_out()[:, :, 3], (48, 64)))
    (tmp_path / "out.png").write_bytes(result_png(last, s))
    out = rgba(tmp_path / "out.png")
    assert np.array_equal(out[:, :, :3], last.image) and np.array_equal(out[:, :, 3], last.alpha)
    assert out[0, 0, 3] == 0 and out[24, 32, 3] == 255  # clear in the corner, solid in the middle
    opaque = list(stylize(synthetic_photo(), synthetic_painting(), s, extractor=tiny_extractor))[-1]
    assert opaque.alpha is None
    (tmp_path / "opaque.png").write_bytes(result_png(opaque, s))
    with Image.open(tmp_path / "opaque.png") as im:
        assert im.mode == "RGB"


def test_instant_keeps_the_alpha_too(cut_out_png, tiny_hub_model):
    out = fast_stylize(cut_out_png, synthetic_painting(), Settings(hub_model=tiny_hub_model, max_size=64))
    assert out.shape == (48, 64, 4) and np.array_equal(out[:, :, 3], resize_alpha(cut_out()[:, :, 3], (48, 64)))


def cli(*args):
    return subprocess.run([sys.executable, "-m", "nst_core", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


TINY_ARGS = ["--size", "48", "--iterations", "3", "--no-multiscale", "--conv", "winograd", "--preview-every", "100"]


def test_the_command_line_writes_the_alpha_and_a_recipe_replay_gives_the_same_bytes(cut_out_png, tmp_path):
    painting = tmp_path / "painting.png"
    Image.fromarray(synthetic_painting()).save(painting)
    first = tmp_path / "first.png"
    r = cli(cut_out_png, painting, "-o", first, *TINY_ARGS)
    assert r.returncode == 0, r.stderr
    out = rgba(first)
    assert out.shape == (36, 48, 4) and np.array_equal(out[:, :, 3], resize_alpha(cut_out()[:, :, 3], (36, 48)))
    again = tmp_path / "again.png"
    assert cli(cut_out_png, painting, "-o", again, "--recipe", first).returncode == 0
    assert np.array_equal(rgba(again), out)
    jpeg = tmp_path / "out.jpg"
    r = cli(cut_out_png, painting, "-o", jpeg, *TINY_ARGS)
    notes = [line for line in r.stderr.splitlines() if "JPEG" in line]
    assert r.returncode == 0 and len(notes) == 1 and "PNG" in notes[0]
    with Image.open(jpeg) as im:
        assert im.format == "PNG" and im.mode == "RGBA"


def test_a_batch_keeps_each_cut_outs_alpha(cut_out_png, tmp_path):
    painting = tmp_path / "stripes.png"
    Image.fromarray(synthetic_painting()).save(painting)
    s = Settings(max_size=48, iterations=3, multiscale=False, conv="winograd", preview_every=100)
    report = batch([cut_out_png], [painting], tmp_path / "out", s, use_ray=False)
    assert [o.status for o in report.outcomes] == ["done"]
    made = rgba(tmp_path / "out" / "figure__stripes.png")
    assert np.array_equal(made[:, :, 3], resize_alpha(cut_out()[:, :, 3], (36, 48)))
    assert json.loads(Image.open(tmp_path / "out" / "figure__stripes.png").text["nst-recipe"])["settings"]["max_size"] == 48


def test_the_pages_download_and_before_after_keep_the_cut_out(cut_out_png, tmp_path):
    import app
    from conftest import drain
    from ui.files import Files
    from ui.handlers import Handlers

    h = Handlers(Files(str(tmp_path / "cache")), app.PRESETS)
    v = dict(content=str(cut_out_png), style=synthetic_painting(), preset="default", content_weight=0.0,
             style_weight=-4.7, tv_weight=2.0, iterations=3, max_size=64, optimizer="lbfgs", layers="gatys")
    last = list(drain(h.run(v)))[-1]
    alpha = resize_alpha(cut_out()[:, :, 3], (48, 64))
    result, (before, after) = rgba(last["result"]), map(rgba, last["compare"])
    assert np.array_equal(result[:, :, 3], alpha) and np.array_equal(after, result)
    assert np.array_equal(before[:, :, 3], alpha)
    assert last["preview"] == last["result"]  # the page shows the PNG itself, transparency and all
