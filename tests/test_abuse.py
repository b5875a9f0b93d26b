"""A hostile visitor on a public link: every handler, named or not, bounded; every refusal one
readable line; nothing kept that grows without bound. Handlers called directly first (fast), then
a launched server through gradio_client (marked ``abuse``, run in CI)."""
import json
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

import app
from conftest import ROOT, drain, synthetic_photo
from nst_core import NSTError, SettingsError
from nst_core.imaging.images import image_shape
from nst_core.recipe import MAX_STEERING, read_recipe
from test_app_picture import values
from ui.files import Files
from ui.handlers import Handlers
from ui.knobs import DEFAULTS


def limited(h, **limits):
    """The handlers on a server whose operator set these limits (NST_MAX_RUN_S, ...)."""
    from nst_core import Limits

    settings = h.run_settings
    h.run_settings = lambda v: settings(v).replace(limits=Limits(**limits))
    return h


@pytest.fixture
def h(tmp_path):
    return Handlers(Files(str(tmp_path / "cache")), app.PRESETS)


def bomb_png(path, side: int = 13000, text: dict | None = None) -> None:
    """A PNG whose header says side x side pixels (a few kB of file): decoding it would take GBs."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = zlib.compress(b"\0" * (side + 1) * 1, 9)  # one row only: the rest would be missing
    body = b"".join(chunk(b"tEXt", k.encode() + b"\0" + v.encode()) for k, v in (text or {}).items())
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                     + body + chunk(b"IDAT", rows) + chunk(b"IEND", b""))


def recipe(**settings) -> dict:
    return {"format": "nst-recipe/1", "settings": settings}


def test_a_recipe_png_is_read_for_its_text_without_decoding_its_pixels(tmp_path):
    png = tmp_path / "recipe.png"
    bomb_png(png, text={"nst-recipe": json.dumps(recipe(iterations=7))})  # 169 MP: far past the limit
    assert read_recipe(png).iterations == 7
    with pytest.raises(NSTError, match="megapixels"):
        image_shape(str(png))  # as a picture, it is refused from its header alone


@pytest.mark.parametrize("text, says", [
    ("[" * 200_000 + "]" * 200_000, "nested too deeply|cannot read"),
    ("{not json", "cannot read a recipe"),
    (json.dumps(recipe(iterations="many")), "recipe: "),
    (json.dumps(recipe(steering=[[i, 1.0, 1.0, 1.0] for i in range(MAX_STEERING + 1)])), "steering entries"),
    (json.dumps(recipe(content_weight=float("nan"))), "recipe: "),
], ids=["deep", "malformed", "string", "steering", "nan"])
def test_a_bad_recipe_is_one_readable_line(tmp_path, text, says):
    path = tmp_path / "recipe.json"
    path.write_text(text)
    with pytest.raises(SettingsError, match=says) as refused:
        read_recipe(path)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 300


def test_an_oversized_recipe_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe(seed=1)) + " " * 1_000_001)
    with pytest.raises(SettingsError, match="at most 1 MB"):
        read_recipe(path)


def test_a_recipe_cannot_switch_on_what_no_slider_can(h, tmp_path):
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(recipe(xla=True, memory_budget_mb=1234, iterations=9)))
    s = h.load_recipe({"recipe_file": str(path)})["recipe_state"]
    assert s.iterations == 9 and not s.xla and s.memory_budget_mb == DEFAULTS.memory_budget_mb


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "ten", None, [3]], ids=["nan", "inf", "str", "null", "list"])
def test_numbers_that_are_not_numbers_are_refused_in_one_line(h, bad):
    with pytest.raises(SettingsError, match="iterations must be a number"):
        h.run_settings(values(iterations=bad))


def test_a_run_expected_past_the_servers_limit_is_refused_before_it_starts(h):
    limited(h, max_run_s=60)
    shown = []
    with pytest.raises(Exception) as refused:
        for out in drain(h.run(values(content=synthetic_photo(768, 1024), iterations=1000, max_size=1024), None)):
            shown.append(out)
    assert "allows 60 s a run" in shown[-1]["status"] and "lower the iterations or the size" in shown[-1]["status"]
    assert "preview" not in shown[-1] and refused.value.message == shown[-1]["status"].split(" — ", 1)[1]


def test_a_run_that_overruns_its_limit_stops_with_its_picture_and_says_why(h, monkeypatch):
    import ui.handlers

    limited(h, max_run_s=3)
    monkeypatch.setattr(ui.handlers, "expected_seconds", lambda shape, s: 1.0)  # the estimate was too low
    from test_app_picture import outputs

    last = outputs(h, values(iterations=1000, max_size=64, multiscale=False))[-1]
    assert "Stopped" in last["status"] and "server's limit of 3 s" in last["status"]
    assert last["png"].size == (64, 48)  # the picture painted so far is kept


# ---- a launched server, called as a hostile client would: by HTTP, by fn_index, named or not --------
class Raw:
    """The app's queue over plain HTTP: any handler by its index, with any JSON values."""

    def __init__(self, url: str):
        import requests

        self.url, self.http = url, requests.Session()
        self.config = self.http.get(url + "config", timeout=30).json()
        self.api = url.rstrip("/") + self.config.get("api_prefix", "/gradio_api")
        self.comps = {c["id"]: c for c in self.config["components"]}

    def index(self, name: str) -> int:
        return next(i for i, d in enumerate(self.config["dependencies"]) if d.get("api_name") == name)

    def input_ids(self, fn: int) -> list:
        """Each input's elem_id (None where it has none)."""
        return [self.comps[i].get("props", {}).get("elem_id") for i in self.config["dependencies"][fn]["inputs"]]

    def defaults(self, fn: int) -> list:
        """Each input's initial value on the page (States: null)."""
        return [self.comps[i].get("props", {}).get("value") for i in self.config["dependencies"][fn]["inputs"]]

    def upload(self, path) -> dict:
        with open(path, "rb") as f:
            r = self.http.post(self.api + "/upload", files={"files": (path.name, f)}, timeout=120)
        r.raise_for_status()
        return {"path": r.json()[0], "orig_name": path.name, "meta": {"_type": "gradio.FileData"}}

    def call(self, fn: int, data: list, session: str | None = None, raw_body: str | None = None) -> tuple:
        """(True, outputs) or (False, the error message) for one event, read from the queue's stream."""
        import uuid

        session = session or uuid.uuid4().hex
        body = raw_body or json.dumps({"data": data, "fn_index": fn, "session_hash": session, "event_data": None})
        r = self.http.post(self.api + "/queue/join", data=body, headers={"Content-Type": "application/json"},
                           timeout=60)
        if r.status_code != 200:
            return False, r.json().get("detail") or r.text
        with self.http.get(self.api + "/queue/data", params={"session_hash": session}, stream=True,
                           timeout=600) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if not line or not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_streaming":  # a stream (the webcam's): one frame back, then close it
                    streamed = msg.get("output") or {}
                    self.http.post(self.api + f"/stream/{r.json()['event_id']}/close", timeout=60)
                    if msg.get("success"):
                        return True, streamed.get("data")
                if msg.get("msg") == "process_completed":
                    out = msg.get("output") or {}
                    return (True, out.get("data")) if msg.get("success") else (False, out.get("error"))
        return False, None


@pytest.fixture(scope="module")
def hostile(hub_model, tmp_path_factory):
    from conftest import start_app

    log = tmp_path_factory.mktemp("abuse") / "server.log"
    proc, url = start_app({"NST_HUB_MODEL": hub_model}, log=log)
    url.log, url.proc = log, proc
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def rss_mib(pid: int) -> float:
    from pathlib import Path

    line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


@pytest.fixture(scope="module")
def big_png(tmp_path_factory):
    """A real 49 MP 16-bit PNG of about 100 kB: a small upload that decodes to gigabytes of arrays."""
    path = tmp_path_factory.mktemp("big") / "big.png"
    Image.fromarray(np.zeros((7000, 7000), np.uint16)).save(path, compress_level=9)
    return path


@pytest.mark.abuse
def test_every_bad_value_is_one_readable_line_and_the_log_stays_clean(hostile, tmp_path):
    raw = Raw(hostile)
    fn = raw.index("stylize")
    Image.fromarray(synthetic_photo(768, 1024)).save(tmp_path / "photo.png")
    photo = raw.upload(tmp_path / "photo.png")
    painting = raw.upload(ROOT / "examples" / "the_scream.jpg")
    names = raw.input_ids(fn)

    def stylize(**values):
        data = raw.defaults(fn)
        data[0], data[1] = photo, painting
        for name, value in values.items():
            data[names.index(name)] = value
        return raw.call(fn, data)

    cases = {"nan": dict(iterations=float("nan")), "string": dict(iterations="ten"), "null": dict(max_size=None),
             "list": dict(content_weight=[1]), "choice": dict(optimizer="rm -rf"),
             "budget": dict(iterations=1000, max_size=1024)}  # about 1.5 hours at 1024x768
    for case, given in cases.items():
        ok, error = stylize(**given)
        assert not ok and isinstance(error, str) and "\n" not in error and len(error) < 300, (case, error)
        assert "upstream" not in error and "null" != error, (case, error)
    assert "lower the iterations or the size" in stylize(**cases["budget"])[1]
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    bomb = tmp_path / "bomb.png"
    bomb_png(bomb)
    for recipe_file in (deep, bomb):
        ok, error = raw.call(raw.index("load_recipe"), [raw.upload(recipe_file)])
        assert not ok and "recipe" in error and "\n" not in error, error
    ok, out = stylize(iterations=3, max_size=64)  # and it still paints
    assert ok and "Done" in out[1]
    log = hostile.log.read_text()
    assert "Traceback" not in log, log[-3000:]


PICTURE_INPUTS = ("content", "mask", "video_style", "live_style")  # where each handler takes the picture


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory):
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from clips import write_clip

    frames = [np.roll(synthetic_photo(48, 64), 2 * t, axis=1) for t in range(4)]
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4", frames)


@pytest.mark.abuse
@pytest.mark.parametrize("handler", ["print_note", "prepare", "canvas", "shown", "faces_found", "subject_mask",
                                     "stylize_video", "live"])
def test_six_simultaneous_calls_of_a_handler_with_a_49_mp_picture_stay_bounded(hostile, big_png, small_clip,
                                                                               handler):
    """Each handler that opens a dropped picture (the photo, its faces or its subject, a mask, a clip's or
    the webcam's style), called six times at once with a 49 MP PNG of 92 kB: the print note reads its
    header only, the others decode one or two at a time (their queues are bounded), and the memory comes
    back down (the print note alone once added 5.6 GiB)."""
    from concurrent.futures import ThreadPoolExecutor

    raw = Raw(hostile)
    fn = raw.index(handler)
    data, names = raw.defaults(fn), raw.input_ids(fn)
    picture = raw.upload(big_png)
    data[next(i for i, n in enumerate(names) if n in PICTURE_INPUTS)] = picture
    if handler == "print_note":
        data[-1] = "2048 px"
    if handler == "stylize_video":
        data[names.index("video_in")] = raw.upload(small_clip)
    if handler == "shown":  # the mask goes over the photo already on the canvas
        Image.fromarray(synthetic_photo(96, 128)).save(big_png.parent / "canvas.png")
        data[names.index("mask_editor")] = {"background": raw.upload(big_png.parent / "canvas.png"), "layers": [],
                                            "composite": None}
    if handler == "live":
        data[names.index("live_cam")] = raw.upload(ROOT / "examples" / "chelsea.jpg")
    before = rss_mib(hostile.proc.pid)
    with ThreadPoolExecutor(6) as pool:
        calls = [pool.submit(raw.call, fn, data) for _ in range(6)]
        peak = before
        while not all(c.done() for c in calls):  # sampled while they run: the peak is the figure
            peak = max(peak, rss_mib(hostile.proc.pid))
    assert all(c.result()[0] for c in calls), [c.result() for c in calls]
    assert peak - before < 1536, peak - before
    assert rss_mib(hostile.proc.pid) - before < 512  # and it came back down
    print(f"{handler}: peak +{peak - before:.0f} MiB, after +{rss_mib(hostile.proc.pid) - before:.0f} MiB")


@pytest.mark.abuse
def test_a_hundred_sessions_each_loading_a_maximal_recipe_keep_little(hostile, tmp_path):
    """Each session keeps only the Settings a recipe yields (its steering bounded): 100 sessions that
    each load a 1 MB recipe with the most steering entries read add under 100 MB."""
    import uuid

    raw = Raw(hostile)
    fn = raw.index("load_recipe")
    steering = [[i, 1.0, 20.0 + i % 7, 10.0] for i in range(MAX_STEERING)]
    body = json.dumps({**recipe(iterations=MAX_STEERING, steering=steering), "padding": ""})
    path = tmp_path / "maximal.json"
    path.write_text(body.replace('"padding": ""', '"padding": "' + "x" * (999_000 - len(body)) + '"'))
    assert 990_000 < path.stat().st_size <= 1_000_000
    upload = raw.upload(path)
    ok, _ = raw.call(fn, [upload], session=uuid.uuid4().hex)  # the first load warms what every load uses
    assert ok
    before = rss_mib(hostile.proc.pid)
    for _ in range(100):
        ok, out = raw.call(fn, [upload], session=uuid.uuid4().hex)
        assert ok, out
    assert rss_mib(hostile.proc.pid) - before < 100
