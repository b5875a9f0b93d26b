"""The command line as a user meets it: JSON frames, a PNG, exit codes, one-line errors, no TF noise."""
import json
import subprocess
import sys

import pytest
from PIL import Image

from conftest import ROOT, synthetic_painting, synthetic_photo


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nst_core", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def small_pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    Image.fromarray(synthetic_photo(60, 80)).save(d / "photo.png")
    Image.fromarray(synthetic_painting(64, 64)).save(d / "painting.jpg")
    return d / "photo.png", d / "painting.jpg"


def test_json_frames_and_the_png(small_pair, tmp_path):
    out = tmp_path / "out.png"
    r = cli(*small_pair, "-o", out, "--size", 64, "--iterations", 6, "--preview-every", 2, "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    assert [f["iteration"] for f in lines] == [2, 4, 6]
    assert set(lines[0]) == {"iteration", "total", "losses", "elapsed_s", "eta_s"}
    assert lines[0]["eta_s"] > 0 and lines[-1]["eta_s"] == 0  # seconds left; none once done
    assert lines[-1]["output"] == str(out) and "output" not in lines[0]
    assert set(lines[-1]["losses"]) == {"content", "style", "tv", "total"}
    with Image.open(out) as im:
        assert im.format == "PNG" and im.size == (64, 48)  # 80x60 fitted to 64, aspect kept
        assert json.loads(im.text["nst-recipe"])["settings"]["iterations"] == 6
    # TensorFlow's start-up lines stay out of the user's terminal
    for noise in ("cuda", "oneDNN", "cpu_feature_guard", "absl"):
        assert noise not in r.stderr


def test_progress_bar_without_json(small_pair, tmp_path):
    r = cli(*small_pair, "-o", tmp_path / "o.png", "--size", 48, "--iterations", 3)
    assert r.returncode == 0 and r.stdout == ""
    assert "3/3" in r.stderr and "wrote" in r.stderr


@pytest.mark.parametrize("args, words", [
    (["missing.jpg", "{style}"], "content image not found: missing.jpg"),
    (["{notimage}", "{style}"], "is not an image"),
    (["{content}", "{style}", "--style-weight", "-1"], "style_weight must be a finite number >= 0"),
    (["{content}", "{style}", "--iterations", "0"], "iterations must be a whole number"),
    (["{content}", "{style}", "--optimizer", "rmsprop"], "invalid choice: 'rmsprop'"),
    (["{content}", "{style}", "--size", "big"], "invalid int value: 'big'"),
    (["{content}", "{style}", "--weights", "/no/such.h5"], "VGG19 weights file not found: /no/such.h5"),
    (["{content}", "{style}", "-o", "/no/such/dir/o.png"], "output folder /no/such/dir does not exist"),
])
def test_bad_input_exits_2_with_one_line(small_pair, tmp_path, args, words):
    notimage = tmp_path / "fake.jpg"
    notimage.write_text("hello")
    paths = {"content": small_pair[0], "style": small_pair[1], "notimage": notimage}
    r = cli(*[a.format(**paths) for a in args])
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ") and words in r.stderr
    assert "Traceback" not in r.stderr


def test_preset_with_an_explicit_override(small_pair, tmp_path):
    out = tmp_path / "p.png"
    r = cli(*small_pair, "-o", out, "--preset", "cpu-quick", "--iterations", 2, "--size", 48, "--json")
    assert r.returncode == 0, r.stderr
    with Image.open(out) as im:
        saved = json.loads(im.text["nst-recipe"])["settings"]
    assert saved["iterations"] == 2 and saved["preview_every"] == 5  # 5 from the preset, 2 from the option
    r = cli(*small_pair, "--preset", "nope")
    assert r.returncode == 2 and "no preset named 'nope'" in r.stderr


def test_every_on_off_option_has_a_no_form():
    """`--no-multiscale` turns off what is on by default; `--xla`/`--no-xla` both parse."""
    from nst_core.cli.picture import build_parser

    p = build_parser()
    assert vars(p.parse_args(["c.jpg", "s.jpg", "--no-multiscale"]))["multiscale"] is False
    assert vars(p.parse_args(["c.jpg", "s.jpg", "--multiscale", "--no-xla"]))["xla"] is False
    assert "multiscale" not in vars(p.parse_args(["c.jpg", "s.jpg"]))  # the default then comes from Settings
    assert "--no-multiscale" in p.format_help()


def test_a_steered_recipe_replays_on_the_command_line(small_pair, tmp_path):
    """A recipe from a run whose weights were steered mid-run: --recipe gives the same picture twice,
    its weights change where the run's did, and the PNG's recipe keeps the steering."""
    from nst_core import Settings
    from nst_core.recipe import recipe_json

    recipe = tmp_path / "steered.json"
    recipe.write_text(recipe_json(Settings(max_size=48, iterations=6, multiscale=False,
                                           steering=((3, 1.0, 200.0, 10.0),))))
    pictures = []
    for name in ("a.png", "b.png"):
        r = cli(*small_pair, "-o", tmp_path / name, "--recipe", recipe, "--json", "--preview-every", 1)
        assert r.returncode == 0, r.stderr
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        with Image.open(tmp_path / name) as im:
            pictures.append(im.tobytes())
            assert json.loads(im.text["nst-recipe"])["settings"]["steering"] == [[3, 1.0, 200.0, 10.0]]
    assert pictures[0] == pictures[1]
    style = [line["losses"]["style"] for line in lines[:-1]]  # weighted: x10 from iteration 4 on
    assert style[3] > 3 * style[2] and all(b < 3 * a for a, b in zip(style[3:], style[4:]))


def test_a_mask_keeps_the_photo_where_black_and_rides_in_the_recipe(small_pair, tmp_path):
    """--mask paints only the white half; the PNG's recipe keeps the mask, and --recipe of that PNG
    (no --mask) paints the same picture again. A mask of the wrong shape is one line, exit 2."""
    import numpy as np

    mask = np.zeros((60, 80), np.uint8)
    mask[:, :40] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    first = tmp_path / "masked.png"
    r = cli(*small_pair, "-o", first, "--mask", tmp_path / "mask.png", "--size", 80, "--iterations", 8,
            "--no-multiscale", "--style-weight", 200)
    assert r.returncode == 0, r.stderr
    photo = np.asarray(Image.open(small_pair[0]), float)
    out = np.asarray(Image.open(first).convert("RGB"), float)
    diff = np.abs(out - photo).mean(axis=2)
    assert diff[:, :30].mean() > 3 * diff[:, 50:].mean()  # painted on the left, the photo on the right
    again = tmp_path / "again.png"
    r = cli(*small_pair, "-o", again, "--recipe", first)
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.asarray(Image.open(again)), np.asarray(Image.open(first)))
    Image.fromarray(mask.T.copy()).save(tmp_path / "tall.png")
    r = cli(*small_pair, "-o", tmp_path / "x.png", "--mask", tmp_path / "tall.png")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "draw the mask on the photo" in r.stderr


def test_mask_subject_or_background_styles_that_part_of_the_photo(tmp_path):
    """--mask background finds the subject (an orange disc in the middle) and paints around it; the
    PNG's recipe carries the mask it made. --mask subject paints the disc instead."""
    import numpy as np

    h, w = 60, 80
    y, x = np.mgrid[0:h, 0:w]
    disc = (y - 30) ** 2 + (x - 40) ** 2 <= 18 ** 2
    photo = np.where(disc[..., None], (235, 120, 30), (60, 110, 70)).astype(np.uint8)
    photo = np.clip(photo + np.random.default_rng(0).normal(0, 6, photo.shape), 0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    Image.fromarray(synthetic_painting(64, 64)).save(tmp_path / "painting.png")
    changed = {}
    for part in ("background", "subject"):
        out = tmp_path / f"{part}.png"
        r = cli(tmp_path / "photo.png", tmp_path / "painting.png", "-o", out, "--mask", part, "--size", 80,
                "--iterations", 8, "--no-multiscale", "--style-weight", 200, "--mask-feather", 0)
        assert r.returncode == 0, r.stderr
        diff = np.abs(np.asarray(Image.open(out).convert("RGB"), float) - photo).mean(axis=2)
        changed[part] = (diff[disc].mean(), diff[(y - 30) ** 2 + (x - 40) ** 2 > 24 ** 2].mean())
        assert json.loads(Image.open(out).text["nst-recipe"])["mask"].startswith("data:image/png")
    assert changed["subject"][0] > 3 * changed["subject"][1]  # the disc painted, the rest kept
    # at 80 px VGG's deep layers see the whole picture, so a small kept disc still moves a little:
    # each part is painted far more by the run that styles it than by the other
    assert changed["background"][1] > 3 * changed["subject"][1]
    assert changed["subject"][0] > 1.5 * changed["background"][0]
    r = cli(tmp_path / "photo.png", tmp_path / "painting.png", "-o", tmp_path / "x.png", "--mask", "subject", "--fast")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--fast" in r.stderr
