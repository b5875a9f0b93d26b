"""A result PNG made before a change replays byte for byte after it: the recipe in its text gives
the same settings and, run again, the same picture. The PNGs in tests/data/ were made on 2026-12-07
by the code of commit 6538fb8 (``python tests/test_recipe_replay.py`` makes them again; do that only
when a change of picture is meant, and say so in the commit)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from conftest import TINY_LAYERS, synthetic_photo, synthetic_swirls  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


def half_mask(h: int, w: int) -> np.ndarray:
    mask = np.zeros((h, w), np.uint8)
    mask[:, w // 2:] = 255
    return mask


# name -> (settings' fields, the run's photo shape, with a mask): a coarse-to-fine run steered halfway
# with a mask and its colours kept, and a print-size run painted tile by tile. Both were made before
# keep_faces, which their recipes therefore read as 0 (the photos have no face either way).
BEFORE_KEEP_FACES = {"keep_faces": 0.0}
CASES = {
    "replay_scales.png": (dict(iterations=8, max_size=256, coarse_iterations=3, preview_every=1, seed=3,
                               init="noise", style_weight=1.0, preserve_colors="luminance",
                               steering=((4, 0.5, 2.0, 0.0),), **TINY_LAYERS, **BEFORE_KEEP_FACES), (192, 256), True),
    "replay_tiles.png": (dict(iterations=4, max_size=256, preview_every=2, style_weight=1.0, tile_size=128,
                              tile_sweeps=2, tile_mode="sweeps", memory_budget_mb=0, multiscale=False, seed=5,
                              **TINY_LAYERS, **BEFORE_KEEP_FACES), (192, 256), False),
}


def isa() -> str:
    """The widest vector unit the CPU has: float sums may round differently from one to another."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "other"


def paint(settings, shape, masked, extractor):
    from nst_core import stylize

    mask = half_mask(*shape) if masked else None
    frames = list(stylize(synthetic_photo(*shape), synthetic_swirls(128, 128), settings, extractor=extractor,
                          mask=mask))
    return frames[-1], mask


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_result_png_made_before_replays_byte_for_byte(name, tiny_extractor):
    from nst_core import Settings
    from nst_core.recipe import read_mask, read_recipe, recipe_data

    path = DATA / name
    fields, shape, masked = CASES[name]
    settings = read_recipe(path)
    assert settings == Settings(**fields)
    made = np.asarray(Image.open(path).convert("RGB"))
    mask = read_mask(path) if masked else None
    if masked:
        assert np.array_equal(mask, half_mask(*shape))
    frame, _ = paint(settings, shape, masked, tiny_extractor)
    if recipe_data(path).get("made_on") == isa():
        assert np.array_equal(frame.image, made)
    else:  # another vector unit: its float sums round otherwise, a level here and there
        assert np.abs(frame.image.astype(float) - made).mean() < 1.0


def make() -> None:
    """Paint the cases with this code and write their result PNGs (recipe in the text) to tests/data/."""
    from conftest import tiny_extractor
    from nst_core import Settings
    from nst_core.recipe import result_png

    extractor = tiny_extractor.__wrapped__()
    DATA.mkdir(exist_ok=True)
    for name, (fields, shape, masked) in CASES.items():
        settings = Settings(**fields)
        frame, mask = paint(settings, shape, masked, extractor)
        (DATA / name).write_bytes(result_png(frame, settings, mask, made_on=isa()))
        print(name, json.dumps(fields, default=str))


if __name__ == "__main__":
    make()


def test_the_recipe_records_the_path_and_precision_that_painted_it_and_replays_to_the_same_bytes(monkeypatch, tmp_path):
    """conv="auto" on a machine where it picks bfloat16: the recipe says so (and on what CPU); replayed
    here, where auto picks the same path, it gives the same PNG. Real VGG19, tiny picture."""
    from nst_core import Settings, result_png, stylize
    from nst_core.optim import autotune
    from nst_core.recipe import read_recipe, recipe_data

    monkeypatch.setattr(autotune, "choose", lambda *a, **k: autotune.ConvChoice("direct-bf16", {}))
    photo, painting = synthetic_photo(40, 48), synthetic_swirls(40, 48)
    s = Settings(iterations=3, max_size=48, multiscale=False, seed=1)

    def png(settings):
        *_, last = stylize(photo, painting, settings)
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.png"
        path.write_bytes(result_png(last, settings))
        return path

    first = png(s)
    engine = recipe_data(first)["engine"]
    assert engine["conv"] == "direct-bf16" and engine["precision"] == "bfloat16"
    assert engine["cpu"] and isinstance(engine["cpu_flags"], list)
    assert recipe_data(first)["settings"]["conv"] == "auto"  # replayed elsewhere, auto picks that machine's path
    assert png(read_recipe(first)).read_bytes() == first.read_bytes()
    explicit = png(s.replace(conv="winograd"))
    assert recipe_data(explicit)["engine"]["precision"] == "float32"
