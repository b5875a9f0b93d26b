"""Shared fixtures: tiny models and images for fast tests, the real images for integration tests."""
from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
# conv="auto" times its candidates once per test session, not once per machine forever in ~/.cache
if "NST_CACHE_DIR" not in os.environ:
    os.environ["NST_CACHE_DIR"] = tempfile.mkdtemp(prefix="nst-cache-")
    atexit.register(shutil.rmtree, os.environ["NST_CACHE_DIR"], True)  # one a session, not one left per run
# Gradio's files (uploads, results) in a folder of this session's own: tests that count the results their
# server made must not count those of another suite's servers on the same machine (CI's, a colleague's)
if "GRADIO_TEMP_DIR" not in os.environ:
    os.environ["GRADIO_TEMP_DIR"] = tempfile.mkdtemp(prefix="nst-gradio-")
    atexit.register(shutil.rmtree, os.environ["GRADIO_TEMP_DIR"], True)
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SHARED_IMAGES = SHARED / "images"
SHARED_H5 = SHARED / "weights" / "vgg19_notop.h5"


def synthetic_photo(h: int = 96, w: int = 128) -> np.ndarray:
    """A made-up 'photo': sky gradient, a dark block of 'buildings', a bright disc."""
    y, x = np.mgrid[0:h, 0:w] / np.array([h, w])[:, None, None]
    img = np.stack([80 + 100 * y, 120 + 80 * y, 230 - 60 * y], axis=-1)
    img[int(h * 0.55):, :] = (60, 90, 50)
    img[int(h * 0.3):int(h * 0.7), int(w * 0.2):int(w * 0.45)] = (150, 70, 40)
    img[(y - 0.25) ** 2 + (x - 0.75) ** 2 < 0.01] = (250, 240, 120)
    return img.astype(np.uint8)


def synthetic_painting(h: int = 96, w: int = 96) -> np.ndarray:
    """A made-up 'painting': strong diagonal strokes in two colours."""
    y, x = np.mgrid[0:h, 0:w]
    stripes = ((x + y) // 6) % 2
    return np.where(stripes[..., None] == 1, (30, 60, 160), (240, 200, 40)).astype(np.uint8)


def synthetic_swirls(h: int = 256, w: int = 256) -> np.ndarray:
    """A made-up colourful 'painting' (stand-in for The Starry Night): waves of different orientation
    and period in each channel plus seeded grain, so its colours span all three dimensions."""
    y, x = np.mgrid[0:h, 0:w] / 16.0
    r = 128 + 110 * np.sin(x + 2 * np.sin(y / 2))
    g = 128 + 90 * np.sin(0.7 * y - x / 3)
    b = 150 + 100 * np.cos(0.5 * (x + y) + np.sin(x / 3))
    grain = np.random.default_rng(0).normal(0, 12, (h, w, 3))
    return np.clip(np.stack([r, g, b], -1) + grain, 0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def image_pair(tmp_path_factory) -> tuple[Path, Path]:
    """(content, style) files: Tübingen and The Starry Night when ../shared is there, else made here."""
    if (SHARED_IMAGES / "tubingen.jpg").exists():
        return SHARED_IMAGES / "tubingen.jpg", SHARED_IMAGES / "starry_night.jpg"
    d = tmp_path_factory.mktemp("pair")
    Image.fromarray(synthetic_photo(384, 512)).save(d / "photo.png")
    Image.fromarray(synthetic_swirls(256, 256)).save(d / "painting.png")
    return d / "photo.png", d / "painting.png"


@pytest.fixture(scope="session")
def tiny_extractor():
    """A two-layer stand-in for VGG19, named like VGG19's layers: fast, for unit tests of the loop."""
    from nst_core.vgg.features import tf

    rng = np.random.default_rng(0)
    k1 = tf.constant(rng.normal(0, 0.1, (3, 3, 3, 8)), tf.float32)
    k2 = tf.constant(rng.normal(0, 0.1, (3, 3, 8, 16)), tf.float32)

    def extract(x):  # [1, H, W, 3] preprocessed -> {layer: [1, h, w, C]}
        a = tf.nn.relu(tf.nn.conv2d(x, k1, 1, "SAME"))
        b = tf.nn.relu(tf.nn.conv2d(tf.nn.avg_pool2d(a, 2, 2, "VALID"), k2, 1, "SAME"))
        return {"block1_conv1": a, "block2_conv1": b}

    return extract


TINY_LAYERS = {"content_layers": ("block2_conv1",), "style_layers": ("block1_conv1", "block2_conv1")}


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def tiny_hub_model(tmp_path_factory) -> str:
    """A SavedModel called like the Magenta model: (content [N,H,W,3], style [1,256,256,3]) -> [out].
    Its 'stylisation' paints the content with the style's mean colour, half and half."""
    from nst_core.vgg.features import tf

    class Tiny(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, None, None, 3], tf.float32),
                                      tf.TensorSpec([None, None, None, 3], tf.float32)])
        def __call__(self, content, style):
            return [0.5 * content + 0.5 * tf.reduce_mean(style, axis=[1, 2], keepdims=True)]

    path = tmp_path_factory.mktemp("hub") / "tiny"
    tf.saved_model.save(Tiny(), str(path))
    return str(path)


@pytest.fixture(scope="session")
def hub_model(tiny_hub_model) -> str:
    """The shared Magenta stand-in when it is beside the checkout, else the tiny one."""
    real = SHARED / "hub" / "magenta_arbitrary_lite"
    return str(real) if real.exists() else tiny_hub_model


class AppServer(str):
    """The server's URL (a str) that also knows the server's process id."""

    def __new__(cls, url: str, pid: int):
        obj = super().__new__(cls, url)
        obj.pid = pid
        return obj


def start_app(extra_env: dict, *args: str, log: Path | None = None):
    """Start `python app.py` on a free port; return (process, url) once it answers. ``log``: a file
    for the server's output (its log), to be read by the test."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", **extra_env}
    # a file, never a pipe nobody reads: once a pipe's 64 kB filled, the server's next log line would
    # block the thread writing it (a handler hung mid-event, its component spinning for good)
    out = open(log, "w") if log is not None else tempfile.TemporaryFile("w+")
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args], cwd=ROOT, env=env,
                            stdout=out, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:  # poll until the server answers (or died), not a fixed sleep
        if proc.poll() is not None:
            out.flush()
            out.seek(0)
            raise RuntimeError(f"app.py exited early:\n{out.read() if log is None else log.read_text()}")
        try:
            with urllib.request.urlopen(url + "config", timeout=2) as r:
                if r.status == 200:
                    return proc, AppServer(url, proc.pid)
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.2)  # polling interval, not synchronisation


DETACHED_GRACE_S = 12  # the test server's: a run with nobody watching stops this soon (default 10 min)


@pytest.fixture(scope="session")
def app_server(hub_model):
    """`python app.py` on a free port, as a user starts it; yields its URL once it answers."""
    proc, url = start_app({"NST_HUB_MODEL": hub_model, "NST_DETACHED_GRACE_S": str(DETACHED_GRACE_S)})
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def drain(agen):
    """An async generator's items in order, driven from a synchronous test (the app's run handlers
    are async generators: they watch a run's job)."""
    import asyncio

    loop = asyncio.new_event_loop()
    try:
        while True:
            try:
                yield loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(agen.aclose())
        loop.close()


# Markers by what a test needs, so that `-m "not slow"` leaves out whatever starts a server, a browser
# or a Ray cluster (the fixtures below) and the modules that run the real weights at size.
SERVER_FIXTURES = {"app_server", "server", "hostile", "plain_server", "live_server", "logged_server"}
BROWSER_FIXTURES = {"page", "browser"}
CLUSTER_FIXTURES = {"cluster"}
SLOW_MODULES = {"test_real_vgg19", "test_quality", "test_many_users", "test_deploy", "test_cli"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        module = item.module.__name__.rsplit(".", 1)[-1]
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if used & CLUSTER_FIXTURES:
            item.add_marker(pytest.mark.cluster)
        if used & (SERVER_FIXTURES | BROWSER_FIXTURES | CLUSTER_FIXTURES) or module in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
