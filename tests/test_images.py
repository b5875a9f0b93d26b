"""Reading images: every kind of file a user drops in ends upright, RGB, or in one clear error."""
import numpy as np
import pytest
from PIL import Image

from nst_core import ImageError, Limits, load_image
from nst_core.imaging.images import fit_size


def test_array_pil_and_path_inputs_agree(tmp_path):
    a = np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)
    Image.fromarray(a).save(tmp_path / "a.png")
    for src in (a, Image.fromarray(a), tmp_path / "a.png", str(tmp_path / "a.png")):
        np.testing.assert_array_equal(load_image(src), a)


def test_transparency_is_composited_over_white(tmp_path):
    rgba = np.zeros((10, 10, 4), np.uint8)  # fully transparent black
    Image.fromarray(rgba).save(tmp_path / "t.png")
    assert (load_image(tmp_path / "t.png") == 255).all()


def test_exif_rotation_is_applied(tmp_path):
    im = Image.new("RGB", (60, 30), (200, 0, 0))
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    im.save(tmp_path / "r.jpg", exif=exif)
    assert load_image(tmp_path / "r.jpg").shape == (60, 30, 3)


@pytest.mark.parametrize("make, words", [
    (lambda p: p.write_bytes(b""), "empty file"),
    (lambda p: p.write_bytes(b"this is not an image"), "not an image"),
])
def test_unreadable_files_give_one_clear_error(tmp_path, make, words):
    p = tmp_path / "x.jpg"
    make(p)
    with pytest.raises(ImageError, match=words):
        load_image(p)


def test_truncated_jpeg_is_refused(tmp_path):
    Image.fromarray(np.full((200, 200, 3), 90, np.uint8)).save(tmp_path / "f.jpg")
    data = (tmp_path / "f.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="damaged"):
        load_image(tmp_path / "cut.jpg")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    Image.new("L", (6000, 6000)).save(tmp_path / "bomb.png", optimize=True)
    with pytest.raises(ImageError, match="megapixels; the limit"):
        load_image(tmp_path / "bomb.png", Limits(max_input_pixels=10_000_000))


def test_missing_file_names_the_file():
    with pytest.raises(ImageError, match="content image not found: nowhere.png"):
        load_image("nowhere.png", what="content image")


def test_fit_size_keeps_aspect_and_never_enlarges():
    assert fit_size((768, 1024), 256) == (192, 256)
    assert fit_size((100, 50), 256) == (100, 50)


def test_large_pictures_convert_band_by_band_to_the_same_bytes(monkeypatch):
    # A 4096 px print's conversions ran in bands to keep its peak memory down; a band seam that
    # shifted or dropped a row would show in every print.
    import nst_core.imaging.images as images
    from nst_core.imaging.colour import keep_content_colours

    rng = np.random.default_rng(0)
    x = rng.uniform(-20, 280, (61, 40, 3)).astype(np.float32)
    photo = rng.integers(0, 256, (61, 40, 3), dtype=np.uint8)
    whole = images.to_uint8(x), keep_content_colours(images.to_uint8(x), photo)
    monkeypatch.setattr(images, "BAND_PIXELS", 7 * 40)  # 7 rows a band: the last band is short
    banded = images.to_uint8(x), keep_content_colours(images.to_uint8(x), photo)
    assert banded[0].dtype == np.uint8 and banded[0].shape == x.shape
    for a, b in zip(whole, banded):
        np.testing.assert_array_equal(a, b)
