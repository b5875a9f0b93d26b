"""The Video and Webcam tabs in a real headless Chromium: a MOV in, a playable MP4 out; a fake camera's frames
come back stylised (the rate is printed, not asserted: benchmarks/webcam.py measures it)."""
import os
import sys
import time

import pytest

from conftest import ROOT, start_app
from test_browser_picture import CHROMIUM, FLAGS

sys.path.insert(0, str(ROOT / "tools"))
COUNT_FRAMES = """() => { window.liveFrames = []; const seen = new Set();
  new MutationObserver(() => { const i = document.querySelector('#live_out img');
    if (i && i.src && !seen.has(i.src)) { seen.add(i.src); window.liveFrames.push(performance.now()); } })
  .observe(document.querySelector('#live_out'), {subtree: true, childList: true, attributes: true}); }"""


def write_y4m(path, frames) -> None:
    """A camera's picture for Chromium's fake capture: YUV4MPEG2, 4:2:0, 15 frames/s (it loops)."""
    import cv2

    h, w = frames[0].shape[:2]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F15:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())


@pytest.fixture(scope="module")
def live_server():
    proc, url = start_app({"NST_HUB_MODEL": "embedded"}, "--no-warmup")
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def test_the_webcam_comes_back_stylised_frame_after_frame(live_server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from clips import pan_zoom

    from nst_core import load_image

    frames, _, _ = pan_zoom(load_image(ROOT / "examples" / "astronaut.jpg"), (240, 320), 30)
    cam = tmp_path / "camera.y4m"
    write_y4m(cam, frames)
    flags = [*FLAGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             f"--use-file-for-fake-video-capture={cam}"]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=flags)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(live_server)
        page.get_by_role("tab", name="Webcam").click()
        page.set_input_files("#live_style input[type=file]", str(ROOT / "examples" / "starry_night.jpg"))
        page.wait_for_selector("#live_style img")
        page.click("#live_cam div[title='grant webcam access'] button")
        # Record only once the camera plays: a click before its first picture starts no stream
        page.wait_for_function("() => { const v = document.querySelector('#live_cam video');"
                               " return v && v.readyState >= 2 && v.videoWidth > 0; }", timeout=60_000)
        page.click("#live_cam button[aria-label='capture photo']")  # "Record": the stream starts
        page.evaluate(COUNT_FRAMES)
        page.wait_for_function("() => window.liveFrames.length >= 5", timeout=120_000)  # warmed up
        start = page.evaluate("() => window.liveFrames.length")
        t0 = time.monotonic()
        # the stream keeps coming: ten more stylised frames (the rate is a figure to print, not to assert:
        # it depends on what else the machine does)
        page.wait_for_function("n => window.liveFrames.length >= n + 10", arg=start, timeout=120_000)
        fps = (page.evaluate("() => window.liveFrames.length") - start) / (time.monotonic() - t0)
        page.screenshot(path=str(tmp_path / "live.png"))
        shown = page.wait_for_function(  # a loaded picture: the newest may still be on its way
            "() => { const i = document.querySelector('#live_out img');"
            " return i && i.complete && i.naturalWidth ? [i.naturalWidth, i.naturalHeight] : null; }",
            timeout=30_000).json_value()
        browser.close()
    print(f"live: {fps:.1f} stylised frames/s received")
    assert max(shown) == 256  # the webcam's picture, stylised at 256 px


def test_a_clip_dropped_on_the_video_tab_comes_back_as_a_playable_mp4(live_server, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from clips import pan_zoom, write_clip

    from nst_core import load_image

    frames, _, _ = pan_zoom(load_image(ROOT / "examples" / "chelsea.jpg"), (144, 256), 24)
    clip = write_clip(tmp_path / "cat.mov", frames)  # MPEG-4 + PCM: a MOV the browser could not play itself
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(live_server)
        page.get_by_role("tab", name="Video").click()
        page.set_input_files("#video_in input[type=file]", str(clip))
        page.set_input_files("#video_style input[type=file]", str(ROOT / "examples" / "the_scream.jpg"))
        page.wait_for_selector("#video_style img")
        page.click("#video_run")
        page.wait_for_function("() => document.querySelector('#video_status').innerText.includes('Done')",
                               timeout=180_000)
        page.wait_for_function("() => { const v = document.querySelector('#video_out video');"
                               " return v && v.readyState >= 1; }", timeout=60_000)  # the browser decoded it
        duration, width, height = page.eval_on_selector("#video_out video",
                                                        "v => [v.duration, v.videoWidth, v.videoHeight]")
        status = page.inner_text("#video_status")
        browser.close()
    assert (width, height) == (256, 144) and abs(duration - 1.0) < 0.1  # 24 frames at 24 fps
    assert "24 frames" in status
