"""The mask brush's handlers and a masked run through the app's handlers: editor <-> mask <-> recipe."""
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
from ui.masks import BRUSH_ALPHA, MASK_CANVAS, MaskHandlers, layer_from_mask, mask_from_layers


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


def test_a_brush_stroke_is_white_in_the_mask_and_round_trips():
    m = left_half()
    layer = layer_from_mask(m, (48, 64))
    assert layer.shape == (48, 64, 4) and layer[0, 0, 3] == round(BRUSH_ALPHA * 255) and layer[0, -1, 3] == 0
    back = mask_from_layers([layer], (96, 128))
    assert np.abs(back.astype(int) - m).mean() < 3 and back[:, :60].min() > 250 and back[:, 68:].max() < 5
    assert mask_from_layers([], (10, 10)) is None and mask_from_layers([np.zeros((5, 5, 4), np.uint8)], (5, 5)) is None


def test_a_photo_becomes_the_canvas_and_painting_invert_and_clear_make_the_mask(files, tmp_path):
    mh = MaskHandlers(files)
    big = tmp_path / "big.png"
    Image.fromarray(np.asarray(Image.fromarray(synthetic_photo()).resize((2048, 1536)))).save(big)
    out = mh.canvas({"content": str(big), "mask": None})
    bg = out["mask_editor"]["background"]
    assert bg.shape == (MASK_CANVAS * 3 // 4, MASK_CANVAS, 3) and out["mask_editor"]["layers"] == [] and out["mask"] is None
    editor = {**out["mask_editor"], "layers": [layer_from_mask(left_half(), bg.shape[:2])]}
    painted = mh.painted({"mask_editor": editor})["mask"]
    assert grey(painted)[:, :500].min() > 250 and grey(painted)[:, 530:].max() < 5  # painted = white
    inverted = mh.invert({"mask_editor": editor, "mask": painted})
    assert grey(inverted["mask"])[:, :500].max() < 5 and grey(inverted["mask"])[:, 530:].min() > 250
    assert inverted["mask_editor"]["layers"][0][0, -1, 3] > 0  # the editor shows the inverted strokes
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
    # a mask file dropped in is painted over the photo
    shown = mh.shown({"mask_editor": editor, "mask": painted})["mask_editor"]
    assert shown["layers"][0][0, 0, 3] > 0 and shown["layers"][0][0, -1, 3] == 0


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
