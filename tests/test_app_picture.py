"""The app's handlers, called directly and by name: sliders, presets, a run, Stop, Steer and errors."""
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest
from PIL import Image

import app
import ui.handlers
import ui.jobs
from conftest import drain, synthetic_painting, synthetic_photo
from nst_core import NSTError
from ui import knobs
from ui.files import Files, PreviewFiles, ResultFolders
from ui.handlers import Handlers


@pytest.fixture
def h(tmp_path):
    """The handlers over file stores of their own (Gradio's record of uploads starts empty)."""
    return Handlers(Files(str(tmp_path / "cache")), app.PRESETS)


def test_app_module_does_not_import_tensorflow():
    import ast

    for path in [Path(app.__file__), *Path(app.__file__).parent.joinpath("ui").glob("*.py")]:
        tree = ast.parse(path.read_text())
        names = {a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))
                 for a in n.names} | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert not any(str(m).startswith(("tensorflow", "keras")) for m in names), path


def test_app_py_is_layout_and_wiring_only():
    assert len(Path(app.__file__).read_text().splitlines()) < 200


def test_log_sliders_show_and_use_the_real_weight():
    assert knobs.from_log(knobs.to_log(2e-5)) == 2e-5
    assert knobs.weight_info(-4.7) == "= 2e-05"
    assert knobs.from_log(knobs.LOG_OFF) == 0.0 and knobs.weight_info(knobs.LOG_OFF) == "off"


def test_slider_defaults_and_ranges_come_from_settings():
    d = knobs.DEFAULTS
    shown = knobs.widget_values(d)
    values = {n: (v.value if isinstance(v, gr.Slider) else v) for n, v in shown.items()}
    assert knobs.settings_from(values, d).replace(preview_every=d.preview_every) == d
    scale = knobs.KNOBS["style_scale"].make()  # the slider's range is the setting's, not its own
    assert (scale.minimum, scale.maximum) == knobs.FIELDS["style_scale"].metadata["range"]


def test_every_knob_is_a_settings_field_and_an_api_parameter_by_its_name():
    fields = set(knobs.FIELDS)
    assert set(knobs.KNOBS) <= fields
    params = app.demo.get_api_info()["named_endpoints"]["/stylize"]["parameters"]
    names = [p["parameter_name"] for p in params]
    assert set(knobs.KNOBS) <= set(names) and names[:3] == ["content", "style", "preset"]
    assert [p["parameter_name"] for p in app.demo.get_api_info()["named_endpoints"]["/steer"]["parameters"]] == [
        "content_weight", "style_weight", "tv_weight"]


def test_picking_a_preset_moves_the_sliders(h):
    out = h.apply_preset({"preset": "keras-io"})
    cw, sw = out["content_weight"], out["style_weight"]
    assert knobs.weight_info(cw.value) == "= 2.51e-08" and knobs.from_log(sw.value) == 1e-6
    assert out["optimizer"] == "sgd" and out["iterations"] == 500 and "keras.io" in out["preset_info"]
    assert out["recipe_state"] == app.PRESETS["keras-io"].settings  # its hidden values, kept for "custom"
    assert list(h.apply_preset({"preset": "custom"})) == ["preset_info"]  # a change by hand moves no knob
    # untouched sliders keep the preset's exact weights, and its hidden values reach the run
    values = {n: (v.value if isinstance(v, gr.Slider) else v) for n, v in out.items()}
    s = knobs.settings_from(values, app.PRESETS["keras-io"].settings)
    assert (s.content_weight, s.style_weight, s.tv_weight) == (2.5e-8, 1e-6, 1e-6)
    assert s.normalization == "keras-io" and s.tv_power == 1.25 and s.learning_rate == 100


def pixels(path: str) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def values(**kw) -> dict:
    """A run's inputs by name, as the page sends them (weights on the log sliders)."""
    base = dict(content=synthetic_photo(), style=synthetic_painting(), preset="default", content_weight=0.0,
                style_weight=-4.7, tv_weight=2.0, iterations=4, max_size=64, optimizer="lbfgs", layers="gatys")
    return {**base, **kw}


def shown(x):
    """What an output shows: the value of an update (which may also show or restyle it), else itself."""
    return x.get("value") if isinstance(x, dict) and x.get("__type__") == "update" else x


def outputs(h, v, request=None, on_preview=None):
    """What the page shows after each of the run's updates (an update carries only what changed),
    the result's pictures decoded; ``on_preview(shown)`` is called at each live preview."""
    outs, view = [], {}
    for out in drain(h.run(v, request)):
        view = {**view, **{k: shown(x) for k, x in out.items()}}
        if "result" in out:
            view = {**view, "preview": pixels(view["preview"]), "png": Image.open(view["result"]),
                    "compare": tuple(map(pixels, view["compare"]))}
        elif on_preview and "preview" in out:
            on_preview(view)
        outs.append(view)
    return outs


def test_a_run_streams_previews_then_the_result(h):
    sizes = []
    *previews, last = outputs(h, values(iterations=6), on_preview=lambda out: sizes.append(pixels(out["preview"]).shape))
    assert len(previews) >= 1 and sizes[0] == (48, 64, 3)
    assert "Done" in last["status"] and "6 / 6" in last["status"]
    assert set(last["chart"]["term"]) == {"content", "style", "tv", "total"}
    im = last["png"]
    assert im.format == "PNG" and im.size == (64, 48)  # a PNG at full size, carrying its recipe
    assert json.loads(im.text["nst-recipe"])["settings"]["iterations"] == 6
    before, after = last["compare"]
    recipe = last["used"]
    assert before.shape == after.shape == (48, 64, 3) and recipe["max_size"] == 64
    # "Settings used" names the convolutions conv="auto" picked on this machine, with their timings
    assert recipe["conv"] == "auto" and recipe["conv_chosen"] in recipe["conv_seconds_per_step"]


def test_stop_keeps_the_current_image_as_the_result(h):
    state = {}
    outs = outputs(h, values(iterations=500, run_state=state), on_preview=lambda out: h.stop({"run_state": state}))
    last = outs[-1]
    assert "Stopped" in last["status"] and json.loads(last["png"].text["nst-recipe"])["stopped_at"] < 500
    assert np.array_equal(np.asarray(last["png"].convert("RGB")), last["preview"])
    assert h._running({"run_state": state}) is None  # the run is over: a later Stop or Steer reaches nothing


def test_a_moved_weight_slider_steers_the_running_run(h):
    state, steered = {}, []

    def on_preview(out):
        if not steered:
            steered.append(True)
            h.steer({"run_state": state, "content_weight": 0.0, "style_weight": 1.0, "tv_weight": 2.0})

    last = outputs(h, values(iterations=12, run_state=state), on_preview=on_preview)[-1]
    assert "steered at iteration" in last["status"] and "style 2e-05 → 10" in last["status"]
    assert any(term.startswith("steered @") for term in set(last["chart"]["term"]))
    recipe = json.loads(last["png"].text["nst-recipe"])["settings"]
    assert recipe["style_weight"] == 2e-5 and recipe["steering"][0][2] == 10.0  # replayable
    assert last["used"]["style_weight"] == 10.0
    h.steer({"run_state": state, "content_weight": 0.0, "style_weight": 3.0, "tv_weight": 2.0})  # no run: no-op


@pytest.mark.parametrize("content, style, words", [
    (None, synthetic_painting(), "Drop a content photo"),
    (synthetic_photo(), None, "Drop a content photo"),
    (np.zeros((1, 1, 3), np.uint8), synthetic_painting(), "at least 32 px"),
])
def test_bad_input_is_one_clear_message(h, content, style, words):
    shown = []
    with pytest.raises(gr.Error, match=words):
        for out in drain(h.run(values(content=content, style=style, iterations=3))):
            shown.append(out)
    if content is not None and style is not None:  # the status line says it too (no stale "Done")
        assert shown and words in shown[-1]["status"] and "Not run" in shown[-1]["status"]


def test_instant_shows_the_fast_result(h, monkeypatch, tiny_hub_model):
    monkeypatch.setattr(ui.handlers, "DEFAULTS", knobs.DEFAULTS.replace(hub_model=tiny_hub_model))
    out, = h.instant({"content": synthetic_photo(), "style": synthetic_painting(), "max_size": 64,
                      "fast_strength": 0.5})
    assert pixels(out["preview"]).shape == (48, 64, 3) and "Instant" in out["status"]
    from nst_core.recipe import one_pass, read_recipe
    assert one_pass(out["result"]) == "fast" and read_recipe(out["result"]).fast_strength == 0.5


def test_without_a_model_instant_and_refine_are_off_with_a_plain_reason(h, monkeypatch, tmp_path, caplog):
    monkeypatch.setattr(ui.handlers, "DEFAULTS", knobs.DEFAULTS.replace(hub_model=str(tmp_path / "none")))
    status = h.fast_status({})
    assert status["instant_btn"].interactive is False and status["refine_btn"].interactive is False
    assert "quick style model could not be loaded" in status["fast_note"].value
    with pytest.raises(gr.Error) as err:
        list(h.instant({"content": synthetic_photo(), "style": synthetic_painting(), "max_size": 64,
                        "fast_strength": 1.0}))
    assert "NST_HUB_MODEL" not in str(err.value) and "off on this server" in str(err.value)
    assert "NST_HUB_MODEL" in caplog.text  # the operator's fix is in the server's log


def test_with_the_embedded_model_instant_is_on(h):
    status = h.fast_status({})
    assert status["instant_btn"].interactive is True and status["fast_note"].visible is False


def test_examples_are_small_real_pictures_with_credits_and_a_preset_each():
    from nst_core import load_image
    from ui.components import EXAMPLES, example_rows

    rows = example_rows()
    assert 3 <= len(rows) <= 4
    credits = (EXAMPLES / "CREDITS.md").read_text()
    for content, style, preset in rows:
        assert preset in app.PRESETS
        for path in (Path(content), Path(style)):
            assert path.stat().st_size <= 200_000 and max(load_image(path).shape[:2]) <= 640
            assert f"`{path.name}`" in credits and ("public domain" in credits or "CC0" in credits)
    assert not any("picasso" in c + s for c, s, _ in rows)  # not in the public domain everywhere


def test_a_loaded_recipe_sets_the_knobs_and_its_hidden_values(h, tmp_path):
    from nst_core.recipe import recipe_json

    s = app.PRESETS["keras-io"].settings.replace(seed=5, preserve_colors="luminance", multiscale=True)
    path = tmp_path / "r.json"
    path.write_text(recipe_json(s))
    out = h.load_recipe({"recipe_file": str(path)})
    assert out["recipe_state"] == s and out["preserve_colors"] == "luminance" and out["multiscale"] is True
    assert out["seed"] == 5 and "**Run** reproduces it" in out["preset_info"]
    instant = tmp_path / "instant.json"  # written by the CLI's --fast: Run would paint another picture
    instant.write_text(recipe_json(s, fast=True))
    assert "**Instant** reproduces it" in h.load_recipe({"recipe_file": str(instant)})["preset_info"]
    shown = {n: (v.value if isinstance(v, gr.Slider) else v) for n, v in out.items()}
    assert knobs.settings_from(shown, out["recipe_state"]).replace(preview_every=s.preview_every) == s
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(gr.Error, match="not a run recipe"):
        h.load_recipe({"recipe_file": str(bad)})


def test_two_styles_colours_and_animation_reach_the_result(h):
    last = outputs(h, values(style2=np.full((64, 64, 3), (200, 30, 30), np.uint8), blend=0.3,
                             preserve_colors="luminance"))[-1]
    gif, used = Image.open(last["extras"][1]), last["used"]
    gif.load()
    assert used["style_blend"] == [0.7, 0.3] and used["preserve_colors"] == "luminance"
    assert gif.format == "GIF" and gif.n_frames >= 2


def test_dropping_a_damaged_painting_says_so_once_on_the_status_line(h, tmp_path):
    bad = tmp_path / "painting.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    state = {}
    out = h.prepare(values(style=str(bad), iterations=3, run_state=state))
    again = h.prepare(values(style=str(bad), iterations=4, run_state=state))  # another drop zone changed
    assert out["style"] is None  # the drop zone is emptied: it could only show a broken picture
    assert "painting.jpg is damaged" in out["status"] and "status" not in again  # said once
    assert h.prepare(values(run_state=state)) == {"status": "Ready."}  # a good drop mends it
    assert h.prepare(values(style=None)) == {}  # nothing to do


def test_a_one_pixel_photo_is_refused_once_with_advice_that_fits_it(h, tmp_path):
    tiny = tmp_path / "dot.png"
    Image.new("RGB", (1, 1), (200, 10, 10)).save(tiny)
    state = {}
    out = h.prepare(values(content=str(tiny), run_state=state))
    assert out["content"] is None  # not left as a one-pixel strip in its drop zone
    assert "only 1x1 px" in out["status"] and "aspect ratio" not in out["status"]


def test_run_without_pictures_says_so_on_the_status_line_not_in_a_toast(h):
    shown = []
    with pytest.raises(gr.Error) as refused:
        for out in drain(h.run(values(content=None), None)):
            shown.append(out)
    assert shown == [{"status": "**Not run** — Drop a content photo and a style painting first."}]
    assert refused.value.visible is False and "Drop a content photo" in refused.value.message  # the API's error


def test_stop_pressed_while_the_run_waits_in_the_queue_means_it_never_paints(h):
    request = SimpleNamespace(session_hash="s1")
    state = {}
    h.line.joined("s1")  # Run pressed: the run waits in Gradio's queue behind another visitor's
    assert h.stopping({"run_state": state}, request) == {"status": ui.jobs.STOPPED_BEFORE}
    h.stop({"run_state": state}, request)
    shown = list(drain(h.run(values(run_state=state), request)))
    assert shown == [{"status": ui.jobs.STOPPED_BEFORE}] and h.jobs.get(state.get("key")) is None
    h.line.joined("s1")  # a later Run is not stopped by that earlier Stop
    assert "Done" in outputs(h, values(run_state=state, iterations=2), request)[-1]["status"]


def test_a_dropped_upload_stays_on_disk_until_a_run_uses_it(tmp_path):
    """The browser fetches a dropped file back to show it: work done on the drop must not remove it."""
    upload = tmp_path / "photo.png"
    Image.fromarray(synthetic_photo()).save(upload)
    h = Handlers(Files(str(tmp_path), uploaded={str(upload)}), app.PRESETS)
    kept = {}
    h.prepare(values(content=str(upload), uploads=kept))
    assert upload.exists()
    assert "Done" in outputs(h, values(content=str(upload), iterations=2, uploads=kept))[-1]["status"]
    assert not upload.exists()


def test_uploads_leave_the_disk_at_first_use_and_stay_for_re_runs(tmp_path):
    from nst_core import load_image

    upload, example = tmp_path / "upload.png", tmp_path / "example.png"
    Image.fromarray(synthetic_photo()).save(upload)
    Image.fromarray(synthetic_painting()).save(example)
    files = Files(str(tmp_path), uploaded={str(upload)})
    mine, theirs = {}, {}
    first = files.take_uploads(mine, str(upload), str(example))
    assert not upload.exists() and example.exists()  # only Gradio's uploads are removed
    assert isinstance(first[0], bytes) and first[1] == str(example)
    again = files.take_uploads(mine, str(upload), str(example))  # a re-run with the same drop zones
    assert again[0] == first[0] and np.array_equal(load_image(again[0]), synthetic_photo())
    elsewhere = tmp_path / "elsewhere.png"  # a path Gradio did not receive as an upload: never read
    shutil.copy(upload.with_name("example.png"), elsewhere)
    assert files.take_uploads(theirs, str(elsewhere))[0] == str(elsewhere) and theirs == {} and elsewhere.exists()


def test_a_re_run_reads_the_kept_upload(tmp_path):
    upload = tmp_path / "photo.png"
    Image.fromarray(synthetic_photo()).save(upload)
    h = Handlers(Files(str(tmp_path), uploaded={str(upload)}), app.PRESETS)
    kept = {}
    for _ in range(2):
        last = outputs(h, values(content=str(upload), iterations=2, uploads=kept))[-1]
        assert "Done" in last["status"]
    assert not upload.exists()


def test_two_visitors_dropping_the_same_file_both_run(tmp_path, monkeypatch):
    """Gradio stores identical uploads at one path: one visitor's run removing it must not break the other's."""
    upload = tmp_path / "same.png"
    Image.fromarray(synthetic_photo()).save(upload)
    files = Files(str(tmp_path), uploaded={str(upload)})
    first, second = {}, {}
    a = files.take_uploads(first, str(upload))[0]
    b = files.take_uploads(second, str(upload))[0]
    assert not upload.exists() and isinstance(b, bytes) and a == b


def test_every_preview_sent_can_still_be_fetched_when_the_result_arrives(h):
    """A bf16 run sends several previews a second: one deleted while a browser fetches it was a
    traceback in the server's log (FileNotFoundError in Starlette's FileResponse) and a broken image."""
    sent = []
    last = outputs(h, values(iterations=8, max_size=64), on_preview=lambda out: sent.append(out["preview"]))[-1]
    previews = [p for p in sent if Path(p).name.startswith("preview-")]
    assert previews and all(Path(p).exists() for p in previews)  # the old code removed them all here
    with Image.open(Path(last["result"]).parent / "stylized.png") as im:
        assert im.format == "PNG"


def test_preview_files_go_once_three_newer_exist_and_they_are_past_the_grace(tmp_path):
    now = [0.0]
    previews = PreviewFiles(str(tmp_path), grace_s=30, clock=lambda: now[0])
    paths = []
    for t in (0, 1, 2, 3, 4):
        now[0] = t
        paths.append(previews.write(synthetic_photo(24, 32)))
    assert all(Path(p).exists() for p in paths)  # all sent within the grace: a browser may be fetching any
    now[0] = 100
    paths.append(previews.write(synthetic_photo(24, 32)))
    assert [Path(p).exists() for p in paths] == [False, False, False, True, True, True]  # the newest three
    previews.clear()  # the result is there: the old ones go, the one just sent stays
    assert [Path(p).exists() for p in paths] == [False] * 5 + [True]
    now[0] = 200
    previews.clear()
    assert not list(tmp_path.glob("preview-*"))


def test_a_preview_is_a_small_jpeg_at_the_size_shown(tmp_path):
    previews = PreviewFiles(str(tmp_path))
    with Image.open(previews.write(np.zeros((1536, 2048, 3), np.uint8))) as im:
        assert im.format == "JPEG" and max(im.size) == 768
    with Image.open(previews.write(synthetic_photo(96, 128))) as im:
        assert im.size == (128, 96)  # never enlarged


def test_each_run_gets_its_own_result_files_and_a_visitor_keeps_only_their_newest(h):
    """Gradio names cached files by content: identical runs of two visitors would share one file, so
    neither could remove it. Each run's files are its own, and go once a newer result replaced them;
    a visitor who closes the tab keeps theirs (they may come back to it: a reload)."""
    alice, bob = SimpleNamespace(session_hash="alice"), SimpleNamespace(session_hash="bob")
    states = {"alice": {}, "bob": {}}

    def result(request) -> str:
        *_, last = outputs(h, values(iterations=2, run_state=states[request.session_hash]), request)
        return last["result"]

    first, theirs = result(alice), result(bob)
    assert first != theirs and Path(first).read_bytes() == Path(theirs).read_bytes()  # same seed, same bytes
    second = result(alice)
    assert not Path(first).exists() and Path(second).exists() and Path(theirs).exists()
    h.forget_session(bob)  # bob closed the tab (or reloaded it)
    assert Path(theirs).exists() and Path(second).exists()


def test_an_instant_picture_does_not_remove_the_run_result_still_offered(h, monkeypatch, tiny_hub_model):
    monkeypatch.setattr(ui.handlers, "DEFAULTS", knobs.DEFAULTS.replace(hub_model=tiny_hub_model))
    me = SimpleNamespace(session_hash="me")
    *_, last = outputs(h, values(iterations=2), me)
    fast = {"content": synthetic_photo(), "style": synthetic_painting(), "max_size": 64, "fast_strength": 0.5}
    outs = [list(h.instant(fast, me))[0] for _ in range(2)]
    pictures = [out["preview"] for out in outs]
    assert outs[1]["result"] == pictures[1]  # Instant's picture is offered as a PNG download too
    assert Path(last["result"]).exists() and not Path(pictures[0]).exists() and Path(pictures[1]).exists()


def test_result_folders_are_capped_in_all(tmp_path):
    """Bare HTTP API calls come as a new session each: the oldest results go past the cap."""
    results = ResultFolders(str(tmp_path), max_folders=3)
    folders = [results.new(f"caller{i}") for i in range(5)]
    assert [Path(f).exists() for f in folders] == [False, False, True, True, True]
    assert len(results.folders) == 3  # no bookkeeping left behind for the callers whose results went


def test_the_status_names_the_scale_being_painted_and_the_time_left_over_all_scales():
    from nst_core import Frame
    from ui.report import status_text

    frame = Frame(15, 50, {"total": 3.0}, 6.0, np.zeros((8, 8, 3), np.uint8), scale=(2, 3, 256), eta_s=41.0)
    text = status_text(frame)
    assert "scale 2 of 3, 256 px" in text and "ETA 41 s" in text and "15 / 50" in text


def test_a_print_size_says_its_size_tiles_and_time_before_run_and_reaches_the_run(h):
    note = h.print_note(values(content=synthetic_photo(300, 400), print_size="2048 px"))["print_note"]
    assert note.visible and "2048×1536" in note.value and "tiles" in note.value
    assert re.search(r"about \*\*\d+(\.\d)? (s|min)\*\* on this server", note.value), note.value  # how long, here
    assert "4:3" not in note.value  # the dropped photo's own shape, not a guess
    # on the print schedule, as the print preset's prints were measured: every tiled scale in sweeps
    assert "12 tiles at 2048 px" in note.value  # (at 1024 px: 4 tiles with float32 activations, none with bf16)
    assert "together" not in note.value
    s = h.run_settings(values(print_size="2048 px"))
    assert s.max_size == 2048 and s.enlarge  # a smaller photo is painted at the print size
    assert not h.print_note(values(print_size=knobs.PRINT_OFF))["print_note"].visible
    assert "for a 4:3 photo" in h.print_note(values(content=None, print_size="4096 px"))["print_note"].value


def test_a_print_size_the_server_does_not_offer_is_refused(h, monkeypatch):
    monkeypatch.setattr(knobs, "PRINT_SIZES", (2048,))
    with pytest.raises(NSTError, match="print size must be one of 2048"):
        h.run_settings(values(print_size="4096 px"))
    note = h.print_note(values(print_size="4096 px"))["print_note"]
    assert note.visible and "print size must be" in note.value


def test_the_preview_outlines_the_tile_being_painted(tmp_path):
    image = np.zeros((1536, 2048, 3), np.uint8)
    with Image.open(PreviewFiles(str(tmp_path)).write(image, (0, 768, 1024, 2048))) as im:
        px = np.asarray(im.convert("L"))
    assert px.shape == (576, 768)
    assert px[100, 384:386].max() > 200 and px[100, 300] < 30  # the tile's left edge is drawn, the inside not


def test_a_run_stopped_before_its_final_scale_says_which_size_it_kept():
    from nst_core.frame import Frame
    from ui.report import status_text

    frame = Frame(12, 50, {"total": 3.0}, 6.0, np.zeros((8, 8, 3), np.uint8), scale=(2, 3, 256), final=True,
                  stopped=True)
    assert "The picture is 256 px" in status_text(frame) and "scale 2 of 3" in status_text(frame)


def test_the_iterations_control_says_what_the_run_will_count():
    assert knobs.iterations_info(30, 512, True) == "30 at 512 px, after 10 at each of 128 and 256 px"
    assert knobs.iterations_info(30, 512, False) == "30 at 512 px"


def test_a_print_size_on_the_page_takes_the_print_schedule(h):
    from nst_core.presets import load_presets

    printing = load_presets()["print"].settings
    s = h.run_settings(values(print_size="2048 px", iterations=30))
    assert (s.iterations, s.tile_sweeps, s.tile_mode, s.tile_size) == (
        printing.iterations, printing.tile_sweeps, printing.tile_mode, printing.tile_size)
    assert h.run_settings(values(print_size="2048 px", iterations=5)).iterations == 5  # fewer, if asked


def test_an_upload_of_an_example_picture_is_not_removed_from_under_the_examples(tmp_path):
    """Gradio files an upload by its bytes' hash: a visitor who uploads an example picture gets the very
    file the page shows as that example's thumbnail, which must not go with their run."""
    example = Path(app.__file__).parent / "examples" / "chelsea.jpg"
    upload, other = tmp_path / "same.jpg", tmp_path / "other.png"
    shutil.copy(example, upload)
    Image.fromarray(synthetic_photo()).save(other)
    files = Files(str(tmp_path / "cache"), uploaded={str(upload), str(other)}, examples=[example])
    files.take_uploads({}, str(upload), str(other))
    assert upload.exists() and not other.exists()


def test_a_queued_runs_place_is_restated_until_it_starts_or_is_stopped(h):
    """Run pressed behind two others: the status says 2, then 1 as the first starts; once the run has
    left the line (or was stopped while waiting) the line's timer goes off and the status is left to
    the run."""
    from types import SimpleNamespace

    def request(session):
        return SimpleNamespace(session_hash=session)

    v = {"content": "photo.png", "style": "painting.png", "run_state": {}}
    for session in ("first", "second", "mine"):
        h.line.joined(session)
    out = h.queued(v, request("mine"))
    assert "2 runs before yours" in out["status"] and out["line_timer"].active
    h.line.left("first", None)  # the first run starts
    assert "1 run before yours" in h.place(v, request("mine"))["status"]
    h.line.left("second", None)
    h.line.left("mine", None)  # this run starts: its own status speaks from now on
    out = h.place(v, request("mine"))
    assert set(out) == {"line_timer"} and not out["line_timer"].active
    h.line.joined("mine")
    h.stop(v, request("mine"))  # Stop while it waits: the status says so, the timer must not undo it
    out = h.place(v, request("mine"))
    assert set(out) == {"line_timer"} and not out["line_timer"].active
