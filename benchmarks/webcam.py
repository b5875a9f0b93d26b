"""Webcam: stylised frames per second of the Live tab at 256 px, the handler alone and through a served page.

    python benchmarks/webcam.py [--seconds 30] [--port 7898] [--only handler|browser]

Three figures, each with the CPU seconds it took and the machine's load beside it (the machine is shared):

* handler: nst_core.video.live.LiveStylizer in this process on 320x240 camera-sized frames of a slow pan (the
  capture size the Live tab asks for), split into the model's and the smoothing's share;
* browser: the Live tab of a freshly started ``python app.py`` in headless Chromium with a fake camera
  playing the same pan (as tests/test_browser_video_and_webcam.py does), counting the stylised pictures the page
  shows per second; the browser's CPU seconds are counted apart from the server's (both share the two
  cores). (gradio_client cannot drive a streaming event: it does not know the server's
  'process_streaming' message, so the served figure is the browser's.)

The goal (issue 27) is at least 5 frames/s at 256 px on two cores.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import ROOT, emit, machine, start_app

sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "tests"))
STYLE = ROOT / "examples" / "starry_night.jpg"
CAMERA = (240, 320)  # what the Live tab asks the browser's camera for


def camera_frames(n: int = 30) -> list[np.ndarray]:
    from clips import pan_zoom

    from nst_core import load_image

    return pan_zoom(load_image(ROOT / "examples" / "astronaut.jpg"), CAMERA, n)[0]


def load() -> float:
    return round(os.getloadavg()[0], 2)


def own_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def handler(seconds: float) -> dict:
    """LiveStylizer frame after frame for ``seconds``; the model's and the smoothing's share timed apart."""
    from nst_core.video.live import LiveStylizer

    frames = camera_frames()
    live = LiveStylizer(STYLE)
    model, smooth = live.stylise, live.smoother.smooth
    spent = {"model": 0.0, "smoothing": 0.0}

    def timed(name, fn):
        def call(*args):
            t = time.perf_counter()
            out = fn(*args)
            spent[name] += time.perf_counter() - t
            return out
        return call

    for f in frames[:5]:  # warm: the first calls build the model's graph for this size
        live(f)
    live.stylise, live.smoother.smooth = timed("model", model), timed("smoothing", smooth)
    n, load0, cpu0, t0 = 0, load(), own_cpu(), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        live(frames[n % len(frames)])
        n += 1
    wall, cpu = time.perf_counter() - t0, own_cpu() - cpu0
    return {"frames": n, "frames_per_s": round(n / wall, 2), "ms_per_frame": round(1000 * wall / n, 1),
            "model_ms": round(1000 * spent["model"] / n, 1), "smoothing_ms": round(1000 * spent["smoothing"] / n, 1),
            "cpu_s_per_frame": round(cpu / n, 3), "cpu_s": round(cpu, 1), "wall_s": round(wall, 1),
            "load_before": load0, "load_after": load()}


def browser(url: str, server_pid: int, seconds: float) -> dict:
    """The Live tab in Chromium with a fake camera: stylised pictures shown per second."""
    from latency_browser import cpu_seconds
    from playwright.sync_api import sync_playwright
    from test_browser_picture import CHROMIUM, FLAGS
    from test_browser_video_and_webcam import COUNT_FRAMES, write_y4m

    cam = Path(tempfile.mkdtemp(prefix="nst-webcam-")) / "camera.y4m"
    write_y4m(cam, camera_frames())
    flags = [*FLAGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             f"--use-file-for-fake-video-capture={cam}"]
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=flags)
        page = b.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(url)
        page.get_by_role("tab", name="Live").click()
        page.set_input_files("#live_style input[type=file]", str(STYLE))
        page.wait_for_selector("#live_style img")
        page.click("#live_cam div[title='grant webcam access'] button")
        page.click("#live_cam button[aria-label='capture photo']")
        page.evaluate(COUNT_FRAMES)
        page.wait_for_function("() => window.liveFrames.length >= 10", timeout=180_000)  # warmed up
        start = page.evaluate("() => window.liveFrames.length")
        load0, server0, browser0 = load(), proc_cpu(server_pid), cpu_seconds(os.getpid(), server_pid)
        t0 = time.monotonic()
        page.wait_for_timeout(seconds * 1000)  # a fixed window to count in: this is the measurement
        n = page.evaluate("() => window.liveFrames.length") - start
        wall = time.monotonic() - t0
        server, brows = proc_cpu(server_pid) - server0, cpu_seconds(os.getpid(), server_pid) - browser0
        b.close()
    return {"frames": n, "frames_per_s": round(n / wall, 2), "wall_s": round(wall, 1),
            "server_cpu_s": round(server, 1), "browser_cpu_s": round(brows, 1),
            "load_before": load0, "load_after": load()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--port", type=int, default=7898)
    ap.add_argument("--only", choices=("handler", "browser"), help="one figure alone")
    args = ap.parse_args()
    emit(kind="machine", **machine(), load=load())
    if args.only in (None, "handler"):
        emit(kind="handler", size=256, **handler(args.seconds))
    if args.only == "handler":
        return
    proc, url = start_app(args.port, "--no-warmup",
                          env={"NST_HUB_MODEL": "embedded", "GRADIO_ANALYTICS_ENABLED": "False"})
    try:
        emit(kind="browser", size=256, **browser(url, proc.pid, args.seconds))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
