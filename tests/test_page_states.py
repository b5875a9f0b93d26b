"""The page tells the truth about its run in every state, and a visit leaves no traceback in the
server's log: Stop while the run waits in the queue, runs whose pages left giving way to a visitor
present, and a whole visit in Chromium (drops, a bad file, Run, Stop, a reload, Instant, a mask,
Refine, a clip, the webcam, Stop while queued)."""
import re
import sys

import numpy as np

import pytest
from gradio_client import Client
from gradio_client.utils import Status

from conftest import ROOT, start_app
from test_browser_picture import CHROMIUM, FLAGS
from test_browser_video_and_webcam import write_y4m
from test_queue import args, poll

EXAMPLES = ROOT / "examples"
STOPPED_BEFORE = "Stopped** before it started"


@pytest.fixture(scope="module")
def server(hub_model, tmp_path_factory):
    """The app with its log in a file, and runs whose pages left kept for 10 minutes (the default)."""
    log = tmp_path_factory.mktemp("log") / "server.log"
    proc, url = start_app({"NST_HUB_MODEL": hub_model, "NST_DETACHED_GRACE_S": "600"}, log=log)
    url.log = log
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def assert_log_clean(server) -> None:
    """Nothing went wrong behind the page: no traceback in the server's log so far."""
    log = server.log.read_text()
    assert not re.search(r"Traceback|didn't return enough output values|UnboundLocalError", log), log[-3000:]


def long_run(client):
    return client.submit(*args(EXAMPLES / "chelsea.jpg", EXAMPLES / "the_scream.jpg", iterations=1000, size=256,
                               style_weight=1.3), api_name="/stylize")


def test_stop_while_waiting_in_the_queue_takes_the_run_out_and_it_never_paints(server, tmp_path):
    holder, visitor = Client(server, verbose=False), Client(server, verbose=False)
    ahead = long_run(holder)
    poll(lambda: ahead.status().code in (Status.PROCESSING, Status.ITERATING))
    mine = visitor.submit(*args(EXAMPLES / "chelsea.jpg", EXAMPLES / "the_scream.jpg"), api_name="/stylize")
    poll(lambda: mine.status().code == Status.IN_QUEUE)
    visitor.predict(api_name="/stop")  # the visitor's Stop, while their run waits behind the other's
    holder.predict(api_name="/stop")
    final = mine.result(timeout=120)
    painted = [o for o in (final[0], final[3]) if isinstance(o, str)]  # a preview's or a result's file
    assert STOPPED_BEFORE in final[1] and not painted
    assert "Stopped" in ahead.result(timeout=120)[1]
    assert_log_clean(server)


def test_stop_while_a_clip_waits_in_the_queue_takes_it_out_and_it_never_starts(server, tmp_path):
    from gradio_client import handle_file

    sys.path.insert(0, str(ROOT / "tools"))
    from clips import write_clip

    from nst_core import load_image

    cat = load_image(EXAMPLES / "chelsea.jpg", None)[:72, :96]
    clip = write_clip(tmp_path / "cat.mp4", [np.roll(cat, 2 * t, axis=1) for t in range(6)])
    holder, visitor = Client(server, verbose=False), Client(server, verbose=False)
    ahead = long_run(holder)
    poll(lambda: ahead.status().code in (Status.PROCESSING, Status.ITERATING))
    mine = visitor.submit(clip=handle_file(str(clip)), style=handle_file(str(EXAMPLES / "the_scream.jpg")),
                          size=128, strength=1.0, smoothing=0.5, refine=0, api_name="/stylize_video")
    poll(lambda: mine.status().code == Status.IN_QUEUE)
    visitor.predict(api_name="/stop_video")  # the visitor's Stop, while their clip waits behind the run
    holder.predict(api_name="/stop")
    preview, said, video = mine.result(timeout=120)
    assert STOPPED_BEFORE in said and preview is None and video is None
    assert_log_clean(server)


def test_three_runs_whose_pages_left_do_not_hold_up_a_visitor(server):
    """Each abandoned run would take many minutes; the visitor's short run finishes long before."""
    left = [Client(server, verbose=False) for _ in range(3)]
    for client in left:
        job = long_run(client)
        poll(lambda: job.status().code in (Status.PROCESSING, Status.ITERATING))
        job.cancel()  # the page closed right after its run started
    visitor = Client(server, verbose=False)
    final = visitor.predict(*args(EXAMPLES / "chelsea.jpg", EXAMPLES / "the_scream.jpg"), api_name="/stylize")
    assert "Done" in final[1]
    for client in left:
        client.predict(api_name="/stop")
    assert_log_clean(server)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Chromium with a fake camera (a clip of the cat, looping) for the Webcam tab."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from nst_core import load_image

    cam = tmp_path_factory.mktemp("cam") / "camera.y4m"
    write_y4m(cam, [np.roll(load_image(EXAMPLES / "chelsea.jpg", None)[:240, :320], 4 * t, axis=1)
                    for t in range(8)])
    flags = [*FLAGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             f"--use-file-for-fake-video-capture={cam}"]
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=flags)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(server, browser):
    pg = browser.new_page(viewport={"width": 1400, "height": 900})
    pg.goto(server)
    loaded(pg)
    yield pg
    pg.close()


def loaded(page) -> None:
    """The page's load events have run (the last one stores the browser's key): a click now is heard."""
    page.wait_for_function("() => localStorage.getItem('nst-run')", timeout=60_000)


def status(page) -> str:
    return page.inner_text("#status")


def stop_is_live(page) -> bool:
    return page.evaluate("() => document.body.dataset.running === '1'")


def wait_status(page, text: str) -> None:
    # the status box may not be there yet: a reloaded page is still being built
    page.wait_for_function("t => (document.querySelector('#status')?.innerText ?? '').includes(t)", arg=text,
                           timeout=120_000)


def test_a_visit_keeps_the_status_and_stop_true_and_the_log_clean(server, page, image_pair, tmp_path):
    bad = tmp_path / "painting.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    page.click("#run")  # nothing dropped yet: said on the status line, Stop not live
    wait_status(page, "Drop a content photo and a style painting first")
    assert not stop_is_live(page) and not page.query_selector(".toast-body")
    page.set_input_files("#style input[type=file]", str(bad))
    wait_status(page, "style image is damaged")
    page.set_input_files("#content input[type=file]", str(image_pair[0]))
    page.set_input_files("#style input[type=file]", str(image_pair[1]))
    page.wait_for_selector("#content img")
    page.wait_for_selector("#style img")
    wait_status(page, "Ready.")  # the good drop mends the warning
    for knob, value in (("max_size", 128), ("iterations", 400)):
        box = page.locator(f"#{knob} input[type=number]")
        box.fill(str(value))
        box.press("Enter")
    page.click("#run")
    wait_status(page, "Painting")
    assert stop_is_live(page)
    page.reload()  # the page comes back to its run: painting, and Stop live
    loaded(page)
    wait_status(page, "Painting")
    assert stop_is_live(page)
    page.click("#stop")
    wait_status(page, "took")
    assert "Stopped" in status(page) and not stop_is_live(page)
    page.set_input_files("#content input[type=file]", str(image_pair[0]))  # a reload empties the drop zones
    page.set_input_files("#style input[type=file]", str(image_pair[1]))
    page.wait_for_selector("#content img")
    page.wait_for_selector("#style img")
    page.click("#instant")
    wait_status(page, "Instant")
    assert not stop_is_live(page)
    mask_and_refine(page, tmp_path)
    a_clip(page, tmp_path)
    the_webcam(page)
    assert_log_clean(server)


def mask_and_refine(page, tmp_path) -> None:
    """A mask file dropped (the right half white: the style there only), then Refine paints to Done."""
    from PIL import Image

    mask = np.zeros((96, 128), np.uint8)
    mask[:, 64:] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    page.click("#mask_box button")  # the accordion opens
    page.set_input_files("#mask input[type=file]", str(tmp_path / "mask.png"))
    page.wait_for_selector("#mask img")
    box = page.locator("#iterations input[type=number]")
    box.fill("5")
    box.press("Enter")
    page.click("#refine")
    wait_status(page, "Done")
    assert not stop_is_live(page) and page.query_selector("#result a")


def a_clip(page, tmp_path) -> None:
    """The Video tab: a short clip and a painting in, a clip out."""
    sys.path.insert(0, str(ROOT / "tools"))
    from clips import write_clip

    from nst_core import load_image

    cat = load_image(EXAMPLES / "chelsea.jpg", None)[:72, :96]
    clip = write_clip(tmp_path / "cat.mp4", [np.roll(cat, 2 * t, axis=1) for t in range(6)])
    page.get_by_role("tab", name="Video").click()
    page.set_input_files("#video_in input[type=file]", str(clip))
    page.set_input_files("#video_style input[type=file]", str(EXAMPLES / "the_scream.jpg"))
    page.wait_for_selector("#video_style img")
    page.click("#video_run")
    page.wait_for_function("() => document.querySelector('#video_status').innerText.includes('Done')",
                           timeout=180_000)


def the_webcam(page) -> None:
    """The Webcam tab: the fake camera's frames come back stylised; leaving the tab ends the stream."""
    page.get_by_role("tab", name="Webcam").click()
    page.set_input_files("#live_style input[type=file]", str(EXAMPLES / "starry_night.jpg"))
    page.wait_for_selector("#live_style img")
    page.click("#live_cam div[title='grant webcam access'] button")
    page.click("#live_cam button[aria-label='capture photo']")  # "Record": the stream starts
    page.wait_for_selector("#live_out img", timeout=120_000)
    page.get_by_role("tab", name="Picture").click()


def test_stop_pressed_in_the_page_while_its_run_is_queued_ends_it_unpainted(server, browser, image_pair):
    """Another visitor's run holds the CPU; this page's Run queues behind it and its Stop takes it
    out: the status says so at once, Stop is not live, and the run never paints."""
    holder = Client(server, verbose=False)
    ahead = long_run(holder)
    poll(lambda: ahead.status().code in (Status.PROCESSING, Status.ITERATING))
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    try:
        page.goto(server)
        loaded(page)
        page.set_input_files("#content input[type=file]", str(image_pair[0]))
        page.set_input_files("#style input[type=file]", str(image_pair[1]))
        wait_status(page, "Ready.")
        page.click("#run")
        wait_status(page, "Queued")
        page.click("#stop")
        wait_status(page, "Stopped")
        assert STOPPED_BEFORE.replace("**", "") in status(page) and not stop_is_live(page)
        holder.predict(api_name="/stop")
        ahead.result(timeout=120)
        # a run queued after this page's: once it is done, this page's run has left the queue
        after = Client(server, verbose=False).predict(*args(EXAMPLES / "chelsea.jpg", EXAMPLES / "the_scream.jpg"),
                                                      api_name="/stylize")
        assert "Done" in after[1]
        assert STOPPED_BEFORE.replace("**", "") in status(page) and not stop_is_live(page)
        assert not page.query_selector("#preview img") and not page.query_selector("#result a")
    finally:
        page.close()
    assert_log_clean(server)
