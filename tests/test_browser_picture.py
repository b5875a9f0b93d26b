"""The Picture tab in a real headless Chromium on the launched app: upload, slider, Run, live previews, Stop,
download, Instant and Refine, a closed tab's run going on (and stopping after the grace time), Steer, the mask brush."""
import shutil

import pytest
from PIL import Image

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def page(app_server):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        pg = browser.new_page(viewport={"width": 1400, "height": 1800}, accept_downloads=True)
        pg.goto(app_server)
        pg.wait_for_selector("#run")
        yield pg
        browser.close()


def preview_src(page) -> str:
    return page.eval_on_selector("#preview img", "e => e.src") if page.query_selector("#preview img") else ""


def test_upload_slide_run_watch_stop_download(page, app_server, image_pair, tmp_path):
    page.set_input_files("#content input[type=file]", str(image_pair[0]))
    page.set_input_files("#style input[type=file]", str(image_pair[1]))
    page.wait_for_selector("#content img")
    page.wait_for_selector("#style img")
    size = page.locator("#max_size input[type=number]")
    size.fill("128")
    size.press("Enter")
    iterations = page.locator("#iterations input[type=number]")
    iterations.fill("400")
    iterations.press("Enter")
    page.screenshot(path=str(tmp_path / "before.png"))
    page.click("#run")
    seen = []
    for _ in range(3):  # the live preview changes, frame after frame
        page.wait_for_function(
            "prev => { const i = document.querySelector('#preview img'); return i && i.src && i.src !== prev; }",
            arg=seen[-1] if seen else "", timeout=60_000)
        seen.append(preview_src(page))
    assert len(set(seen)) == 3
    page.screenshot(path=str(tmp_path / "during.png"))
    page.click("#stop")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('Stopped')",
                           timeout=60_000)
    # (that Stop frees the CPU at once is measured, with the figures, by benchmarks/stop.py)
    link = page.locator("#result a").first
    link.wait_for(timeout=30_000)
    with page.expect_download() as dl:
        link.click()
    path = tmp_path / "download.png"
    dl.value.save_as(path)
    with Image.open(path) as im:
        assert im.format == "PNG" and max(im.size) == 128
    page.screenshot(path=str(tmp_path / "after.png"))


def wait_for_new_preview(page, previous: str) -> str:
    page.wait_for_function(
        "prev => { const i = document.querySelector('#preview img'); return i && i.src && i.src !== prev; }",
        arg=previous, timeout=60_000)
    return preview_src(page)


def test_instant_then_refine(page, tmp_path):
    """Runs after the test above on the same page: both images are still in their drop zones."""
    before = preview_src(page)
    page.click("#instant")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('Instant')",
                           timeout=60_000)
    draft = wait_for_new_preview(page, before) if preview_src(page) == before else preview_src(page)
    page.screenshot(path=str(tmp_path / "instant.png"))
    page.click("#refine")
    first = wait_for_new_preview(page, draft)
    wait_for_new_preview(page, first)
    page.click("#stop")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('Stopped')",
                           timeout=60_000)
    page.screenshot(path=str(tmp_path / "refined.png"))


def new_tab_with_images(browser, app_server, image_pair, **knobs):
    """A second visitor: a fresh browser context on the app with both images dropped and knobs set."""
    ctx = browser.new_context()
    tab = ctx.new_page()
    tab.goto(app_server)
    tab.set_input_files("#content input[type=file]", str(image_pair[0]))
    tab.set_input_files("#style input[type=file]", str(image_pair[1]))
    tab.wait_for_selector("#content img")
    tab.wait_for_selector("#style img")
    for knob, value in knobs.items():
        box = tab.locator(f"#{knob} input[type=number]")
        box.fill(str(value))
        box.press("Enter")
    return ctx, tab


def iteration(tab) -> int:
    import re

    m = re.search(r"iteration (\d+) /", tab.locator("#status").inner_text())
    return int(m.group(1)) if m else 0


def test_closing_the_tab_keeps_the_run_going_then_the_grace_time_stops_it_with_its_picture(page, app_server,
                                                                                           image_pair):
    """A visitor whose tab closes (or phone drops) may come back: the run has gone on meanwhile; one
    who comes back only after the grace time (NST_DETACHED_GRACE_S, short on the test server) finds
    it stopped there, its picture kept (and the CPU was free for the next visitor meanwhile: the
    figures are in benchmarks/stop.py)."""
    import time

    from conftest import DETACHED_GRACE_S

    # long enough to outlast the grace time, within the server's 15 minutes a run (NST_MAX_RUN_S)
    ctx, tab = new_tab_with_images(page.context.browser, app_server, image_pair, iterations=500)
    tab.click("#run")
    tab.wait_for_function("() => /iteration [1-9]/.test(document.querySelector('#status').innerText)",
                          timeout=120_000)
    left_at = iteration(tab)
    tab.close()
    back = ctx.new_page()  # the same browser, back at once: the run went on while the tab was closed
    back.goto(app_server)
    back.wait_for_function("n => { const m = /Painting\\D+iteration (\\d+) \\//.exec(document.querySelector("
                           "'#status')?.innerText ?? ''); return m && +m[1] > n; }", arg=left_at, timeout=120_000)
    back.close()
    time.sleep(DETACHED_GRACE_S + 5)  # away for longer than the grace time (a visitor's absence, not a measurement)
    late = ctx.new_page()
    late.goto(app_server)
    late.wait_for_function("() => (document.querySelector('#status')?.innerText ?? '').includes('Stopped')",
                           timeout=120_000)
    assert 0 < iteration(late) < 500  # it stopped long before its end ...
    late.locator("#result a").first.wait_for(timeout=30_000)  # ... and kept its picture
    ctx.close()


def test_a_closed_tab_s_result_waits_for_its_browser_and_comes_back_in_a_new_tab(page, app_server, image_pair):
    from test_api_client import result_folders

    ctx, tab = new_tab_with_images(page.context.browser, app_server, image_pair, max_size=64, iterations=2)
    before = result_folders()
    tab.click("#run")
    tab.wait_for_function("() => document.querySelector('#status').innerText.includes('Done')", timeout=60_000)
    tab.wait_for_selector("#result a")
    mine = result_folders() - before
    tab.close()
    again = ctx.new_page()  # the same browser, later
    again.goto(app_server)
    again.wait_for_function("() => (document.querySelector('#status')?.innerText ?? '').includes('Done')",
                            timeout=60_000)
    again.wait_for_selector("#result a")
    assert len(mine) == 1 and all(f.exists() for f in mine)
    ctx.close()


def test_moving_the_style_slider_steers_the_running_picture(page, app_server, image_pair, tmp_path):
    """A visitor changes the style weight mid-run: the run goes on from its picture with the new weight,
    and the status and the chart say where."""
    ctx, tab = new_tab_with_images(page.context.browser, app_server, image_pair, max_size=128, iterations=400)
    tab.click("#run")
    first = wait_for_new_preview(tab, "")
    box = tab.locator("#style_weight input[type=number]")
    box.fill("2.5")
    box.press("Tab")  # leaving the box releases the slider, as letting go of its handle does
    tab.wait_for_function("() => document.querySelector('#status').innerText.includes('steered at iteration')",
                          timeout=60_000)
    status = tab.locator("#status").inner_text()
    assert "→ 316" in status and "Painting" in status  # 10^2.5, and still the same run
    assert wait_for_new_preview(tab, preview_src(tab)) != first
    tab.screenshot(path=str(tmp_path / "steered.png"))
    tab.click("#stop")
    tab.wait_for_function("() => document.querySelector('#status').innerText.includes('Stopped')", timeout=60_000)
    ctx.close()


def mask_src(tab) -> str:
    return tab.eval_on_selector("#mask img", "e => e.src") if tab.query_selector("#mask img") else ""


def mask_pixels(tab):
    """The Mask box's mask (uint8 [H, W]), or None while there is none to read."""
    import io

    import numpy as np
    from playwright.sync_api import Error as PlaywrightError

    try:  # a superseded mask may be gone already, or go while it is found or fetched (the app keeps two)
        src = mask_src(tab)
        got = tab.request.get(src) if src else None
        return np.asarray(Image.open(io.BytesIO(got.body())).convert("L")) if got and got.ok else None
    except (PlaywrightError, OSError):  # OSError: a body cut short is no PNG
        return None


def wait_for_mask_in(tab, holds, seconds: float = 90):
    """The Mask box's mask once ``holds`` it (a stroke's events may still be arriving): polled, to a deadline
    as long as a stroke takes on two busy cores (the editor uploads its canvas, each event decodes it)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        m = mask_pixels(tab)
        if m is not None and holds(m):
            return m
        tab.wait_for_timeout(200)  # polling interval, not synchronisation
    raise AssertionError("the mask never showed what was painted")


def test_a_brushed_mask_places_the_style_and_rides_in_the_result(page, app_server, image_pair, tmp_path):
    """A visitor paints over the left of the photo: the mask shows the stroke in white; Invert swaps
    it, Clear empties it; a run with the painted mask keeps it in the PNG's recipe."""
    import json

    import numpy as np

    ctx, tab = new_tab_with_images(page.context.browser, app_server, image_pair, max_size=96, iterations=4)
    shown = "sel => { const i = document.querySelector(sel); return i && i.complete && i.naturalWidth > 0; }"
    for zone in ("#content img", "#style img"):  # dropped pictures show, not a broken-image icon
        tab.wait_for_function(shown, arg=zone, timeout=30_000)
    tab.click("#mask_box .label-wrap")
    canvas = tab.locator("#mask_editor canvas").first
    canvas.wait_for(timeout=30_000)
    tab.wait_for_function("() => { const c = document.querySelector('#mask_editor canvas');"
                          " return c && c.getBoundingClientRect().width > 100; }", timeout=30_000)
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x0, y = box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.5
    # the photo fills the canvas's middle; paint a thick band down its left part
    for dy in (-0.3, -0.15, 0.0, 0.15, 0.3):
        tab.mouse.move(box["x"] + box["width"] * 0.3, y + dy * box["height"])
        tab.mouse.down()
        tab.mouse.move(x0, y + dy * box["height"])  # the editor draws the segment between
        tab.mouse.up()

    # painted white, the right untouched
    wait_for_mask_in(tab, lambda m: m.max() > 250 and m[:, int(m.shape[1] * 0.8):].max() < 5)
    tab.screenshot(path=str(tmp_path / "mask_painted.png"), full_page=True)
    tab.click("#mask_invert")
    inverted = wait_for_mask_in(tab, lambda m: m[:, int(m.shape[1] * 0.8):].min() > 250)  # the right is the style's now
    tab.click("#mask_invert")  # back to the painted band
    painted = wait_for_mask_in(tab, lambda m: m[:, int(m.shape[1] * 0.8):].max() < 5)
    assert painted.max() > 250 and np.abs(inverted.astype(int) + painted - 255).mean() < 3
    tab.click("#run")
    tab.wait_for_function("() => /Done|Not run/.test(document.querySelector('#status').innerText)", timeout=120_000)
    assert "Done" in tab.locator("#status").inner_text()
    with tab.expect_download() as dl:
        tab.locator("#result a").first.click()
    with Image.open(dl.value.path()) as im:
        assert json.loads(im.text["nst-recipe"])["mask"].startswith("data:image/png")
    tab.click("#mask_clear")
    tab.wait_for_function("() => !document.querySelector('#mask img')", timeout=30_000)
    ctx.close()


PHOTO_RGB = (40, 170, 60)  # a green no brush stroke, checkerboard or page colour comes near


def editor_pixels(tab):
    """The brush editor's canvas as the visitor sees it: RGB [H, W, 3] of a screenshot."""
    import io

    import numpy as np

    return np.asarray(Image.open(io.BytesIO(tab.locator("#mask_editor canvas").first.screenshot())).convert("RGB"))


def photo_on_screen(rgb) -> tuple[int, int, int, int] | None:
    """(top, left, height, width) of the green photo on the editor's screenshot, or None before it shows."""
    import numpy as np

    g = rgb.astype(int)
    green = (g[..., 1] - g[..., 0] > 80) & (g[..., 1] - g[..., 2] > 60)
    if green.sum() < 400:
        return None
    rows, cols = np.flatnonzero(green.any(1)), np.flatnonzero(green.any(0))
    return int(rows[0]), int(cols[0]), int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def pink(rgb):
    """Where the brush's see-through pink lies over the picture (the photo's green, the letterbox's
    checkerboard or the page): its red well above its green, which nothing else on the canvas has."""
    g = rgb.astype(int)
    return g[..., 0] - g[..., 1] > 30


def drag(tab, canvas_box: dict, points) -> None:
    """One brush stroke through ``points`` (x, y in the canvas element's pixels): the editor draws a
    straight segment from each pointer position to the next, so one move per point is enough, and
    each move costs a frame of the editor's canvas drawn in software."""
    (x, y), rest = points[0], points[1:]
    tab.mouse.move(canvas_box["x"] + x, canvas_box["y"] + y)
    tab.mouse.down()
    for x, y in rest:
        tab.mouse.move(canvas_box["x"] + x, canvas_box["y"] + y)
    tab.mouse.up()


@pytest.mark.parametrize("size", [(640, 320), (300, 560)], ids=["wide", "tall"])
def test_the_brush_layer_sits_on_a_photo_of_any_shape_and_strokes_land_where_painted(page, app_server, tmp_path, size):
    """A wide or a tall photo: a stroke over its left part is white on the left of the mask; after
    Invert the editor's pink covers the rest of the photo and nothing beside it (Gradio once placed
    such a layer as if on an 800x800 canvas, off the photo). (A stroke maps to the point of the photo under it in tests/test_app_mask.py.
    In Chromium a dab painted just after Invert left the editor busy for 90 s in about one run of
    three, cause not found: docs/portraits-and-photos.md.)"""
    import time

    import numpy as np

    w, h = size
    rng = np.random.default_rng(0)
    photo = np.clip(np.array(PHOTO_RGB) + rng.normal(0, 6, (h, w, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.png")
    ctx = page.context.browser.new_context()
    tab = ctx.new_page()
    tab.goto(app_server)
    tab.set_input_files("#content input[type=file]", str(tmp_path / "photo.png"))
    tab.click("#mask_box .label-wrap")
    canvas = tab.locator("#mask_editor canvas").first
    canvas.wait_for(timeout=30_000)
    canvas.scroll_into_view_if_needed()
    deadline, where, before = time.monotonic() + 60, None, ()
    while where is None or where != before:  # shown, and no longer zooming to fit
        assert time.monotonic() < deadline, "the photo never showed still in the brush editor"
        tab.wait_for_timeout(300)  # polling interval, not synchronisation
        before, where = where, photo_on_screen(editor_pixels(tab))
    top, left, ph, pw = where
    assert abs(pw / ph - w / h) < 0.05 * w / h  # the photo's own shape, not bent to the canvas
    cb = canvas.bounding_box()

    def at(fx: float, fy: float) -> tuple[float, float]:  # a point of the photo, by fractions of it
        return left + fx * pw, top + fy * ph

    # a band down the left of the photo in one stroke: a zig-zag of columns closer together than the
    # brush is wide, so it leaves no gap (each mouse move is a frame the browser draws: few of them)
    from ui.masks import BRUSH_SIZE, MASK_CANVAS

    brush = BRUSH_SIZE * max(ph, pw) / MASK_CANVAS  # on screen: the canvas square is as large as the photo's side
    columns = np.linspace(0.04, 0.16, int(np.ceil(0.12 * pw / (brush / 2))) + 1)
    drag(tab, cb, [at(fx, fy) for n, fx in enumerate(columns) for fy in ((0.08, 0.92), (0.92, 0.08))[n % 2]])
    band = (slice(0.15, 0.85), slice(0.06, 0.14))  # inside the band, by fractions of the photo

    def part(m, rows: slice, cols: slice):
        (mh, mw), (y0, y1), (x0, x1) = m.shape[:2], (rows.start, rows.stop), (cols.start, cols.stop)
        return m[int(y0 * mh):int(y1 * mh), int(x0 * mw):int(x1 * mw)]

    painted = wait_for_mask_in(tab, lambda m: part(m, *band).min() > 250)
    mh, mw = painted.shape
    assert abs(mw / mh - w / h) < 0.03 * w / h and painted[:, int(0.3 * mw):].max() < 5  # white only on the left

    tab.click("#mask_invert")
    wait_for_mask_in(tab, lambda m: m[:, int(0.3 * m.shape[1]):].min() > 250 and part(m, *band).max() < 5)
    deadline, shot = time.monotonic() + 60, None
    while shot is None or not pink(shot[top:top + ph, left + pw // 2:left + pw]).mean() > 0.9:
        assert time.monotonic() < deadline, "Invert's pink never came over the photo"
        tab.wait_for_timeout(200)  # polling interval, not synchronisation
        shot = editor_pixels(tab)
    tab.locator("#mask_editor").screenshot(path=str(tmp_path / "inverted.png"))
    on_photo = pink(shot[top:top + ph, left:left + pw])
    assert on_photo[:, int(0.3 * pw):].mean() > 0.97  # the inverted part: all of the photo right of the band
    assert part(on_photo, *band).mean() < 0.03  # the band: clear
    # the letterbox around the photo: the square canvas the photo sits in, less the photo
    side = max(ph, pw)
    sq_top, sq_left = top + ph // 2 - side // 2, left + pw // 2 - side // 2
    beside = np.zeros(shot.shape[:2], bool)
    beside[max(0, sq_top + 4):sq_top + side - 4, max(0, sq_left + 4):sq_left + side - 4] = True
    beside[top - 4:top + ph + 4, left - 4:left + pw + 4] = False
    assert beside.sum() > 0.2 * side * side and pink(shot)[beside].mean() < 0.01  # nothing off the photo

    ctx.close()


def test_style_the_background_puts_the_mask_found_in_the_mask_box(page, app_server, tmp_path):
    """A portrait dropped, the mask's accordion opened, Style the background pressed: the Mask box
    shows the background in white and the face in black; Style the subject turns it around."""
    import io
    import time
    from pathlib import Path

    import numpy as np
    from playwright.sync_api import Error as PlaywrightError

    examples = Path(__file__).resolve().parents[1] / "examples"
    ctx, tab = new_tab_with_images(page.context.browser, app_server,
                                   (examples / "astronaut.jpg", examples / "starry_night.jpg"))
    tab.click("#mask_box .label-wrap")
    tab.locator("#mask_editor canvas").first.wait_for(timeout=30_000)

    def face(m: np.ndarray) -> int:  # astronaut.jpg's face is near (0.44 w, 0.22 h)
        return int(m[int(0.22 * m.shape[0]), int(0.44 * m.shape[1])])

    def mask_after(button: str, holds) -> np.ndarray:
        """The Mask box's mask once it ``holds`` (the editor's echo of the last one may come first)."""
        tab.click(button)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:  # the Mask box's image may be replaced between finding it and reading it
                src = mask_src(tab)
                got = tab.request.get(src) if src else None
                m = np.asarray(Image.open(io.BytesIO(got.body())).convert("L")) if got and got.ok else None
            except (PlaywrightError, OSError):
                m = None
            if m is not None and holds(m):
                return m
            tab.wait_for_timeout(200)  # polling interval, not synchronisation
        raise AssertionError(f"{button} put no such mask in the Mask box")

    background = mask_after("#style_background", lambda m: face(m) < 5)
    assert background[int(0.05 * background.shape[0]), int(0.9 * background.shape[1])] > 250  # the sky: styled
    tab.locator("#mask_box").screenshot(path=str(tmp_path / "background_mask.png"))
    subject = mask_after("#style_subject", lambda m: face(m) > 250)
    # the same cut turned round; the editor's report of the layer it shows may have replaced it by the
    # same mask at the editor's size (a 512 px photo is shown at 1024): compared at the photo's
    subject = np.asarray(Image.fromarray(subject).resize(background.shape[::-1], Image.BILINEAR))
    assert np.abs(subject.astype(int) + background - 255).mean() < 3
    ctx.close()


def test_a_box_dragged_over_the_photo_puts_the_subject_inside_it(page, app_server, tmp_path):
    """The mask's section open, a box dragged over the content photo round one of two discs (both the
    subject without it): the box is drawn while dragging and stays; Style the subject puts that disc,
    and nothing outside the box, in the Mask box; Clear box, or another photo, takes the box away."""
    import numpy as np

    h, w = 300, 480
    y, x = np.mgrid[0:h, 0:w]
    rng = np.random.default_rng(3)
    g = 110 + 35 * np.sin(x / 7 + np.sin(y / 7)) + rng.normal(0, 8, (h, w))
    rgb = np.clip(np.stack([0.4 * g, g, 0.8 * g], -1), 0, 255).astype(np.uint8)  # leaves
    left, right = ((y - 150) ** 2 + (x - cx) ** 2 <= 70 ** 2 for cx in (120, 360))
    rgb[left], rgb[right] = (235, 120, 30), (40, 60, 220)
    Image.fromarray(rgb).save(tmp_path / "photo.png")
    ctx = page.context.browser.new_context()
    tab = ctx.new_page()
    tab.goto(app_server)
    tab.set_input_files("#content input[type=file]", str(tmp_path / "photo.png"))
    tab.wait_for_function("() => document.querySelector('#content img')?.naturalWidth > 0", timeout=30_000)
    tab.click("#mask_box .label-wrap")
    tab.locator("#style_subject").wait_for(timeout=30_000)
    img = tab.locator("#content img").bounding_box()
    scale = min(img["width"] / w, img["height"] / h)  # the drop zone shows the photo whole, centred

    def on_screen(px: float, py: float) -> tuple[float, float]:  # where the page is scrolled now
        now = tab.locator("#content img").bounding_box()
        left, top = now["x"] + (now["width"] - w * scale) / 2, now["y"] + (now["height"] - h * scale) / 2
        return left + px * scale, top + py * scale

    def drawn():
        return tab.evaluate("() => { const d = document.getElementById('subject_box_drawn');"
                            " if (!d) return null; const r = d.getBoundingClientRect();"
                            " return [r.left, r.top, r.width, r.height]; }")

    def field() -> str:
        return tab.evaluate("() => document.querySelector('#subject_box input, #subject_box textarea').value")

    box = (270, 60, 180, 180)  # round the right disc, in the photo's pixels
    tab.mouse.move(*on_screen(box[0], box[1]))
    tab.mouse.down()
    tab.mouse.move(*on_screen(box[0] + box[2] / 2, box[1] + box[3] / 2))
    half = drawn()  # while dragging: from the corner pressed to the mouse
    assert half is not None and np.allclose(half, [*on_screen(box[0], box[1]), box[2] / 2 * scale,
                                                   box[3] / 2 * scale], atol=3)
    tab.mouse.move(*on_screen(box[0] + box[2], box[1] + box[3]))
    tab.mouse.up()
    tab.wait_for_function("() => document.querySelector('#subject_box input, #subject_box textarea').value !== ''",
                          timeout=30_000)
    got = [int(v) for v in field().split(",")]
    assert np.allclose(got, box, atol=2 / scale + 1)  # the photo's pixels, whatever size it is shown at
    assert np.allclose(drawn(), [*on_screen(got[0], got[1]), got[2] * scale, got[3] * scale], atol=2)
    tab.locator("#content").screenshot(path=str(tmp_path / "box_drawn.png"))

    tab.click("#style_subject")
    mask = wait_for_mask_in(tab, lambda m: m.shape == (h, w) and (m[right] > 127).mean() > 0.97)
    assert (mask[left] > 127).mean() < 0.01  # the other disc, which the middle of the photo also holds
    outside = np.ones((h, w), bool)
    outside[got[1]:got[1] + got[3], got[0]:got[0] + got[2]] = False
    assert (mask[outside] > 127).mean() < 0.002
    tab.locator("#mask_box").screenshot(path=str(tmp_path / "box_subject.png"))

    tab.click("#box_clear")
    tab.wait_for_function("() => !document.getElementById('subject_box_drawn')", timeout=30_000)
    assert field() == ""
    # a box again (below the drop zone's label, which covers the photo's top left corner), then another
    # photo: the box goes with the photo
    tab.locator("#content img").scroll_into_view_if_needed()  # back up to the photo from the Mask box
    tab.mouse.move(*on_screen(60, 80))
    tab.mouse.down()
    tab.mouse.move(*on_screen(200, 220))
    tab.mouse.up()
    tab.wait_for_function("() => document.querySelector('#subject_box input, #subject_box textarea').value !== ''",
                          timeout=30_000)
    Image.fromarray(rgb[:, ::-1].copy()).save(tmp_path / "other.png")
    tab.set_input_files("#content input[type=file]", str(tmp_path / "other.png"))
    # the new photo's img may replace the old one, outline and all, before the server clears the box
    tab.wait_for_function("() => document.querySelector('#subject_box input, #subject_box textarea').value === ''"
                          " && !document.getElementById('subject_box_drawn')", timeout=60_000)
    ctx.close()
