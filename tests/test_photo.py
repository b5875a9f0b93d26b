"""Photo mode: the matting Laplacian's properties, its smoothing and its loss term, runs that keep a
photo's straight edge straight (tiny pictures, the tiny extractor), and the preset on real photos with
the embedded VGG19 (slow)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from conftest import TINY_LAYERS, synthetic_painting, synthetic_photo
from nst_core import Settings, SettingsError, stylize
from nst_core.imaging.matting import Regulariser, laplacian_energy, matting_laplacian, smooth


def edge_picture(h: int = 40, w: int = 48) -> np.ndarray:
    """Two flat regions split by a vertical straight edge at column w/2. (Flat: where a photo's colour
    changes steadily along a row, any function of the column is locally affine in its colour, so the
    Laplacian would let strokes along that row through.)"""
    img = np.where(np.arange(w)[None, :, None] < w // 2, (200, 170, 120), (40, 70, 110))
    return np.broadcast_to(img, (h, w, 3)).astype(np.uint8)


def test_the_laplacian_is_symmetric_positive_semidefinite_and_blind_to_a_constant():
    photo = synthetic_photo(24, 32)
    lap = matting_laplacian(photo)
    n = 24 * 32
    assert lap.shape == (n, n)
    assert abs(lap - lap.T).max() < 1e-9
    assert np.abs(lap @ np.ones(n)).max() < 1e-9  # a flat picture costs nothing
    v = np.random.default_rng(0).normal(size=(n, 5))
    assert (np.einsum("nk,nk->k", v, lap @ v) >= -1e-9).all()
    # about 25 non-zeros a row: 5x5 neighbourhoods of overlapping 3x3 windows
    assert lap.nnz <= 25 * n


def test_the_photos_own_colours_cost_nothing_and_noise_costs_much():
    photo = synthetic_photo(32, 40)
    lap = matting_laplacian(photo)
    noisy = np.clip(photo + np.random.default_rng(1).normal(0, 20, photo.shape), 0, 255)
    recoloured = np.clip(photo.astype(np.float64) @ np.array([[0.5, 0.2, 0.1], [0.1, 0.6, 0.0], [0.2, 0.1, 0.7]])
                         + 20, 0, 255)  # an affine recolouring: still locally affine in the photo's colours
    assert laplacian_energy(lap, photo) < 1e-4
    assert laplacian_energy(lap, recoloured) < 1e-3
    assert laplacian_energy(lap, noisy) > 100 * laplacian_energy(lap, recoloured)


def test_the_regularisers_gradient_is_its_values_slope():
    photo = synthetic_photo(16, 20)
    term = Regulariser(matting_laplacian(photo), weight=3.0)
    x = np.random.default_rng(2).uniform(0, 255, photo.shape).astype(np.float64)
    value, grad = term(x)
    d = np.random.default_rng(3).normal(size=x.shape)
    step = 1e-2
    slope = (term(x + step * d)[0] - term(x - step * d)[0]) / (2 * step)
    assert slope == pytest.approx(float((grad * d).sum()), rel=1e-3)
    assert value > 0 and grad.shape == x.shape and grad.dtype == np.float32


def test_smoothing_takes_the_paint_off_and_keeps_the_edge_where_it_was():
    photo = edge_picture()
    stylised = photo.astype(np.float64) @ np.diag([0.8, 0.9, 1.2])  # a colour grade ...
    strokes = 40 * np.sin(np.arange(photo.shape[1]) / 1.5)[None, :, None] * np.sin(np.arange(photo.shape[0]))[:, None, None]
    painted = np.clip(stylised + strokes, 0, 255)  # ... with strokes across everything
    out = smooth(matting_laplacian(photo), painted, strength=100.0)
    w = photo.shape[1]
    # the strokes are gone: each half is flat along its rows, as the photo is
    assert out[:, 2:w // 2 - 2].std(axis=0).max() < 6
    assert np.abs(out - np.clip(stylised, 0, 255)).mean() < np.abs(painted - np.clip(stylised, 0, 255)).mean() / 3
    # the edge stays at the photo's column, a straight vertical line in every row
    jump = np.abs(np.diff(out.mean(axis=2), axis=1)).argmax(axis=1)
    assert (jump == w // 2 - 1).all()
    # the grade's colours stay: the blue channel raised, as the painting had it
    assert out[..., 2].mean() > photo[..., 2].mean() + 10


@pytest.mark.parametrize("method", ["smooth", "laplacian"])
def test_photo_mode_keeps_a_straight_edge_straight(tiny_extractor, method):
    photo = edge_picture(48, 64)
    s = Settings(iterations=15, max_size=64, multiscale=False, style_weight=20.0, photo=True,
                 photo_method=method, **TINY_LAYERS)
    plain = s.replace(photo=False)
    *_, final = stylize(photo, synthetic_painting(48, 48), s, extractor=tiny_extractor)
    *_, painted = stylize(photo, synthetic_painting(48, 48), plain, extractor=tiny_extractor)
    lap = matting_laplacian(photo)

    def rough(img):  # the strokes: the energy of what is not locally affine in the photo's colours
        return laplacian_energy(lap, img)

    assert rough(final.image) < rough(painted.image) / 4
    jump = np.abs(np.diff(final.image.astype(float).mean(axis=2), axis=1)).argmax(axis=1)
    assert (jump == 31).mean() > 0.9  # the edge stays on the photo's column in (nearly) every row
    if method == "laplacian":
        assert "photo" in final.losses  # the term is in the loss the optimiser saw


def test_photo_mode_refuses_a_tiled_print_size_in_one_line(tiny_extractor):
    s = Settings(iterations=1, max_size=256, multiscale=False, tile_size=128, memory_budget_mb=0, photo=True,
                 **TINY_LAYERS)
    with pytest.raises(SettingsError, match="photo look paints whole pictures only") as err:
        next(stylize(synthetic_photo(96, 128), synthetic_painting(), s.replace(enlarge=True), extractor=tiny_extractor))
    assert "\n" not in str(err.value)


def test_photo_settings_are_checked():
    with pytest.raises(SettingsError, match="photo_method"):
        Settings(photo_method="paint")
    with pytest.raises(SettingsError, match="photo_strength"):
        Settings(photo_strength=0)


def test_the_laplacian_built_in_bands_is_the_whole_pictures():
    photo = synthetic_photo(30, 20)
    whole = matting_laplacian(photo, band=100)
    banded = matting_laplacian(photo, band=4)
    assert abs(whole - banded).max() < 1e-9


@pytest.mark.slow
def test_the_photo_look_preset_on_real_photos_keeps_the_photo_and_takes_the_dusk():
    """The real embedded VGG19 at 160 px: the preset's result keeps the cat's structure far better
    than the default run and moves its palette most of the way to the dusk photo's."""
    from nst_core import load_image
    from nst_core.imaging.images import resize
    from nst_core.presets import load_presets
    from nst_core.vgg.figures import luminance_ssim, palette_drop

    examples = Path(__file__).resolve().parents[1] / "examples"
    photo, dusk = load_image(examples / "chelsea.jpg"), load_image(examples / "rocket.jpg")
    look = load_presets()["photo-look"].settings.replace(max_size=160, conv="direct")
    *_, ours = stylize(photo, dusk, look)
    *_, painted = stylize(photo, dusk, Settings(max_size=160, conv="direct"))
    c = resize(photo, ours.image.shape[:2])
    assert luminance_ssim(ours.image, c) > luminance_ssim(painted.image, c) + 0.1
    assert palette_drop(ours.image, c, dusk) > 0.6


def test_the_page_takes_the_photo_look_preset_by_name():
    import gradio as gr

    from nst_core.presets import load_presets
    from ui import knobs

    preset = load_presets()["photo-look"].settings
    shown = knobs.widget_values(preset)
    assert shown["photo"] is True  # the Advanced box is ticked when the preset is picked
    values = {n: (v.value if isinstance(v, gr.Slider) else v) for n, v in shown.items()}
    run = knobs.settings_from(values, preset)
    assert run.photo and run.layer_names[1] == ("block1_conv1", "block2_conv1", "block3_conv1")
    assert not knobs.settings_from({**values, "photo": False}, preset).photo
