"""What a newcomer meets, in headless Chromium at a desktop's and a phone's width: Instant works with
no set-up, the page shows only what there is, Stop looks live only while a run goes, the preset box
follows the knobs, and on a phone Run brings the preview into view."""
import shutil

import pytest

from test_browser_picture import CHROMIUM, FLAGS, preview_src, wait_for_new_preview


@pytest.fixture(scope="module")
def plain_server():
    """`python app.py` exactly as the README's first command starts it: no NST_HUB_MODEL, so the
    fast path runs on the embedded model, with no network."""
    from conftest import start_app

    proc, url = start_app({"NST_HUB_MODEL": ""})
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module", params=[1400, 400], ids=["desktop", "phone"])
def page(request, plain_server):
    app_server = plain_server
    sync_api = pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium") and not __import__("os").path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        pg = browser.new_page(viewport={"width": request.param, "height": 900}, accept_downloads=True)
        pg.goto(app_server)
        pg.wait_for_selector("#run")
        yield pg
        browser.close()


def visible(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


def stop_colour(page) -> str:
    return page.eval_on_selector("#stop", "e => getComputedStyle(e).backgroundColor")


def in_view(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "e => { const r = e.getBoundingClientRect(); "
                                           "return r.top < window.innerHeight && r.bottom > 0; }")


def test_a_newcomers_run_on_the_first_example(page, tmp_path):
    width = page.viewport_size["width"]
    assert not visible(page, "#result") and not visible(page, "#compare")  # nothing to show yet
    idle = stop_colour(page)  # Stop is not live before a run: the secondary buttons' grey
    page.locator("tr:has(td img)").first.click()  # the first example row: a photo, a painting, a preset
    page.wait_for_selector("#content img")
    page.wait_for_selector("#style img")
    size = page.locator("#max_size input[type=number]")
    size.fill("96")
    size.press("Tab")
    page.wait_for_function("() => document.querySelector('#preset input').value === 'custom'", timeout=10_000)
    iterations = page.locator("#iterations input[type=number]")
    iterations.fill("300")
    iterations.press("Tab")
    page.mouse.wheel(0, -5000)  # back at the top, where Run is
    page.click("#run")
    wait_for_new_preview(page, "")
    if width < 768:  # on a phone the preview came to Run, not 1200 px below it
        assert in_view(page, "#preview")
    assert stop_colour(page) != idle  # live (red) while the run goes
    page.click("#stop")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('Stopped')", timeout=60_000)
    page.locator("#result a").first.wait_for(timeout=30_000)
    page.locator("#compare").wait_for(state="visible", timeout=30_000)  # the result's update shows it
    assert "Before" in page.locator("#compare").inner_text()
    # at the result's own size (96 px), not stretched to the column
    page.locator("#compare").scroll_into_view_if_needed()  # its pictures load lazily
    page.wait_for_function("() => [...document.querySelectorAll('#compare img')].every(i => i.naturalWidth > 0)",
                           timeout=30_000)
    shown = page.evaluate("() => [...document.querySelectorAll('#compare img')].map(i => "
                          "[i.naturalWidth, Math.round(i.getBoundingClientRect().width)])")
    assert shown and all(natural == 96 and abs(width - natural) <= 1 for natural, width in shown)
    page.mouse.move(0, 0)  # off the button: its hover look is not the point
    page.wait_for_function("idle => getComputedStyle(document.querySelector('#stop')).backgroundColor === idle",
                           arg=idle, timeout=10_000)  # grey again once the run is over (after its fade)
    # the chart's legend is shown whole: each entry lies inside the chart's box, not clipped below it
    inside = page.evaluate("""() => { const box = document.querySelector('#chart').getBoundingClientRect();
        const texts = [...document.querySelectorAll('#chart svg text')];
        return ['content', 'style', 'tv', 'total'].map(name => { const t = texts.find(e => e.textContent === name);
            if (!t) return false; const r = t.getBoundingClientRect();
            return r.height > 0 && r.top >= box.top && r.bottom <= box.bottom; }); }""")
    assert inside == [True] * 4
    page.screenshot(path=str(tmp_path / f"run-{width}.png"), full_page=True)


def test_instant_works_offline_and_offers_its_png(page, tmp_path):
    assert page.locator("#instant").is_enabled() and not visible(page, "#fast_note")
    before = preview_src(page)
    page.click("#instant")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('Instant')", timeout=60_000)
    wait_for_new_preview(page, before) if preview_src(page) == before else None
    page.wait_for_function("() => document.querySelector('#result').innerText.replace(/\\s/g, '').includes('instant.png')",
                           timeout=30_000)  # the download now offers Instant's picture
    page.screenshot(path=str(tmp_path / f"instant-{page.viewport_size['width']}.png"), full_page=True)


def test_a_damaged_upload_is_one_plain_message_and_leaves_no_broken_picture(page, tmp_path):
    bad = tmp_path / "painting.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    page.set_input_files("#style input[type=file]", str(bad))
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('damaged')", timeout=30_000)
    text = page.inner_text("#status")
    assert "damaged or incomplete" in text and "download it again" in text
    page.wait_for_function("() => !document.querySelector('#style img')", timeout=30_000)  # emptied, no broken icon
    assert page.locator(".toast-body").count() == 0  # said once, on the status line
