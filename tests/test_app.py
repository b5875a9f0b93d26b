"""The app's handlers, called directly: sliders, presets, a run, Stop and errors."""
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image

import app
from conftest import synthetic_painting, synthetic_photo


def test_app_module_does_not_import_tensorflow():
    import ast
    from pathlib import Path

    tree = ast.parse(Path(app.__file__).read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
             for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(str(m).startswith(("tensorflow", "keras")) for m in names)


def test_log_sliders_show_and_use_the_real_weight():
    assert app.from_log(app.to_log(2e-5)) == 2e-5
    assert app.weight_info(-4.7) == "= 2e-05"
    assert app.from_log(app.LOG_OFF) == 0.0 and app.weight_info(app.LOG_OFF) == "off"


def test_slider_defaults_come_from_settings():
    d = app.DEFAULTS
    s = app.settings_from_ui(d, app.to_log(d.content_weight), app.to_log(d.style_weight), app.to_log(d.tv_weight),
                             d.iterations, d.max_size, d.optimizer, d.layers)
    assert s.replace(preview_every=d.preview_every) == d


def test_picking_a_preset_moves_the_sliders():
    cw, sw, tv, iterations, size, optimizer, layers, *_, info, recipe = app.apply_preset("keras-io")
    assert app.weight_info(cw.value) == "= 2.51e-08" and app.from_log(sw.value) == 1e-6
    assert optimizer == "sgd" and iterations == 500 and "keras.io" in info and recipe is None
    # untouched sliders keep the preset's exact weights, and its hidden values reach the run
    s = app.settings_from_ui(app.PRESETS["keras-io"].settings, cw.value, sw.value, tv.value, iterations, size,
                             optimizer, layers)
    assert (s.content_weight, s.style_weight, s.tv_weight) == (2.5e-8, 1e-6, 1e-6)
    assert s.normalization == "keras-io" and s.tv_power == 1.25 and s.learning_rate == 100


def pixels(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def run_small(flags, stop_after=None, **kw):
    args = dict(preset="default", cw=0.0, sw=-4.7, tv=2.0, iterations=4, size=64, optimizer="lbfgs",
                layers="gatys")
    args.update(kw)
    outs = []
    for out in app.run(synthetic_photo(), synthetic_painting(), *args.values(), flags=flags):
        if isinstance(out[3], str):  # the result: the picture on screen, the PNG, the before/after pair
            out = (pixels(out[0]), *out[1:3], Image.open(out[3]), tuple(map(pixels, out[4])), *out[5:])
        outs.append(out)
        if stop_after and len(outs) == stop_after:
            app.stop(flags)
    return outs


def test_a_run_streams_previews_then_the_result():
    outs = run_small({"stop": False}, iterations=6)
    *previews, last = outs
    assert len(previews) >= 1 and previews[0][0].shape == (48, 64, 3)
    image, status, chart, im, (before, after), recipe, extras = last
    assert "Done" in status and "6 / 6" in status
    assert set(chart["term"]) == {"content", "style", "tv", "total"}
    assert im.format == "PNG" and im.size == (64, 48)  # a PNG at full size, carrying its recipe
    assert json.loads(im.text["nst-recipe"])["settings"]["iterations"] == 6
    assert before.shape == after.shape == (48, 64, 3) and recipe["max_size"] == 64
    # "Settings used" names the convolutions conv="auto" picked on this machine, with their timings
    assert recipe["conv"] == "auto" and recipe["conv_chosen"] in recipe["conv_seconds_per_step"]


def test_stop_keeps_the_current_image_as_the_result():
    outs = run_small({"stop": False}, stop_after=1, iterations=500)
    image, status, chart, im, compare, recipe, extras = outs[-1]
    assert "Stopped" in status and json.loads(im.text["nst-recipe"])["stopped_at"] < 500
    assert np.array_equal(np.asarray(im.convert("RGB")), image)


@pytest.mark.parametrize("content, style, words", [
    (None, synthetic_painting(), "Drop a content photo"),
    (synthetic_photo(), None, "Drop a content photo"),
    (np.zeros((1, 1, 3), np.uint8), synthetic_painting(), "at least 32 px"),
])
def test_bad_input_is_one_clear_message(content, style, words):
    with pytest.raises(gr.Error, match=words):
        list(app.run(content, style, "default", 0, -4.7, 2, 3, 64, "lbfgs", "gatys"))


def test_instant_shows_the_fast_result(monkeypatch, tiny_hub_model):
    monkeypatch.setattr(app, "DEFAULTS", app.DEFAULTS.replace(hub_model=tiny_hub_model))
    (path, status), = app.instant(synthetic_photo(), synthetic_painting(), 64, 0.5)
    assert pixels(path).shape == (48, 64, 3) and "Instant" in status


def test_instant_without_a_model_says_how_to_fix_it(monkeypatch, tmp_path):
    monkeypatch.setattr(app, "DEFAULTS", app.DEFAULTS.replace(hub_model=str(tmp_path / "none")))
    with pytest.raises(gr.Error, match="NST_HUB_MODEL"):
        list(app.instant(synthetic_photo(), synthetic_painting(), 64, 1.0))


def test_example_pairs_are_made_in_code_and_load():
    from nst_core import load_image

    rows = app.example_files()
    assert len(rows) >= 2
    for content, style in rows:
        assert load_image(content).shape == (384, 512, 3) and load_image(style).ndim == 3


def test_a_loaded_recipe_sets_the_knobs_and_its_hidden_values(tmp_path):
    from nst_core.recipe import recipe_json

    s = app.PRESETS["keras-io"].settings.replace(seed=5, preserve_colors="luminance", multiscale=True)
    path = tmp_path / "r.json"
    path.write_text(recipe_json(s))
    *knobs, info, state = app.load_recipe_file(str(path))
    assert state == s and knobs[8] == "luminance" and knobs[11] is True and knobs[12] == 5
    again = app.settings_from_ui(state, *[k.value if hasattr(k, "value") else k for k in knobs[:7]],
                                 *knobs[7:])
    assert again.replace(preview_every=s.preview_every) == s
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(gr.Error, match="not a run recipe"):
        app.load_recipe_file(str(bad))


def test_two_styles_colours_and_animation_reach_the_result():
    outs = []
    for out in app.run(synthetic_photo(), synthetic_painting(), "default", 0.0, -4.7, 2.0, 4, 64, "lbfgs", "gatys",
                       style2=np.full((64, 64, 3), (200, 30, 30), np.uint8), blend=0.3, colours="luminance"):
        if isinstance(out[6], list):
            gif = Image.open(out[6][1])
            gif.load()
            out = (*out[:6], gif)
        outs.append(out)
    *_, used, gif = outs[-1]
    assert used["style_blend"] == [0.7, 0.3] and used["preserve_colors"] == "luminance"
    assert gif.format == "GIF" and gif.n_frames >= 2


def test_dropping_a_damaged_painting_warns_at_once(tmp_path):
    bad = tmp_path / "painting.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.warns(UserWarning, match="painting.jpg is damaged"):
        app.prepare_run(synthetic_photo(), str(bad), "default", 0, -4.7, 2, 3, 64, "lbfgs", "gatys")
    app.prepare_run(synthetic_photo(), None, "default", 0, -4.7, 2, 3, 64, "lbfgs", "gatys")  # nothing to do


def test_uploads_leave_the_disk_at_first_use_and_stay_for_re_runs(tmp_path, monkeypatch):
    upload, example = tmp_path / "upload.png", tmp_path / "example.png"
    Image.fromarray(synthetic_photo()).save(upload)
    Image.fromarray(synthetic_painting()).save(example)
    monkeypatch.setattr(app.demo, "upload_file_set", {str(upload)})
    mine, theirs = {}, {}
    first = app.take_uploads(mine, str(upload), str(example))
    assert not upload.exists() and example.exists()  # only Gradio's uploads are removed
    assert isinstance(first[0], bytes) and first[1] == str(example)
    again = app.take_uploads(mine, str(upload), str(example))  # a re-run with the same drop zones
    assert again[0] == first[0] and np.array_equal(app.load_image(again[0]), synthetic_photo())
    elsewhere = tmp_path / "elsewhere.png"  # a path Gradio did not receive as an upload: never read
    shutil.copy(upload.with_name("example.png"), elsewhere)
    assert app.take_uploads(theirs, str(elsewhere))[0] == str(elsewhere) and theirs == {} and elsewhere.exists()


def test_a_re_run_reads_the_kept_upload(tmp_path, monkeypatch):
    upload = tmp_path / "photo.png"
    Image.fromarray(synthetic_photo()).save(upload)
    monkeypatch.setattr(app.demo, "upload_file_set", {str(upload)})
    kept, flags = {}, {"stop": False}
    for _ in range(2):
        *_, last = app.run(str(upload), synthetic_painting(), "default", 0.0, -4.7, 2.0, 2, 64, "lbfgs", "gatys",
                           flags=flags, uploads=kept)
        assert "Done" in last[1]
    assert not upload.exists()


def test_two_visitors_dropping_the_same_file_both_run(tmp_path, monkeypatch):
    """Gradio stores identical uploads at one path: one visitor's run removing it must not break the other's."""
    upload = tmp_path / "same.png"
    Image.fromarray(synthetic_photo()).save(upload)
    monkeypatch.setattr(app.demo, "upload_file_set", {str(upload)})
    first, second = {}, {}
    a = app.take_uploads(first, str(upload))[0]
    b = app.take_uploads(second, str(upload))[0]
    assert not upload.exists() and isinstance(b, bytes) and a == b


def test_a_run_keeps_only_its_newest_previews_in_gradios_cache(tmp_path):
    another_runs = tmp_path / "earlier.png"
    another_runs.write_bytes(b"png")
    files = {str(another_runs)}  # Gradio's record of the preview images it has cached
    sweeper = app.PreviewSweeper(files)
    made = []
    for i in range(5):  # Gradio caches each streamed preview, then resumes the handler
        made.append(tmp_path / f"preview{i}.png")
        made[-1].write_bytes(b"png")
        files.add(str(made[-1]))
        sweeper.sweep()
    assert [f.exists() for f in made] == [False, False, False, True, True]
    sweeper.sweep(keep=1)  # the run has ended: only the picture on screen stays
    assert [f.exists() for f in made] == [False] * 4 + [True]
    assert another_runs.exists() and files == {str(another_runs), str(made[-1])}


def test_each_run_gets_its_own_result_files_and_a_session_keeps_only_its_newest(tmp_path, monkeypatch):
    """Gradio names cached files by content: identical runs of two visitors would share one file, so
    neither could remove it. Each run's files are its own, and go once a newer result replaced them."""
    monkeypatch.setattr(app, "RESULTS", app.ResultFolders())
    alice, bob = SimpleNamespace(session_hash="alice"), SimpleNamespace(session_hash="bob")

    def result(request) -> str:
        *_, last = app.run(synthetic_photo(), synthetic_painting(), "default", 0.0, -4.7, 2.0, 2, 64, "lbfgs",
                           "gatys", request=request)
        return last[3]

    first, theirs = result(alice), result(bob)
    assert first != theirs and Path(first).read_bytes() == Path(theirs).read_bytes()  # same seed, same bytes
    second = result(alice)
    assert not Path(first).exists() and Path(second).exists() and Path(theirs).exists()
    app.RESULTS.forget("bob")  # bob closed the tab
    assert not Path(theirs).parent.exists() and Path(second).exists()


def test_an_instant_picture_does_not_remove_the_run_result_still_offered(tmp_path, monkeypatch, tiny_hub_model):
    monkeypatch.setattr(app, "RESULTS", app.ResultFolders())
    monkeypatch.setattr(app, "DEFAULTS", app.DEFAULTS.replace(hub_model=tiny_hub_model))
    me = SimpleNamespace(session_hash="me")
    *_, last = app.run(synthetic_photo(), synthetic_painting(), "default", 0.0, -4.7, 2.0, 2, 64, "lbfgs", "gatys",
                       request=me)
    pictures = [list(app.instant(synthetic_photo(), synthetic_painting(), 64, 0.5, request=me))[0][0]
                for _ in range(2)]
    assert Path(last[3]).exists() and not Path(pictures[0]).exists() and Path(pictures[1]).exists()


def test_result_folders_are_capped_in_all(tmp_path, monkeypatch):
    """Bare HTTP API calls come as a new session each: the oldest results go past the cap."""
    monkeypatch.setattr(app, "RESULTS", app.ResultFolders(max_folders=3))
    folders = [app.RESULTS.new(f"caller{i}") for i in range(5)]
    assert [Path(f).exists() for f in folders] == [False, False, True, True, True]
    assert len(app.RESULTS.folders) == 3  # no bookkeeping left behind for the callers whose results went
