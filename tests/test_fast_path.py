"""The fast path: loading logic with a tiny SavedModel made here, and the real model when present."""
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, SHARED, TINY_LAYERS, synthetic_painting, synthetic_photo, synthetic_swirls
from nst_core import ModelLoadError, Settings, stylize
from nst_core.fast import fast_stylize, load_model

REAL_MODEL = SHARED / "hub" / "magenta_arbitrary_lite"


def test_tiny_model_is_loaded_once_and_called_as_the_hub_model(tiny_hub_model):
    s = Settings(hub_model=tiny_hub_model, max_size=64)
    content, style = synthetic_photo(), synthetic_painting()
    out = fast_stylize(content, style, s)
    assert out.shape == (48, 64, 3) and out.dtype == np.uint8
    assert load_model(tiny_hub_model) is load_model(tiny_hub_model)
    # half the content, half the style's mean colour (the style went in at 256 px in [0, 1])
    small = np.asarray(Image.fromarray(content).resize((64, 48), Image.LANCZOS), np.float32)
    expected = 0.5 * small + 0.5 * style.reshape(-1, 3).mean(0)
    assert np.abs(out - expected).mean() < 3


def test_strength_blends_with_the_content(tiny_hub_model):
    s = Settings(hub_model=tiny_hub_model, max_size=64)
    photo = synthetic_photo()
    none = fast_stylize(photo, synthetic_painting(), s, strength=0.0)
    full = fast_stylize(photo, synthetic_painting(), s, strength=1.0)
    half = fast_stylize(photo, synthetic_painting(), s, strength=0.5)
    assert np.abs(half.astype(float) - (none.astype(float) + full) / 2).max() <= 1
    assert not np.array_equal(none, full)


def test_refine_starts_from_the_fast_result(tiny_hub_model, tiny_extractor):
    s = Settings(hub_model=tiny_hub_model, max_size=64, iterations=1, init="fast", **TINY_LAYERS)
    fast = fast_stylize(synthetic_photo(), synthetic_painting(), s)
    frames = list(stylize(synthetic_photo(), synthetic_painting(), s, extractor=tiny_extractor))
    assert np.abs(frames[-1].image.astype(float) - fast).mean() < 1  # one step from the draft


def test_a_bad_handle_says_how_to_point_to_a_local_copy(tmp_path):
    with pytest.raises(ModelLoadError, match="NST_HUB_MODEL.*'embedded', a local SavedModel folder"):
        fast_stylize(synthetic_photo(), synthetic_painting(), Settings(hub_model=str(tmp_path / "nothing")))


def test_the_embedded_model_is_the_default_and_paints_offline(monkeypatch):
    """No set-up, no network: Instant works on what the repository ships."""
    monkeypatch.delenv("NST_HUB_MODEL", raising=False)
    from nst_core import fast_model_problem
    from nst_core.fast import EMBEDDED_MODEL

    s = Settings(max_size=128)
    assert s.hub_model == "embedded" and (EMBEDDED_MODEL / "saved_model.pb").exists()
    assert (EMBEDDED_MODEL / "NOTICE.md").read_text().count("Apache License 2.0") >= 1
    assert fast_model_problem(s) is None
    photo = synthetic_photo()
    out = fast_stylize(photo, synthetic_swirls(), s)
    assert out.shape == (96, 128, 3) and np.abs(out.astype(float) - photo).mean() > 10  # it restyled the photo


def test_cli_fast(tiny_hub_model, tmp_path):
    Image.fromarray(synthetic_photo()).save(tmp_path / "c.png")
    Image.fromarray(synthetic_painting()).save(tmp_path / "s.png")
    r = subprocess.run([sys.executable, "-m", "nst_core", tmp_path / "c.png", tmp_path / "s.png", "-o",
                        tmp_path / "f.png", "--fast", "--hub-model", tiny_hub_model, "--size", "64"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert Image.open(tmp_path / "f.png").size == (64, 48)
    # its PNG's recipe replays as Instant made it, not as an optimisation run of its settings
    r = subprocess.run([sys.executable, "-m", "nst_core", tmp_path / "c.png", tmp_path / "s.png", "-o",
                        tmp_path / "again.png", "--recipe", tmp_path / "f.png", "--hub-model", tiny_hub_model],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "f.png")), np.asarray(Image.open(tmp_path / "again.png")))


@pytest.mark.skipif(not REAL_MODEL.exists(), reason="../shared/hub/magenta_arbitrary_lite is not here")
def test_real_model_paints_in_the_styles_colours(image_pair):
    s = Settings(hub_model=str(REAL_MODEL), max_size=256)
    out = fast_stylize(*image_pair, s)
    from nst_core import load_image

    content = load_image(image_pair[0])
    assert out.shape == (192, 256, 3)
    assert np.abs(out.astype(float).mean((0, 1)) - content.mean((0, 1))).max() > 5  # colours moved
