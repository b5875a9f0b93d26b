"""Many users on one server: separate results, a clear 'busy', and no file outside the app's outputs."""
import json
import threading
import urllib.error
import urllib.request

import numpy as np
from gradio_client import Client, handle_file
from PIL import Image

COLOURS = [(220, 40, 40), (40, 200, 60), (40, 60, 220), (230, 220, 40)]


def test_four_clients_at_once_each_get_their_own_picture(app_server, tmp_path):
    painting = tmp_path / "painting.png"
    Image.fromarray(np.random.default_rng(0).integers(100, 156, (64, 64, 3), dtype=np.uint8)).save(painting)
    results = {}

    def one_user(i: int):
        photo = tmp_path / f"photo{i}.png"
        Image.new("RGB", (80, 60), COLOURS[i]).save(photo)
        client = Client(app_server, verbose=False)
        # a light style weight: each result must stay recognisably its own photo's colour
        out = client.predict(handle_file(str(photo)), handle_file(str(painting)), "default", 0.0, -9.0, 2.0, 3, 64,
                             "lbfgs", "gatys", api_name="/stylize")
        results[i] = np.asarray(Image.open(out[3]).convert("RGB"), float).reshape(-1, 3).mean(0)

    threads = [threading.Thread(target=one_user, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert sorted(results) == [0, 1, 2, 3]
    for i, mean in results.items():
        nearest = min(range(4), key=lambda k: np.abs(mean - COLOURS[k]).sum())
        assert nearest == i, f"user {i} received a picture coloured like user {nearest}'s photo"


def test_files_outside_the_apps_outputs_cannot_be_read(app_server):
    for path in ("/etc/passwd", "../../../../etc/passwd", "app.py"):
        try:
            with urllib.request.urlopen(f"{app_server}gradio_api/file={path}", timeout=10) as r:
                body = r.read()
        except urllib.error.HTTPError as exc:
            assert exc.code in (403, 404)
            continue
        assert b"root:" not in body and b"import gradio" not in body


def test_an_api_caller_cannot_pass_a_server_path_as_an_image(app_server, tmp_path):
    """A real image lying on the server must not be readable by naming its path in an API call."""
    secret = tmp_path / "server-side.png"
    Image.new("RGB", (64, 64), (1, 2, 3)).save(secret)
    f = {"path": str(secret), "meta": {"_type": "gradio.FileData"}}
    # every input of /stylize, so that only the path can be what is refused
    payload = {"data": [f, f, "default", 0, -4.7, 2, 2, 64, "lbfgs", "gatys", None, 0.5, "off", "content", None,
                        1.0, False, 0]}
    req = urllib.request.Request(f"{app_server}gradio_api/call/stylize", data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        event_id = json.loads(r.read())["event_id"]
    with urllib.request.urlopen(f"{app_server}gradio_api/call/stylize/{event_id}", timeout=60) as r:
        stream = r.read().decode()
    assert "event: error" in stream and "event: complete" not in stream
    # the same picture, uploaded by the caller, goes through: only the server path was refused
    out = Client(app_server, verbose=False).predict(handle_file(str(secret)), handle_file(str(secret)), "default",
                                                    0.0, -4.7, 2.0, 2, 64, "lbfgs", "gatys", api_name="/stylize")
    assert "Done" in out[1]


def test_a_full_queue_says_busy_try_again(tmp_path):
    from conftest import start_app

    proc, url = start_app({"NST_QUEUE_SIZE": "1"}, "--no-warmup")
    try:
        photo = tmp_path / "p.png"
        Image.new("RGB", (64, 64), (90, 120, 200)).save(photo)
        client = Client(url, verbose=False)
        jobs = [client.submit(handle_file(str(photo)), handle_file(str(photo)), "default", 0.0, -4.7, 2.0, 200, 64,
                              "lbfgs", "gatys", api_name="/stylize") for _ in range(4)]
        errors = []
        for job in jobs:
            try:
                job.result(timeout=5)
            except Exception as exc:  # the ones turned away, or still running when we stop looking
                errors.append(str(exc))
        assert any("queue is full" in e.lower() for e in errors), errors
    finally:
        proc.terminate()
        proc.wait(timeout=30)
