"""A full queue, through gradio_client: 16 visitors wait at once and each sees their place, the
next one hears "queue is full", one who leaves frees their place, and each gets their own picture."""
import colorsys
import time

import numpy as np
from gradio_client import Client, handle_file
from gradio_client.utils import Status
from PIL import Image

from conftest import ROOT

EXAMPLES = ROOT / "examples"
QUEUE = 16  # the app's default queue size (NST_QUEUE_SIZE)
COLOURS = [tuple(round(255 * c) for c in colorsys.hsv_to_rgb(i / QUEUE, 0.9, 0.5 + 0.4 * (i % 2)))
           for i in range(QUEUE)]


def args(photo, painting, iterations=3, size=64, style_weight=-9.0):
    # a light style weight: each result must stay recognisably its own photo's colour
    return (handle_file(str(photo)), handle_file(str(painting)), "default", 0.0, style_weight, 2.0, iterations, size,
            "lbfgs", "gatys")


def poll(condition, timeout: float = 120, what=lambda: ""):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out: {what()}"
        time.sleep(0.1)  # polling interval, not synchronisation


def test_sixteen_wait_with_their_places_the_next_is_turned_away_and_each_gets_their_own_picture(
        app_server, tmp_path):
    painting = tmp_path / "painting.png"
    Image.fromarray(np.random.default_rng(0).integers(100, 156, (48, 48, 3), dtype=np.uint8)).save(painting)
    photos = []
    for i, colour in enumerate(COLOURS):
        photos.append(tmp_path / f"photo{i}.png")
        Image.new("RGB", (64, 48), colour).save(photos[-1])
    holder = Client(app_server, verbose=False)  # a long run (a real pair) holds the CPU while the others queue
    running = holder.submit(*args(EXAMPLES / "chelsea.jpg", EXAMPLES / "the_scream.jpg", iterations=1000, size=96,
                                  style_weight=1.3), api_name="/stylize")
    poll(lambda: running.status().code in (Status.PROCESSING, Status.ITERATING))
    clients = [Client(app_server, verbose=False) for _ in range(QUEUE + 2)]
    waiting = [c.submit(*args(p, painting), api_name="/stylize") for c, p in zip(clients, photos)]
    statuses = lambda: [j.status() for j in waiting]  # noqa: E731
    poll(lambda: all(s.code == Status.IN_QUEUE and s.rank is not None for s in statuses()),
         what=lambda: [(s.code.name, s.rank) for s in statuses()])
    places = sorted(s.rank for s in statuses())
    assert places == list(range(QUEUE)), places  # each sees their own place, 0 (next) to 15

    turned_away = clients[QUEUE].submit(*args(photos[0], painting), api_name="/stylize")
    try:
        turned_away.result(timeout=60)
        raise AssertionError("a 17th visitor was queued")
    except Exception as exc:  # noqa: BLE001 - the client raises its own error type for a refused job
        assert "queue is full" in str(exc).lower(), exc

    waiting[-1].cancel()  # the last in line leaves: their place is free again
    poll(lambda: waiting[-1].status().code in (Status.CANCELLED, Status.FINISHED))
    latecomer = clients[QUEUE + 1].submit(*args(photos[QUEUE - 1], painting), api_name="/stylize")
    poll(lambda: latecomer.status().code == Status.IN_QUEUE)

    # 16 wait again: the line is full, and the visitor painting can still steer and stop their run
    holder.predict(content_weight=0.0, style_weight=1.0, tv_weight=2.0, api_name="/steer")
    holder.predict(api_name="/stop")  # the long run ends; the line moves, one at a time
    assert "Stopped" in running.result(timeout=120)[1]
    served = waiting[:-1] + [latecomer]
    for i, job in enumerate(served):
        out = job.result(timeout=300)
        assert "Done" in out[1]
        mean = np.asarray(Image.open(out[3]).convert("RGB"), float).reshape(-1, 3).mean(0)
        nearest = min(range(QUEUE), key=lambda k: np.abs(mean - COLOURS[k]).sum())
        assert nearest == i, f"visitor {i} received a picture coloured like visitor {nearest}'s photo"
