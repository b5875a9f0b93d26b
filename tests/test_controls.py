"""Creative controls on a real small image with the embedded weights: each one's visible effect."""
import io

import numpy as np
import pytest
from PIL import Image

from nst_core import Settings, load_image, png_bytes, stylize
from nst_core.imaging.animation import gif_bytes
from nst_core.imaging.colour import keep_content_colours, match_colours, to_ycc
from nst_core.recipe import KEY, read_recipe, recipe_json
from nst_core.engine.run import scale_sizes, size_images

from conftest import synthetic_photo

SMALL = dict(max_size=96, iterations=8, preview_every=4)


def final(content, style, **kw):
    return list(stylize(content, style, Settings(**{**SMALL, **kw})))[-1]


def test_luminance_mode_keeps_the_contents_colours(image_pair):
    out = final(*image_pair, preserve_colors="luminance", style_weight=100.0)
    plain = final(*image_pair, style_weight=100.0)
    content = np.asarray(Image.open(image_pair[0]).convert("RGB").resize(out.image.shape[1::-1], Image.LANCZOS))
    chroma = lambda im: to_ycc(im)[..., 1:]  # noqa: E731
    assert np.abs(chroma(out.image) - chroma(content)).mean() < 2.0  # rounding only
    assert np.abs(chroma(plain.image) - chroma(content)).mean() > 5.0  # without it, colours move


def test_colour_matching_gives_the_style_the_contents_statistics(image_pair):
    content, style = load_image(image_pair[0]), load_image(image_pair[1])
    matched = match_colours(style, content).reshape(-1, 3).astype(float)
    c = content.reshape(-1, 3).astype(float)
    assert np.abs(matched.mean(0) - c.mean(0)).max() < 2.0
    assert np.abs(np.cov(matched, rowvar=False) - np.cov(c, rowvar=False)).max() < 0.05 * np.abs(np.cov(c, rowvar=False)).max()


def test_blend_weights_one_zero_equal_the_single_style(image_pair):
    content, starry = image_pair
    other = np.full((96, 96, 3), (200, 30, 30), np.uint8)
    single = final(content, starry)
    blended = final(content, [starry, other], style_blend=(1.0, 0.0))
    mixed = final(content, [starry, other], style_blend=(0.5, 0.5))
    assert np.array_equal(single.image, blended.image)
    assert not np.array_equal(single.image, mixed.image)


def test_same_seed_same_png_bytes(image_pair):
    a = png_bytes(final(*image_pair, init="noise", seed=3).image)
    b = png_bytes(final(*image_pair, init="noise", seed=3).image)
    c = png_bytes(final(*image_pair, init="noise", seed=4).image)
    assert a == b and a != c


def test_style_scale_sets_the_style_images_size(image_pair):
    content, style = load_image(image_pair[0]), load_image(image_pair[1])
    for scale in (0.5, 2.0):
        c, (st,) = size_images(content, [style], 128, Settings(style_scale=scale))
        assert max(st.shape[:2]) == round(scale * max(c.shape[:2]))
    big = final(*image_pair, style_scale=2.0, style_weight=100.0, max_size=128)
    small = final(*image_pair, style_scale=0.5, style_weight=100.0, max_size=128)
    assert np.abs(big.image.astype(float) - small.image).mean() > 3  # a visibly different picture


def test_initial_image_is_where_the_run_starts(image_pair):
    start = np.full((60, 80, 3), (20, 200, 60), np.uint8)
    frames = list(stylize(*image_pair, Settings(max_size=80, iterations=1, init="image"), init_image=start))
    assert np.abs(frames[-1].image.astype(float) - start).mean() < 2
    with pytest.raises(Exception, match="needs an initial image"):
        list(stylize(*image_pair, Settings(max_size=80, iterations=1, init="image")))


def test_multiscale_grows_the_picture_coarse_to_fine(image_pair):
    assert scale_sizes(256, True) == [128, 256]
    assert scale_sizes(1024, True) == [128, 256, 512, 1024] and scale_sizes(700, True) == [175, 350, 700]
    assert scale_sizes(255, True) == [255] and scale_sizes(256, False) == [256]
    s = Settings(max_size=256, iterations=3, coarse_iterations=2, preview_every=1, multiscale=True)
    frames = list(stylize(*image_pair, s))
    widths = [f.image.shape[1] for f in frames]
    assert widths == [128, 128, 256, 256, 256]  # 2 coarse iterations, 3 at the final size, then the result
    assert frames[-1].total == 5 and frames[-1].iteration == 5


def test_each_scale_starts_from_the_last_one_with_the_photos_finer_detail():
    from nst_core.imaging.images import resize
    from nst_core.engine.run import enlarge

    photo = synthetic_photo()  # [48, 64, 3] with edges a half-size copy cannot hold
    half = resize(photo, (24, 32))
    plain = resize(half, photo.shape[:2]).astype(float)
    assert np.abs(plain - photo).mean() > 2  # enlarging alone blurs
    assert np.abs(enlarge(half.astype(np.float32), photo, half) - photo).max() <= 1  # the detail comes back


def test_each_scale_also_starts_with_the_styles_finest_texture():
    from nst_core.engine.run import enlarge, finest_octave

    flat = np.full((48, 64, 3), 120, np.uint8)
    half = np.full((24, 32, 3), 120, np.uint8)
    # [20, 20, 3] one-pixel checks: nothing of them survives halving
    strokes = ((np.indices((20, 20)).sum(0) % 2)[..., None] * np.array([200, 40, 90])).astype(np.uint8)
    band = finest_octave(strokes, (48, 64))
    assert band.shape == (48, 64, 3) and abs(band.mean()) < 5 and band.std() > 30
    start = enlarge(half.astype(np.float32), flat, half, [strokes])
    assert np.abs(start - np.clip(120 + band, 0, 255)).max() < 1e-3  # the flat picture gains the texture
    # weights (1, 0) mean the first style's texture alone
    assert np.array_equal(enlarge(half.astype(np.float32), flat, half, [strokes, flat], (1.0, 0.0)), start)


def test_a_print_sized_start_made_in_bands_is_the_same_picture(monkeypatch):
    """A 4096 px print's start picture is made a band of rows at a time (its whole-picture
    temporaries were the run's memory peak): band edges must not shift the texture or the photo."""
    from nst_core.engine import warmstart
    from nst_core.imaging import images

    rng = np.random.default_rng(0)
    best = rng.uniform(-5, 260, (30, 20, 3)).astype(np.float32)
    photo, coarse = rng.integers(0, 256, (61, 40, 3), np.uint8), rng.integers(0, 256, (30, 20, 3), np.uint8)
    paintings = [rng.integers(0, 256, (25, 70, 3), np.uint8), rng.integers(0, 256, (90, 33, 3), np.uint8)]
    masks = rng.uniform(0, 1, (61, 40, 2)).astype(np.float32)
    cases = [(), (paintings, (0.3, 0.7)), (paintings, (), masks)]
    whole = [warmstart.enlarge(best, photo, coarse, *c) for c in cases]
    monkeypatch.setattr(images, "BAND_PIXELS", 7 * 40)  # 7 rows a band; the last one short
    for c, w in zip(cases, whole):
        np.testing.assert_array_equal(warmstart.enlarge(best, photo, coarse, *c), w)


def test_the_styles_tiled_texture_draws_no_line_where_the_tiles_meet():
    """A painting's scan with a frame, odd-sized as most are: its texture tiled across a wider photo
    left a thin bright line at the tile seam (seen at x = 399 on Golden Gate x Picasso)."""
    from nst_core.engine.run import finest_octave

    rng = np.random.default_rng(0)
    painting = rng.integers(90, 160, (61, 47, 3)).astype(np.uint8)  # soft brush noise
    painting[:, -2:] = 255  # the scan's white frame on the right
    painting[:2] = 0  # and a dark one on top
    band = np.abs(finest_octave(painting, (120, 128)))
    cols, rows = band.mean(axis=(0, 2)), band.mean(axis=(1, 2))
    assert cols.max() < 1.5 * np.median(cols) and rows.max() < 1.5 * np.median(rows)


def test_the_styles_texture_starts_the_final_scale_closer_to_the_style(image_pair, monkeypatch):
    from nst_core.engine import warmstart

    # Measured on the literal per-layer scale it was built for; under the balanced default the gain on
    # the made-up pair CI uses without ../shared is smaller (0.86), on the real pair it still holds.
    s = Settings(max_size=256, iterations=16, coarse_iterations=15, preview_every=1, multiscale=True,
                 normalization="mean", padding="zero")

    def first_loss_at_final_scale():  # iteration 16 is the first at 256 px; the run stops there
        return next(f for f in stylize(*image_pair, s) if f.iteration == 16).losses["style"]

    with_texture = first_loss_at_final_scale()
    monkeypatch.setattr(warmstart._Octave, "rows",  # no texture: an octave of zeros
                        lambda self, y0, y1: np.zeros((y1 - y0, len(self.cols_at), 3), np.float32))
    assert with_texture < 0.8 * first_loss_at_final_scale()


def test_recipe_round_trips_through_the_png(image_pair, tmp_path):
    s = Settings(**SMALL, init="noise", seed=11, style_weight=30.0, preserve_colors="match")
    first = list(stylize(*image_pair, s))[-1].image
    path = tmp_path / "r.png"
    path.write_bytes(png_bytes(first, {KEY: recipe_json(s)}))
    again = read_recipe(path)
    assert again == s
    assert png_bytes(list(stylize(*image_pair, again))[-1].image) == png_bytes(first)


def test_recipes_never_set_operator_fields(tmp_path):
    import json

    data = json.loads(recipe_json(Settings()))
    data["settings"]["weights"] = "/etc/passwd"
    data["settings"]["hub_model"] = "http://evil.example/model"
    s = read_recipe(data)
    assert s.weights == "embedded" and s.hub_model == Settings().hub_model


def test_progress_animation_is_a_gif_of_the_frames(image_pair):
    frames = list(stylize(*image_pair, Settings(max_size=96, iterations=6, preview_every=1)))
    data = gif_bytes([f.image for f in frames])
    with Image.open(io.BytesIO(data)) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(frames) and gif.size == (96, 72)
        gif.seek(gif.n_frames - 1)  # the shared palette still renders the result faithfully
        last = np.asarray(gif.convert("RGB"), np.float32)
    assert np.abs(last - frames[-1].image).mean() < 8


def test_luminance_recombination_is_exact_on_grey():
    grey = np.full((4, 4, 3), 128, np.uint8)
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 200
    out = keep_content_colours(grey, red)
    assert out[..., 0].mean() > out[..., 1].mean()  # red chroma kept, grey luma
