"""Regional style: masked Grams, masks at each scale, one or two styles, the mask in the recipe."""
import numpy as np
import pytest
from PIL import Image

from conftest import TINY_LAYERS, synthetic_painting, synthetic_photo
from nst_core import ImageError, Settings, SettingsError, stylize
from nst_core.vgg.features import tf
from nst_core.vgg.losses import gram, layer_mask, masked_gram
from nst_core.imaging.mask import at_size, from_data_url, load_mask, to_data_url


def tiny(**kw):
    base = dict(iterations=15, max_size=128, preview_every=5, style_weight=20.0, multiscale=False, **TINY_LAYERS)
    return Settings(**{**base, **kw})


def final(settings, extractor, mask=None, style=None, content=None):
    content = synthetic_photo() if content is None else content
    style = synthetic_painting() if style is None else style
    return list(stylize(content, style, settings, mask=mask, extractor=extractor))[-1].image


def half_mask(h=96, w=128, left=True):
    m = np.zeros((h, w), np.uint8)
    m[:, : w // 2] = 255
    return m if left else 255 - m


def test_masked_gram_with_an_all_white_mask_is_the_plain_gram():
    f = tf.constant(np.random.default_rng(0).normal(size=(12, 10, 5)), tf.float32)
    np.testing.assert_allclose(masked_gram(f, tf.ones((12, 10))), gram(f), rtol=1e-5, atol=1e-6)


def test_masked_gram_is_the_gram_of_the_region_alone():
    f = np.random.default_rng(1).normal(size=(8, 8, 4)).astype(np.float32)
    m = np.zeros((8, 8), np.float32)
    m[:, :3] = 1
    np.testing.assert_allclose(masked_gram(tf.constant(f), tf.constant(m)), gram(tf.constant(f[:, :3])), rtol=1e-5,
                               atol=1e-6)


def test_the_mask_is_area_averaged_to_each_layer():
    m = np.zeros((16, 16, 1), np.float32)
    m[:, :8] = 1
    small = layer_mask(tf.constant(m), tf.zeros((4, 4, 7))).numpy()
    assert small.shape == (4, 4, 1) and np.allclose(small[:, :2], 1) and np.allclose(small[:, 2:], 0)


def test_an_all_white_mask_paints_as_the_unmasked_run(tiny_extractor):
    s = tiny(mask_feather=0.0)
    plain = final(s, tiny_extractor)
    white = final(s, tiny_extractor, mask=np.full((96, 128), 255, np.uint8))
    assert np.abs(plain.astype(int) - white.astype(int)).max() <= 1


def test_an_all_black_mask_gives_back_the_photo(tiny_extractor):
    photo = synthetic_photo(72, 96)
    out = final(tiny(), tiny_extractor, mask=np.zeros((72, 96), np.uint8), content=photo)
    assert np.abs(out.astype(float) - photo).mean() < 1.0


@pytest.mark.parametrize("init", ["style", "noise"])
def test_any_start_is_the_photo_where_the_mask_is_black(tiny_extractor, init):
    """Refine (init="fast") and the other starts begin at the photo where no style goes."""
    photo = synthetic_photo(72, 96)
    out = final(tiny(init=init), tiny_extractor, mask=np.zeros((72, 96), np.uint8), content=photo)
    assert np.abs(out.astype(float) - photo).mean() < 1.0


def test_the_style_stays_on_the_white_half(tiny_extractor):
    photo = synthetic_photo()
    out = final(tiny(), tiny_extractor, mask=half_mask(), content=photo).astype(float)
    diff = np.abs(out - photo).mean(axis=2)
    left, right = diff[:, :40].mean(), diff[:, 88:].mean()  # away from the seam
    assert left > 5 * right and right < 3


def test_two_styles_each_take_their_half(tiny_extractor):
    blue = np.zeros((64, 64, 3), np.uint8) + (20, 40, 200)
    red = np.zeros((64, 64, 3), np.uint8) + (220, 30, 20)
    s = tiny(iterations=30, style_weight=200.0, layers="gatys", style_layers=("block1_conv1",))
    out = final(s, tiny_extractor, mask=half_mask(), style=[blue, red]).astype(float)
    left, right = out[:, :40].reshape(-1, 3).mean(0), out[:, 88:].reshape(-1, 3).mean(0)
    assert left[2] - left[0] > right[2] - right[0] + 40  # bluer on the white (first style's) half
    assert right[0] - right[2] > left[0] - left[2] + 40  # redder on the black half


def test_the_mask_follows_every_scale(tiny_extractor):
    s = tiny(max_size=256, multiscale=True, coarse_iterations=5)
    photo = synthetic_photo(192, 256)
    frames = list(stylize(photo, synthetic_painting(), s, mask=half_mask(192, 256), extractor=tiny_extractor))
    assert {f.image.shape for f in frames} == {(96, 128, 3), (192, 256, 3)}
    right = np.abs(frames[-1].image.astype(float) - photo)[:, 176:].mean()
    assert right < 3  # the enlarged coarse result brought no texture to the photo's half


def test_a_feathered_seam_has_no_hard_cut():
    m = at_size(half_mask(), (96, 128), 0.02)
    row = m[48]
    assert row[0] == pytest.approx(1, abs=1e-2) and row[-1] == pytest.approx(0, abs=1e-2)
    assert np.abs(np.diff(row)).max() < 0.25  # the step is spread over several pixels
    assert np.array_equal(at_size(half_mask(), (96, 128), 0.0)[48] > 0.5, row > 0.5)


def test_masks_read_from_files_strokes_on_a_clear_layer_and_data_urls(tmp_path):
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[:, :10] = (255, 255, 255, 255)
    Image.fromarray(rgba).save(tmp_path / "strokes.png")
    m = load_mask(tmp_path / "strokes.png")
    assert m.shape == (20, 30) and m[:, :10].min() == 255 and m[:, 10:].max() == 0
    assert np.array_equal(from_data_url(to_data_url(m)), m)


def test_bad_masks_fail_early_with_one_line(tiny_extractor):
    with pytest.raises(ImageError, match="the mask is 40x80 but the photo is 128x96"):
        final(tiny(), tiny_extractor, mask=np.zeros((80, 40), np.uint8))
    three = [synthetic_painting()] * 3
    with pytest.raises(SettingsError, match="one or two styles"):
        final(tiny(), tiny_extractor, mask=half_mask(), style=three)
    with pytest.raises(SettingsError, match="leave style_blend empty"):
        final(tiny(style_blend=(1, 2)), tiny_extractor, mask=half_mask(), style=three[:2])
    with pytest.raises(ImageError, match="damaged"):
        from_data_url("data:image/png;base64,@@@")


def test_on_real_vgg19_black_keeps_the_photo_and_the_style_stays_on_the_white_half(image_pair):
    """The embedded VGG19 at 128 px: an all-black mask gives back (nearly) the photo; a left-half
    mask paints the left and leaves the right within a few levels of the photo."""
    from nst_core import load_image
    from nst_core.imaging.images import fit_size, resize

    photo = load_image(image_pair[0])
    ref = resize(photo, fit_size(photo.shape[:2], 128)).astype(float)
    s = Settings(max_size=128, iterations=12, multiscale=False)
    black = list(stylize(photo, image_pair[1], s, mask=np.zeros(photo.shape[:2], np.uint8)))[-1].image
    assert np.abs(black - ref).mean() < 1.0
    half = list(stylize(photo, image_pair[1], s, mask=half_mask(*photo.shape[:2])))[-1].image
    diff = np.abs(half - ref).mean(axis=2)
    w = diff.shape[1]
    assert diff[:, w // 2:].mean() < 6 and diff[:, : w // 3].mean() > 3 * diff[:, 2 * w // 3:].mean()
