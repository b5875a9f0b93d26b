"""keep_faces: faces found offline, a feathered mask over them, and a run that keeps them closer to the photo."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import TINY_LAYERS, synthetic_painting, synthetic_photo
from nst_core import Settings, SettingsError, load_image, stylize
from nst_core.imaging.faces import Face, face_mask, find_faces, outlined
from nst_core.imaging.images import resize

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def astronaut():
    return load_image(EXAMPLES / "astronaut.jpg")


def test_the_astronauts_face_is_found_where_it_is(astronaut):
    (face,) = find_faces(astronaut)
    # her face spans about x 180-270, y 70-165 in the 512 px photo
    assert 160 < face.x < 200 and 50 < face.y < 90 and 70 < face.w < 120


def test_a_large_photo_finds_the_face_at_its_own_scale(astronaut):
    big = resize(astronaut, (1536, 1536))
    (face,) = find_faces(big)
    assert 480 < face.x < 600 and 210 < face.w < 360  # three times the 512 px box


@pytest.mark.parametrize("name", ["chelsea", "coffee", "starry_night"])
def test_no_face_is_found_where_there_is_none(name):
    assert find_faces(load_image(EXAMPLES / f"{name}.jpg")) == []


def test_the_face_mask_is_full_over_the_face_and_fades_out():
    m = face_mask((200, 200), [Face(80, 60, 40, 40)])
    assert m[60 + 22, 100] > 0.95 and m[5, 5] == 0 and m[190, 190] == 0
    edge = m[82, 100 - 40]  # beyond the ellipse's side: the feathered fall-off, neither in nor out
    assert 0 <= edge < 0.5
    assert np.all(np.diff(m[82, 100:160]) <= 1e-6)  # falls off monotonically from the centre


def test_the_outlined_photo_marks_the_face_and_leaves_the_rest(astronaut):
    faces = find_faces(astronaut)
    shown = outlined(astronaut, faces)
    assert shown.shape == astronaut.shape
    changed = np.any(shown != astronaut, axis=-1)
    ys, xs = np.nonzero(changed)
    f = faces[0]
    assert changed.sum() > 100 and xs.min() >= f.x - f.w and xs.max() <= f.x + 2 * f.w and ys.max() < f.y + 2 * f.h


def _face_distance(image, photo, face):
    x0, y0, x1, y1 = face.x + face.w // 4, face.y + face.h // 4, face.x + 3 * face.w // 4, face.y + 3 * face.h // 4
    return np.abs(image[y0:y1, x0:x1].astype(float) - photo[y0:y1, x0:x1]).mean()


def test_keep_faces_holds_the_face_closer_to_the_photo(tiny_extractor, astronaut):
    base = Settings(iterations=20, max_size=128, multiscale=False, style_weight=100.0, **TINY_LAYERS)
    style = synthetic_painting()
    plain, kept = (list(stylize(astronaut, style, base.replace(keep_faces=k), extractor=tiny_extractor))[-1].image
                   for k in (0.0, 1.0))
    photo = resize(astronaut, plain.shape[:2])
    (face,) = find_faces(astronaut)
    face = Face(*(round(v / 4) for v in face))  # 512 px -> 128 px
    assert _face_distance(kept, photo, face) < 0.8 * _face_distance(plain, photo, face)
    # away from the face the picture is the run's own, as painted without keep_faces: the same bytes
    from nst_core.engine.run import face_weights
    from nst_core.imaging.mask import at_size

    far = at_size(face_weights(astronaut, base.replace(keep_faces=1.0)), photo.shape[:2], 0.0) == 0
    assert far.mean() > 0.5 and np.array_equal(kept[far], plain[far])


def test_keep_faces_without_a_face_paints_the_same_bytes(tiny_extractor):
    base = Settings(iterations=6, max_size=96, multiscale=False, **TINY_LAYERS)
    photo, style = synthetic_photo(), synthetic_painting()
    a, b = (list(stylize(photo, style, base.replace(keep_faces=k), extractor=tiny_extractor))[-1].image
            for k in (0.0, 1.0))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "yes"])
def test_a_strength_outside_0_to_1_is_one_clear_line(bad):
    with pytest.raises(SettingsError, match="keep_faces"):
        Settings(keep_faces=bad)


def test_the_cli_flag_alone_means_full_strength():
    from nst_core.cli.kit import Parser, add_settings_options

    p = Parser()
    add_settings_options(p)
    assert p.parse_args(["--keep-faces"]).keep_faces == 1.0
    assert p.parse_args(["--keep-faces", "0.4"]).keep_faces == 0.4
    assert not hasattr(p.parse_args([]), "keep_faces")  # the Settings default then


def test_the_cli_help_offers_keep_faces():
    out = subprocess.run([sys.executable, "-m", "nst_core", "--help"], cwd=ROOT, capture_output=True, text=True)
    assert "--keep-faces" in out.stdout


@pytest.mark.parametrize("mode", ["joint", "sweeps"])
def test_keep_faces_holds_at_a_tiled_print_scale_too(tiny_extractor, astronaut, mode):
    base = Settings(iterations=18, max_size=256, multiscale=False, style_weight=100.0, tile_size=128,
                    memory_budget_mb=0, tile_mode=mode, **TINY_LAYERS)
    style = synthetic_painting()
    plain, kept = (list(stylize(astronaut, style, base.replace(keep_faces=k), extractor=tiny_extractor))[-1].image
                   for k in (0.0, 1.0))
    photo = resize(astronaut, plain.shape[:2])
    face = Face(*(round(v / 2) for v in find_faces(astronaut)[0]))  # 512 px -> 256 px
    assert _face_distance(kept, photo, face) < 0.8 * _face_distance(plain, photo, face)


# ---- the page: the checkbox shows the faces it will keep, and a run takes it -------------------------------
@pytest.fixture
def face_handlers(tmp_path):
    from ui.faces import FaceHandlers
    from ui.files import Files

    return FaceHandlers(Files(str(tmp_path / "cache")))


def test_ticked_with_a_portrait_the_page_outlines_its_face(face_handlers):
    out = face_handlers.faces_found({"content": str(EXAMPLES / "astronaut.jpg"), "keep_faces": True})
    assert "1 face found" in out["faces_note"].value and out["faces_view"].visible
    shown = load_image(out["faces_view"].value["path"])
    assert shown.shape == (512, 512, 3)


def test_ticked_without_a_face_the_page_says_so(face_handlers):
    out = face_handlers.faces_found({"content": str(EXAMPLES / "coffee.jpg"), "keep_faces": True})
    assert out["faces_note"].value.startswith("No face found") and not out["faces_view"].visible


@pytest.mark.parametrize("v", [{"content": str(EXAMPLES / "astronaut.jpg"), "keep_faces": False},
                               {"content": None, "keep_faces": True}])
def test_unticked_or_without_a_photo_nothing_is_shown(face_handlers, v):
    out = face_handlers.faces_found(v)
    assert not out["faces_note"].visible and not out["faces_view"].visible


def test_a_damaged_photo_shows_nothing_and_raises_nothing(face_handlers, tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a picture")
    assert not face_handlers.faces_found({"content": str(bad), "keep_faces": True})["faces_view"].visible


def test_the_checkbox_maps_to_the_strength_and_back():
    from ui.knobs import KNOBS, settings_from, widget_values

    base = Settings(keep_faces=0.4)
    assert settings_from({"keep_faces": True}, base).keep_faces == 0.4  # a recipe's or preset's strength stays
    assert settings_from({"keep_faces": True}, Settings(keep_faces=0.0)).keep_faces == 1.0
    assert settings_from({"keep_faces": False}, base).keep_faces == 0.0
    assert widget_values(Settings(keep_faces=0.0))["keep_faces"] is False and KNOBS["keep_faces"].to_ui(1.0) is True


def test_the_published_methods_presets_paint_faces_as_they_did_and_old_recipes_replay():
    from nst_core.presets import load_presets
    from nst_core.recipe import read_recipe

    presets = load_presets()
    assert Settings().keep_faces == 1.0 and presets["default"].settings.keep_faces == 1.0
    assert all(presets[n].settings.keep_faces == 0.0 for n in ("gatys-2015", "johnson-2016", "keras-io"))
    old = {"format": "nst-recipe/1", "settings": {**Settings().to_dict()}}
    del old["settings"]["keep_faces"]
    assert read_recipe(old).keep_faces == 0.0


def test_photo_mode_grades_a_face_as_the_rest(tiny_extractor, astronaut):
    base = Settings(iterations=4, max_size=96, multiscale=False, photo=True, **TINY_LAYERS)
    a, b = (list(stylize(astronaut, synthetic_painting(), base.replace(keep_faces=k), extractor=tiny_extractor))[-1].image
            for k in (0.0, 1.0))
    assert np.array_equal(a, b)


def test_the_faces_pass_says_so_and_a_stop_before_it_keeps_the_picture_at_its_full_size(tiny_extractor, astronaut):
    """The faces' pass repeats the last scale's size: the page says "the faces", not a scale more,
    and a run stopped before the pass holds a full-size picture, not one "before the final size"."""
    from nst_core import RunControl
    from nst_core.engine.run import FACE_ITERATIONS
    from ui.report import status_text

    s = Settings(iterations=4, coarse_iterations=2, max_size=256, multiscale=True, preview_every=1, **TINY_LAYERS)
    frames = list(stylize(astronaut, synthetic_painting(), s, extractor=tiny_extractor))
    in_pass = [f for f in frames if f.faces and not f.final]
    assert in_pass and all(f.scale == (2, 2, 256) for f in in_pass)
    assert "the faces, 256 px" in status_text(in_pass[0]) and "scale" not in status_text(in_pass[0])
    assert frames[-1].total == 2 + 4 + FACE_ITERATIONS
    for at, size, said in ((1, 128, True), (2, 256, False)):
        control = RunControl()
        for frame in stylize(astronaut, synthetic_painting(), s, extractor=tiny_extractor, control=control):
            if frame.scale[0] == at and not frame.final:
                control.stop()
        assert frame.final and frame.stopped and not frame.faces and frame.scale == (at, 2, size)
        assert ("the run stopped at scale 1 of 2, before the final size" in status_text(frame)) == said
