"""The page's handlers painting on a real Ray cluster, as visitors use them: run inside the test
cluster's network namespace by tests/test_serving.py (a Ray driver must reach the cluster's
loopback), it plays each scenario and prints what the visitors saw as one JSON object.

    python tests/served_runs.py ray://127.0.0.1:PORT PHOTO PAINTING SCENARIO...

Scenarios: two (two visitors at once), steer_stop, reload, clip, kill (a worker killed mid-run).
"""
from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from conftest import drain  # noqa: E402
from nst_core.presets import load_presets  # noqa: E402
from ui.cluster import painter_from_env  # noqa: E402
from ui.files import Files  # noqa: E402
from ui.handlers import Handlers  # noqa: E402
from ui.video import VideoHandlers  # noqa: E402

WARM_S = 600  # both workers load VGG19 and trace the step on one shared core each


def values(photo: str, painting: str, **kw) -> dict:
    """A run's inputs by name, as the page sends them (weights on the log sliders), at a tiny size."""
    base = dict(content=photo, style=painting, preset="default", content_weight=0.0, style_weight=1.3,
                tv_weight=1.0, iterations=60, max_size=64, multiscale=False, run_state={})
    return {**base, **kw}


def watched(outputs, on_preview=None) -> dict:
    """A page watching a run: the time of each live preview, the statuses, the final result's pixels."""
    seen = {"previews": [], "statuses": [], "result": None}
    for out in outputs:
        if "status" in out:
            seen["statuses"].append(out["status"])
        if "result" in out:
            with Image.open(out["result"]) as im:
                seen["result"] = np.asarray(im.convert("RGB")).tolist()
        elif "preview" in out:
            seen["previews"].append(time.time())
            if on_preview:
                on_preview(len(seen["previews"]))
    return seen


def two(h: Handlers, photo: str, painting: str, other: str) -> dict:
    """Two visitors press Run at the same moment, with different paintings."""
    got = {"other": other}

    def visitor(name, style):
        got[name] = watched(drain(h.run(values(photo, style))))

    threads = [threading.Thread(target=visitor, args=(n, s)) for n, s in (("a", painting), ("b", other))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def steer_stop(h: Handlers, photo: str, painting: str) -> dict:
    """A visitor moves the style slider after the 3rd preview and presses Stop after the 8th."""
    v = values(photo, painting, iterations=400)

    def act(n):
        if n == 3:
            h.steer({**v, "style_weight": 3.0})
        elif n == 8:
            h.stop(v)

    return watched(drain(h.run(v)), act)


def reload(h: Handlers, photo: str, painting: str) -> dict:
    """A visitor's page goes after 3 previews; the same browser comes back and finds the run."""
    v = values(photo, painting, iterations=150)
    first = drain(h.run(v))
    before = watched(out for _, out in zip(range(4), first))
    first.close()
    key = v["run_state"]["key"]
    after = watched(drain(h.attach({"browser": key, "run_state": {}})))
    return {"before": before, "after": after}


def kill(h: Handlers, photo: str, painting: str) -> dict:
    """The worker painting a run is killed (SIGKILL) after its 3rd preview."""
    v = values(photo, painting, iterations=200)
    killed = []

    def act(n):
        if n == 3:
            pids = h.painter.painter.pool.pids(busy=True)
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    seen = watched(drain(h.run(v)), act)
    seen["killed"] = killed
    deadline = time.monotonic() + WARM_S
    while h.painter.slots() < 2 and time.monotonic() < deadline:  # Ray restarts it; it warms up again
        time.sleep(0.5)  # polling interval, not synchronisation
    seen["warm_again"] = h.painter.painter.pool.pids()
    return seen


def clip(h: Handlers, photo: str, painting: str) -> dict:
    """A visitor's clip (24 frames panning over the photo) painted on the cluster, then its MP4."""
    import av
    from nst_core import load_image
    sys.path.insert(0, str(ROOT / "tools"))
    from clips import pan_zoom, write_clip

    frames, _, _ = pan_zoom(load_image(photo), (72, 96), 24)
    path = str(write_clip(Path(tempfile.mkdtemp()) / "pan.mp4", frames))
    videos = VideoHandlers(h.files, h.jobs, h.line, h.painter)
    outs = list(drain(videos.run(path, painting, 96, 1.0, 0.7, 0, {})))
    _, status, video = outs[-1]
    with av.open(video) as c:
        decoded = sum(1 for _ in c.decode(video=0))
    return {"status": status, "frames": decoded, "previews": len(outs) - 1}


def main(address: str, photo: str, painting: str, *scenarios: str) -> None:
    other = str(Path(tempfile.mkdtemp()) / "other.png")
    with Image.open(painting) as im:  # the negative: another palette, so each picture shows whose it is
        Image.fromarray(255 - np.asarray(im.convert("RGB"))).save(other)
    painter = painter_from_env({"NST_RAY_ADDRESS": address})
    deadline = time.monotonic() + WARM_S
    while painter.slots() < 2:  # both nodes' workers warm
        assert painter.remote and time.monotonic() < deadline, "the cluster's workers did not warm up"
        time.sleep(0.5)  # polling interval, not synchronisation
    h = Handlers(Files(tempfile.mkdtemp()), load_presets(), painter=painter)
    plays = {"two": lambda: two(h, photo, painting, other), "steer_stop": lambda: steer_stop(h, photo, painting),
             "reload": lambda: reload(h, photo, painting), "kill": lambda: kill(h, photo, painting),
             "clip": lambda: clip(h, photo, painting)}
    out = {}
    for name in scenarios:
        out[name] = plays[name]()
    print(json.dumps(out))


if __name__ == "__main__":
    main(*sys.argv[1:])
