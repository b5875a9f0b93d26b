"""The mask brush's handlers and a masked run through the app's handlers: editor <-> mask <-> recipe, and the
letterboxed canvas that keeps the brush's layer on the photo whatever its shape."""
import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import app
from conftest import synthetic_painting, synthetic_photo
from test_app_picture import outputs, values
from ui.files import Files
from ui.handlers import Handlers
from ui.masks import (BRUSH_ALPHA, MASK_CANVAS, MaskHandlers, editor_value, layer_from_mask, mask_from_layers,
                      opaque_box, photo_box)


@pytest.fixture
def files(tmp_path):
    return Files(str(tmp_path / "cache"))


def grey(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("L"))


def left_half(h=96, w=128) -> np.ndarray:
    m = np.zeros((h, w), np.uint8)
    m[:, : w // 2] = 255
    return m


def canvas_of(editor: dict) -> tuple:
    """(the photo's box, the canvas's shape) as the handlers read them from an editor value."""
    bg = np.asarray(editor["background"])
    return opaque_box(bg), bg.shape[:2]


@pytest.mark.parametrize("shape", [(96, 128), (600, 512), (300, 900), (64, 64), (2000, 1500)],
                         ids=["wide", "tall", "very-wide", "square", "large"])
def test_the_photo_sits_letterboxed_on_the_square_canvas_and_the_mask_round_trips(shape):
    photo = np.zeros((*shape, 3), np.uint8)
    photo[..., 1] = 160
    top, left, h, w = box = photo_box(shape)
    assert max(h, w) == MASK_CANVAS and abs(w / h - shape[1] / shape[0]) < 0.01  # as large as fits, not bent
    assert (top, left) == ((MASK_CANVAS - h) // 2, (MASK_CANVAS - w) // 2)  # centred
    mask = left_half(*shape)
    editor = editor_value(photo, mask)
    bg, (layer,) = editor["background"], editor["layers"]
    assert bg.shape == layer.shape == (MASK_CANVAS, MASK_CANVAS, 4)  # what the fixed canvas shows unmoved
    assert canvas_of(editor) == (box, (MASK_CANVAS, MASK_CANVAS))
    assert (bg[top:top + h, left:left + w] == (0, 160, 0, 255)).all() and bg[..., 3].sum() == 255 * h * w
    inside = layer[top:top + h, left:left + w, 3]
    edge = w // 32  # the mask's own edge, blurred by enlarging it
    assert inside[:, : w // 2 - edge].min() == round(BRUSH_ALPHA * 255) and inside[:, w // 2 + edge:].max() == 0
    assert layer[..., 3].sum() == inside.sum()  # nothing on the letterbox
    back = mask_from_layers([layer], box, bg.shape[:2])
    assert back.shape == (h, w)
    again = np.asarray(Image.fromarray(back).resize(shape[::-1], Image.BILINEAR))
    assert np.abs(again.astype(int) - mask).mean() < 3


def test_a_stroke_maps_to_the_point_of_the_photo_under_it():
    """A dab painted at a canvas point is white at that point of the photo; dabs on the letterbox are
    not in the mask (nor is a layer with nothing on the photo)."""
    photo = np.full((300, 900, 3), 90, np.uint8)
    top, left, h, w = box = photo_box(photo.shape[:2])  # a band across the middle of the canvas
    layer = np.zeros((MASK_CANVAS, MASK_CANVAS, 4), np.uint8)
    layer[20:60, 500:540, 3] = round(BRUSH_ALPHA * 255)  # above the photo
    assert mask_from_layers([layer], box, layer.shape[:2]) is None
    cy, cx = top + h // 4, left + 3 * w // 4  # a quarter down, three quarters across the photo
    layer[cy - 10:cy + 10, cx - 10:cx + 10, 3] = round(BRUSH_ALPHA * 255)
    mask = mask_from_layers([layer], box, layer.shape[:2])
    ys, xs = np.nonzero(mask > 127)
    assert abs(ys.mean() / h - 0.25) < 0.01 and abs(xs.mean() / w - 0.75) < 0.01 and mask.max() > 250
    # a layer of another size than the canvas (none the browser sends) is read in the canvas's frame
    half = np.asarray(Image.fromarray(layer).resize((MASK_CANVAS // 2, MASK_CANVAS // 2), Image.NEAREST))
    assert np.abs(mask_from_layers([half], box, layer.shape[:2]).astype(int) - mask).mean() < 3
    assert mask_from_layers([], box, layer.shape[:2]) is None
    assert mask_from_layers([np.zeros_like(layer), None], box, layer.shape[:2]) is None


def test_a_background_without_a_letterbox_is_the_photo_itself():
    """An editor value that is not the page's own canvas (an RGB picture, no transparent edge): all of
    it is the photo, and it goes back to the editor letterboxed."""
    photo = np.full((96, 128, 3), 200, np.uint8)
    assert opaque_box(photo) == (0, 0, 96, 128)
    mh = MaskHandlers(None)
    assert np.array_equal(mh._background({"mask_editor": {"background": photo}}), photo)
    shown = mh.clear({"mask_editor": {"background": photo, "layers": []}})["mask_editor"]
    assert canvas_of(shown)[0] == photo_box((96, 128))


def test_a_photo_becomes_the_canvas_and_painting_invert_and_clear_make_the_mask(files, tmp_path):
    mh = MaskHandlers(files)
    big = tmp_path / "big.png"
    Image.fromarray(np.asarray(Image.fromarray(synthetic_photo()).resize((2048, 1536)))).save(big)
    out = mh.canvas({"content": str(big), "mask": None})
    box, canvas = canvas_of(out["mask_editor"])
    assert box == photo_box((1536, 2048)) and box[2:] == (MASK_CANVAS * 3 // 4, MASK_CANVAS)
    assert out["mask_editor"]["layers"] == [] and out["mask"] is None
    top, left, h, w = box
    editor = {**out["mask_editor"], "layers": [layer_from_mask(left_half(), box)]}
    painted = mh.painted({"mask_editor": editor})["mask"]
    assert grey(painted).shape == (h, w)
    assert grey(painted)[:, :500].min() > 250 and grey(painted)[:, 530:].max() < 5  # painted = white
    inverted = mh.invert({"mask_editor": editor, "mask": painted})
    assert grey(inverted["mask"])[:, :500].max() < 5 and grey(inverted["mask"])[:, 530:].min() > 250
    layer = inverted["mask_editor"]["layers"][0]
    assert layer[top, left + w - 1, 3] > 0 and layer[top - 1, left + w - 1, 3] == 0  # on the photo, not off it
    assert Path(painted).exists()  # a Run clicked before the Invert arrived still finds it
    third = mh.painted({"mask_editor": editor})["mask"]
    assert not Path(painted).exists() and Path(inverted["mask"]).exists()  # older ones go
    painted = third
    cleared = mh.clear({"mask_editor": editor, "mask": painted})
    assert cleared["mask"] is None and cleared["mask_editor"]["layers"] == []
    # a mask of the photo's shape stays when the photo is dropped again (a recipe's); another goes
    assert mh.canvas({"content": str(big), "mask": painted})["mask"] == painted
    Image.fromarray(np.zeros((100, 30), np.uint8)).save(tmp_path / "tall.png")
    assert mh.canvas({"content": str(big), "mask": str(tmp_path / "tall.png")})["mask"] is None
    # a mask file dropped in is painted over the photo, in the photo's box
    shown = mh.shown({"mask_editor": editor, "mask": painted})["mask_editor"]
    layer = shown["layers"][0]
    assert layer[top, left, 3] > 0 and layer[top, left + w - 1, 3] == 0 and layer[top - 1, left, 3] == 0


def test_a_masked_run_keeps_the_photo_where_black_and_its_recipe_brings_the_mask_back(files, tmp_path):
    h = Handlers(files, app.PRESETS)
    photo = synthetic_photo()
    Image.fromarray(left_half()).save(tmp_path / "mask.png")
    last = outputs(h, values(content=photo, style=synthetic_painting(), style_weight=2.0, iterations=8,
                             max_size=128, multiscale=False, mask=str(tmp_path / "mask.png")))[-1]
    assert "Done" in last["status"]
    diff = np.abs(last["preview"].astype(float) - photo).mean(axis=2)
    assert diff[:, :48].mean() > 3 * diff[:, 80:].mean()
    recipe = json.loads(last["png"].text["nst-recipe"])
    assert recipe["mask"].startswith("data:image/png;base64,")
    loaded = h.load_recipe({"recipe_file": last["result"]})
    assert np.array_equal(grey(loaded["mask"]), left_half())
    # a recipe without a mask clears the mask, as its run had none
    plain = outputs(h, values(iterations=2))[-1]
    assert h.load_recipe({"recipe_file": plain["result"]})["mask"] is None


def test_a_mask_of_another_shape_is_one_plain_message(files, tmp_path):
    import gradio as gr

    Image.fromarray(np.zeros((100, 30), np.uint8)).save(tmp_path / "tall.png")
    h = Handlers(files, app.PRESETS)
    with pytest.raises(gr.Error, match="draw the mask on the photo itself"):
        outputs(h, values(mask=str(tmp_path / "tall.png")))


def test_a_run_that_names_a_replaced_mask_uses_the_mask_now_on_screen(files):
    """Run clicked while newer mask files (strokes, Invert, the editor's echo) were arriving: the page
    still named one the app had removed. The run takes the session's newest mask, not 'not found'."""
    from types import SimpleNamespace

    from ui.masks import save_mask

    h, request = Handlers(files, app.PRESETS), SimpleNamespace(session_hash="visitor")
    inverted = 255 - left_half()
    named = save_mask(files, left_half(), request)
    save_mask(files, left_half(), request)
    save_mask(files, inverted, request)  # the app keeps two: the one the page named is gone
    assert not Path(named).exists()
    photo = synthetic_photo()
    last = outputs(h, values(content=photo, style=synthetic_painting(), style_weight=2.0, iterations=8,
                             max_size=128, multiscale=False, mask=named), request)[-1]
    assert "Done" in last["status"]
    diff = np.abs(last["preview"].astype(float) - photo).mean(axis=2)
    assert diff[:, 80:].mean() > 3 * diff[:, :48].mean()  # the newest (inverted) mask: style on the right


def test_the_photo_sent_again_to_the_brush_is_not_rewritten_under_a_browsers_fetch(tmp_path, monkeypatch):
    """Each change of the mask sends the photo to the brush editor again. The file a browser may
    still be fetching from the last send must not be written over (that broke the fetch, with a
    traceback in the server's log); a new picture gets its own file, complete."""
    from ui.components import Image as SentImage, ImageEditor

    editor = ImageEditor(type="numpy", image_mode="RGBA", format="png")  # as the page has it
    monkeypatch.setattr(editor, "GRADIO_CACHE", str(tmp_path))
    photo = np.random.default_rng(0).integers(0, 255, (48, 64, 3), np.uint8)
    layer = np.zeros((48, 64, 4), np.uint8)
    first = editor.postprocess({"background": photo, "layers": [layer], "composite": None})
    path = first.background.path
    before = os.stat(path)
    again = editor.postprocess({"background": photo.copy(), "layers": [layer], "composite": None})
    assert again.background.path == path and os.stat(path).st_mtime_ns == before.st_mtime_ns
    assert np.array_equal(np.asarray(Image.open(path))[..., :3], photo)  # the file is the photo, whole
    other = editor.postprocess({"background": 255 - photo, "layers": [], "composite": None})
    assert other.background.path != path and not list(tmp_path.rglob("*.part"))
    shown = SentImage(type="numpy")
    monkeypatch.setattr(shown, "GRADIO_CACHE", str(tmp_path))
    assert shown.postprocess(photo).path == shown.postprocess(photo.copy()).path
