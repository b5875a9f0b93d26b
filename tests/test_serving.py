"""The page's runs on a real two-node Ray cluster (NST_RAY_ADDRESS), as visitors meet them: two
visitors painted at once, each their own picture; Steer and Stop reaching the remote run; a reloaded
page finding it; a clip; a worker killed mid-run; and a cluster that cannot be reached at start."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, start_app, synthetic_painting, synthetic_photo



@pytest.fixture(scope="module")
def cluster():
    from ray_cluster import Cluster, namespace_problem

    if __import__("importlib").util.find_spec("ray") is None:
        pytest.skip("ray is not installed (pip install -r requirements-batch.txt); CI installs it")

    problem = namespace_problem()
    if problem:
        pytest.skip(problem)
    c = Cluster()
    try:
        yield c
    finally:
        c.stop()
    assert not c.workers()  # every process it started is gone


@pytest.fixture(scope="module")
def played(cluster, tmp_path_factory):
    """Every scenario of tests/served_runs.py, played once by the page's handlers on the cluster."""
    d = tmp_path_factory.mktemp("served")
    photo, painting = d / "photo.png", d / "painting.png"
    Image.fromarray(synthetic_photo(48, 64)).save(photo)
    Image.fromarray(synthetic_painting(48, 48)).save(painting)
    r = subprocess.run(cluster.command(sys.executable, "tests/served_runs.py", cluster.client, str(photo),
                                       str(painting), "two", "steer_stop", "reload", "clip", "kill"),
                       cwd=ROOT, env=cluster.env, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-4000:]
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["paintings"] = {"a": painting, "b": out["two"]["other"]}
    return out


def mean_colour(path_or_pixels) -> np.ndarray:
    if isinstance(path_or_pixels, list):
        return np.asarray(path_or_pixels, float).reshape(-1, 3).mean(0)
    with Image.open(path_or_pixels) as im:
        return np.asarray(im.convert("RGB"), float).reshape(-1, 3).mean(0)


def test_two_visitors_are_painted_at_once_each_their_own_picture(played):
    a, b = played["two"]["a"], played["two"]["b"]
    for seen in (a, b):
        assert "Done" in seen["statuses"][-1] and len(seen["previews"]) >= 3, seen["statuses"][-3:]
    # at the same time: each visitor got a preview while the other was still getting theirs
    assert a["previews"][0] < b["previews"][-1] and b["previews"][0] < a["previews"][-1]
    inside = [t for t in b["previews"] if a["previews"][0] < t < a["previews"][-1]]
    assert inside, (a["previews"], b["previews"])
    for mine, theirs in (("a", "b"), ("b", "a")):  # each picture took its own painting's palette
        result = mean_colour(played["two"][mine]["result"])
        own, other = (mean_colour(played["paintings"][k]) for k in (mine, theirs))
        assert np.linalg.norm(result - own) < np.linalg.norm(result - other)


def test_steer_and_stop_reach_the_remote_run(played):
    seen = played["steer_stop"]
    statuses = seen["statuses"]
    assert any("steered at iteration" in s and "style 20 → 1e+03" in s for s in statuses), statuses[-1]
    final = statuses[-1]
    assert final.startswith("**Stopped**") and "/ 400" in final, final
    assert seen["result"] is not None  # the picture so far is kept and downloadable
    assert len(seen["previews"]) < 20  # it ended within an iteration or two of the Stop, far from 400


def test_a_reloaded_page_finds_its_remote_run_live_then_its_picture(played):
    before, after = played["reload"]["before"], played["reload"]["after"]
    assert before["result"] is None and before["previews"]
    assert len(after["previews"]) >= 1 and after["previews"][0] > before["previews"][-1]  # live again
    assert "Done" in after["statuses"][-1] and after["result"] is not None


def test_a_clip_is_painted_on_the_cluster_and_its_video_comes_back(played):
    seen = played["clip"]
    assert "Done" in seen["status"] and "24 frames" in seen["status"], seen["status"]
    assert seen["frames"] == 24 and seen["previews"] >= 1


def test_a_worker_killed_mid_run_and_the_run_goes_on_from_its_last_frame(played):
    seen = played["kill"]
    assert seen["killed"], "no worker was painting"
    final = seen["statuses"][-1]
    assert seen["result"] is not None
    # the other node's worker was free: it carried the run on to its end, and the visitor is told.
    # Its end is 200 or where L-BFGS, restarted from the picture, has nothing left to try (as a local run)
    assert "Done" in final and "another went on" in final, final
    lost = int(re.search(r"a worker of the cluster was lost at iteration (\d+)", final).group(1))
    reached = int(re.search(r"iteration (\d+) / 200", final).group(1))
    assert lost < reached <= 200, final
    # Ray started the killed worker again, and it took its place only once warm (it answers after warming)
    assert len(seen["warm_again"]) == 2 and seen["killed"][0] not in seen["warm_again"]


@pytest.mark.slow  # starts the app
def test_an_unreachable_cluster_is_one_line_and_the_page_paints_here(tmp_path, image_pair):
    """The app started with a cluster nobody listens at: one line says so, and a run is painted here."""
    if __import__("importlib").util.find_spec("ray") is None:
        pytest.skip("ray is not installed (pip install -r requirements-batch.txt); CI installs it")
    from gradio_client import Client, handle_file

    log = tmp_path / "server.log"
    proc, url = start_app({"NST_RAY_ADDRESS": "ray://127.0.0.1:1"}, "--no-warmup", log=log)
    try:
        job = Client(url, verbose=False).submit(content=handle_file(str(image_pair[0])),
                                                style=handle_file(str(image_pair[1])), iterations=2, max_size=64,
                                                multiscale=False, api_name="/stylize")
        status = job.result()[1]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert status.startswith("**Done**"), status
    said = [ln for ln in log.read_text().splitlines() if "NST_RAY_ADDRESS" in ln or "ray" in ln.lower()]
    assert len(said) == 1, said  # the one line, and nothing from Ray besides
    assert said[0].startswith("NST_RAY_ADDRESS=ray://127.0.0.1:1: cannot connect to ray://127.0.0.1:1: ") \
        and said[0].endswith("; painting on this machine instead"), said
