"""Batches of photos x paintings as a user meets them: the files written, their recipes, resuming, a bad
file reported while the rest are done; and on a real two-node Ray cluster, pictures identical to a
single run, a killed worker's picture retried, Ctrl-C keeping what is done."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ROOT, synthetic_painting, synthetic_photo
from nst_core import Settings, batch, stylize
from nst_core.batches.pairs import BatchError, Pair, check_pairs, cross_pairs, read_manifest

TINY = {"max_size": 48, "iterations": 3, "multiscale": False, "conv": "winograd", "preview_every": 100}
TINY_ARGS = ["--size", "48", "--iterations", "3", "--no-multiscale", "--conv", "winograd", "--preview-every", "100"]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """Two photos, two paintings, a file that is no image, and a photo too small to paint."""
    d = tmp_path_factory.mktemp("batch-in")
    out = {"city": synthetic_photo(48, 64), "hill": np.ascontiguousarray(synthetic_photo(64, 48)[::-1]),
           "stripes": synthetic_painting(48, 48), "waves": np.ascontiguousarray(synthetic_painting(40, 56)[:, ::-1]),
           "tiny": synthetic_photo(20, 20)}
    paths = {}
    for name, image in out.items():
        paths[name] = d / f"{name}.png"
        Image.fromarray(image).save(paths[name])
    paths["broken"] = d / "broken.jpg"
    paths["broken"].write_bytes(b"not a picture at all")
    return paths


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def recipe(path: Path) -> dict:
    with Image.open(path) as im:
        return json.loads(im.text["nst-recipe"])


def single_run(photo: Path, painting: Path, settings: Settings) -> np.ndarray:
    """The picture one plain stylize() gives, in this process: what every batch output must equal."""
    frames = list(stylize(photo, painting, settings))
    return frames[-1].image


def test_pairs_are_named_photo__painting_and_manifests_read_relative_paths(tmp_path):
    pairs = cross_pairs(["a/city.jpg", "hill.png"], ["starry.jpg"])
    assert [p.name for p in pairs] == ["city__starry.png", "hill__starry.png"]
    (tmp_path / "pairs.csv").write_text("photo,painting\ncity.jpg, starry.jpg\n")
    (tmp_path / "pairs.json").write_text(json.dumps([["city.jpg", "starry.jpg"],
                                                     {"photo": "hill.png", "painting": "scream.png"}]))
    assert read_manifest(tmp_path / "pairs.csv") == [Pair(tmp_path / "city.jpg", tmp_path / "starry.jpg")]
    assert [p.name for p in read_manifest(tmp_path / "pairs.json")] == ["city__starry.png", "hill__scream.png"]
    (tmp_path / "bad.csv").write_text("image,style\nx.jpg,y.jpg\n")
    with pytest.raises(BatchError, match="bad.csv: cannot read it.*'photo,painting' header"):
        read_manifest(tmp_path / "bad.csv")
    with pytest.raises(BatchError, match="would both write city__starry.png: rename one"):
        check_pairs(cross_pairs(["a/city.jpg", "b/city.png"], ["starry.jpg"]))


def test_a_batch_in_process_writes_every_pair_with_its_recipe_and_resumes(files, tmp_path):
    settings = Settings(**TINY)
    out = tmp_path / "out"
    photos = [files["city"], files["broken"], files["hill"]]
    report = batch(photos, [files["stripes"]], out, settings, use_ray=False)
    status = {o.pair.name: o.status for o in report.outcomes}
    assert status == {"city__stripes.png": "done", "broken__stripes.png": "failed", "hill__stripes.png": "done"}
    failed = report.outcomes[1]
    assert "broken.jpg is not an image" in failed.message and failed.attempts == 0  # no task started for it
    assert sorted(p.name for p in out.iterdir()) == ["city__stripes.png", "hill__stripes.png"]  # no .part left
    for photo in (files["city"], files["hill"]):
        made = out / f"{photo.stem}__stripes.png"
        assert np.array_equal(pixels(made), single_run(photo, files["stripes"], settings))
        data = recipe(made)
        assert data["settings"] == settings.to_dict() and data["batch"]["photo"] == photo.name

    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = batch(photos, [files["stripes"]], out, settings, use_ray=False)
    assert [o.status for o in again.outcomes] == ["skipped", "failed", "skipped"]
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before  # nothing painted twice

    changed = batch(photos, [files["stripes"]], out, settings.replace(iterations=4), use_ray=False)
    assert [o.status for o in changed.outcomes] == ["done", "failed", "done"]  # another recipe: painted again
    assert recipe(out / "city__stripes.png")["settings"]["iterations"] == 4


def test_a_changed_photo_is_painted_again_and_a_half_written_file_never_counts(files, tmp_path):
    settings = Settings(**TINY)
    photo = tmp_path / "city.png"
    photo.write_bytes(files["city"].read_bytes())
    out = tmp_path / "out"
    batch([photo], [files["stripes"]], out, settings, use_ray=False)
    Image.fromarray(synthetic_photo(48, 64)[:, ::-1].copy()).save(photo)  # same name, another picture
    assert batch([photo], [files["stripes"]], out, settings, use_ray=False).outcomes[0].status == "done"
    (out / "city__stripes.png").write_bytes((out / "city__stripes.png").read_bytes()[:200])  # cut short
    assert batch([photo], [files["stripes"]], out, settings, use_ray=False).outcomes[0].status == "done"
    assert np.array_equal(pixels(out / "city__stripes.png"), single_run(photo, files["stripes"], settings))


def test_a_picture_that_cannot_be_written_fails_alone(files, tmp_path):
    out = tmp_path / "out"
    (out / "city__stripes.png").mkdir(parents=True)  # in the way: the PNG cannot take its name
    report = batch([files["city"], files["hill"]], [files["stripes"]], out, Settings(**TINY), use_ray=False)
    city, hill = report.outcomes
    assert city.status == "failed" and "cannot write" in city.message and "city__stripes.png" in city.message
    assert hill.status == "done" and (out / "hill__stripes.png").is_file()
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


def run_cli(*args, env=None, prefix=(), timeout=600):
    return subprocess.run([*prefix, sys.executable, "-m", "nst_core", "batch", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=env)


def test_without_ray_the_cli_says_how_to_install_it_in_one_line(files, tmp_path):
    code = ("import sys; sys.modules['ray'] = None\n"  # as if ray were not installed
            "from nst_core.cli.dispatch import main; sys.exit(main(sys.argv[1:]))")
    r = subprocess.run([sys.executable, "-c", code, "batch", files["city"], "--styles", files["stripes"],
                        "-o", tmp_path / "out", *TINY_ARGS], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 2
    last = r.stderr.strip().splitlines()[-1]
    assert last == ("error: Ray is not installed: pip install -r requirements-batch.txt "
                    "(or run with --in-process)"), r.stderr


@pytest.mark.parametrize("args, words", [
    (["{city}", "-o", "{out}"], "give PHOTOS and --styles PAINTINGS"),
    (["{city}", "--styles", "{stripes}", "--manifest", "m.csv", "-o", "{out}"], "either PHOTOS with --styles, or --manifest"),
    (["{city}", "--styles", "{stripes}", "-o", "{out}", "--init", "image"], "init='image' needs one initial image"),
    (["{city}", "--styles", "{stripes}", "-o", "{out}", "--cpus-per-task", "0"], "--cpus-per-task"),
])
def test_cli_mistakes_are_one_line_with_the_fix(files, tmp_path, args, words):
    r = run_cli(*(a.format(**files, out=tmp_path / "o") for a in args))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and words in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()


class RefusingRay:
    """Stands in for the ``ray`` module: its ray:// init is refused by the cluster ``refusals`` times,
    the way Ray's client reports a failed server-side ray.init (reason on the second line)."""

    def __init__(self, refusals: int) -> None:
        self.refusals, self.calls = refusals, 0

    def is_initialized(self) -> bool:
        return False

    def init(self, address=None, **_) -> None:
        self.calls += 1
        if self.calls <= self.refusals:
            raise ConnectionAbortedError("Initialization failure from server:\n"
                                         "Call to `ray.init()` on the server failed with: GCS busy")


def test_a_cluster_that_refuses_a_connection_once_still_takes_the_batch(monkeypatch):
    from nst_core.batches import ray_runner as ray_batch

    monkeypatch.setattr(ray_batch.time, "sleep", lambda s: None)  # the pause before trying again
    ray = RefusingRay(refusals=1)
    assert ray_batch.connect(ray, "ray://head:10001", 1, None, Settings()) is True and ray.calls == 2


def test_a_cluster_that_keeps_refusing_says_why_in_one_line(monkeypatch):
    from nst_core.batches import ray_runner as ray_batch

    monkeypatch.setattr(ray_batch.time, "sleep", lambda s: None)
    ray = RefusingRay(refusals=99)
    with pytest.raises(BatchError) as err:
        ray_batch.connect(ray, "ray://head:10001", 1, None, Settings())
    assert ray.calls == ray_batch.INIT_TRIES
    assert "\n" not in str(err.value) and "server failed with: GCS busy" in str(err.value), err.value


class InProcessRay:
    """Stands in for a connected ``ray`` module: a task runs when it is submitted (its picture is the
    pair's name as bytes, no TensorFlow), and ``crash`` maps a photo's name to the exceptions its
    first attempts raise in ``ray.get``, the way Ray reports a dead worker or a task's own error."""

    def __init__(self, crash: dict[str, list[BaseException]], interrupt_after: int | None = None) -> None:
        self.crash, self.interrupt_after, self.results, self.cancelled = crash, interrupt_after, {}, []
        self.waits = 0

    def is_initialized(self) -> bool:
        return True  # the caller's own Ray: used as it is, never shut down here

    def remote(self, fn):
        ray = self

        class Task:
            def options(self, **_):
                return self

            def remote(self, photo, painting, settings, extra):
                ref = object()
                crashes = ray.crash.get(extra["batch"]["photo"], [])
                ray.results[ref] = crashes.pop(0) if crashes else (f"{photo}+{painting}".encode(), "", 0.5)
                return ref

        return Task()

    def put(self, data: bytes) -> str:
        return data.decode()

    def cluster_resources(self) -> dict:
        return {"CPU": 2}

    def wait(self, refs, num_returns, timeout):
        self.waits += 1
        if self.interrupt_after is not None and self.waits > self.interrupt_after:
            raise KeyboardInterrupt
        return refs[:num_returns], refs[num_returns:]

    def get(self, ref):
        result = self.results.pop(ref)
        if isinstance(result, BaseException):
            raise result
        return result

    def cancel(self, ref, force=False) -> None:
        self.cancelled.append(ref)


class TaskError(Exception):
    """Like Ray's RayTaskError: the task's own exception in ``cause``."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(f"task failed: {cause}")
        self.cause = cause


def run_on_fake_ray(monkeypatch, tmp_path, ray, retries=1):
    from nst_core.batches import ray_runner

    monkeypatch.setattr(ray_runner, "require_ray", lambda local: ray)
    names = ["a", "b", "c"]
    for n in [*names, "p"]:
        (tmp_path / f"{n}.png").write_text(n)
    todo = [(Pair(tmp_path / f"{n}.png", tmp_path / "p.png"), {"batch": {"photo": f"{n}.png"}}) for n in names]
    seen = []
    outcomes, stopped = ray_runner.run_on_ray(todo, Settings(), tmp_path, retries=retries, on_outcome=seen.append)
    assert outcomes == seen
    return {o.pair.photo.stem: o for o in outcomes}, stopped


def test_on_ray_a_crashed_task_is_retried_and_a_bad_input_is_not(monkeypatch, tmp_path):
    from nst_core.errors import ImageError

    ray = InProcessRay({"a.png": [RuntimeError("the worker died\nmore")],
                        "b.png": [TaskError(ImageError("photo b.png is too small"))],
                        "c.png": [RuntimeError("died"), RuntimeError("died again")]})
    outcomes, stopped = run_on_fake_ray(monkeypatch, tmp_path, ray)
    a, b, c = outcomes["a"], outcomes["b"], outcomes["c"]
    assert not stopped
    assert (a.status, a.attempts, a.errors) == ("done", 2, ("RuntimeError: the worker died",))
    assert (tmp_path / "a__p.png").read_text() == "a+p"  # each file's bytes reached the retried task
    assert (b.status, b.message, b.attempts) == ("failed", "photo b.png is too small", 1)
    assert (c.status, c.attempts, c.errors) == ("failed", 2, ("RuntimeError: died", "RuntimeError: died again"))
    assert not (tmp_path / "b__p.png").exists() and not (tmp_path / "c__p.png").exists()


def test_on_ray_ctrl_c_cancels_the_tasks_in_flight_and_keeps_what_is_written(monkeypatch, tmp_path):
    ray = InProcessRay({}, interrupt_after=1)
    outcomes, stopped = run_on_fake_ray(monkeypatch, tmp_path, ray)
    assert stopped and list(outcomes) == ["a"] and (tmp_path / "a__p.png").is_file()
    assert len(ray.cancelled) == 2  # b and c were in flight (the window holds 4 here)


# --- on a real Ray cluster -------------------------------------------------------------------------

ray_missing = pytest.mark.skipif(
    __import__("importlib").util.find_spec("ray") is None,
    reason="ray is not installed (pip install -r requirements-batch.txt); CI installs it")


@pytest.fixture(scope="module")
def cluster():
    from ray_cluster import Cluster, namespace_problem

    problem = namespace_problem()
    if problem:
        pytest.skip(problem)
    c = Cluster()
    try:
        yield c
    finally:
        c.stop()
    assert not c.workers()  # every process it started is gone


def cli_on(cluster, *args, env_extra=None, **kw):
    return run_cli(*args, env={**cluster.env, **(env_extra or {})}, prefix=cluster.command(), **kw)


@ray_missing
def test_on_ray_every_picture_equals_a_single_run_and_bad_files_are_reported(cluster, files, tmp_path):
    out = tmp_path / "out"
    photos = [files["city"], files["broken"], files["tiny"], files["hill"]]
    r = cli_on(cluster, *photos, "--styles", files["stripes"], files["waves"], "-o", out,
               "--address", cluster.client, *TINY_ARGS)
    assert r.returncode == 1, r.stderr  # some failed; the others are written
    settings = Settings(**TINY)
    for photo in (files["city"], files["hill"]):
        for painting in (files["stripes"], files["waves"]):
            made = out / f"{photo.stem}__{painting.stem}.png"
            assert np.array_equal(pixels(made), single_run(photo, painting, settings)), made.name
            assert recipe(made)["settings"] == settings.to_dict()
    assert len(list(out.iterdir())) == 4
    lines = r.stderr.splitlines()
    assert "FAILED   broken.jpg + stripes.png: content image broken.jpg is not an image" in "\n".join(lines)
    # tiny.png decodes here but is too small to paint: its task fails on a worker, said once, not retried
    tiny = [ln for ln in lines if ln.startswith("FAILED   tiny.png + waves.png")]
    assert len(tiny) == 1 and "only 20x20 px" in tiny[0] and "attempts" not in tiny[0], r.stderr
    assert lines[-1].startswith("8 pictures: 4 done, 0 skipped, 4 failed in "), r.stderr

    # run again without the too-small photo: nothing is left to paint, so no Ray is even reached
    again = cli_on(cluster, *photos[:2], photos[3], "--styles", files["stripes"], files["waves"], "-o", out,
                   "--address", "ray://127.0.0.1:1", *TINY_ARGS)
    assert again.returncode == 1 and "6 pictures: 0 done, 4 skipped, 2 failed" in again.stderr, again.stderr


def _wait_until_idle(cluster, deadline: float) -> None:
    """Until no worker of an earlier test's batch is left holding TensorFlow (Ray ends them after their job)."""
    from ray_cluster import rss_mb

    while any(rss_mb(pid) > 400 for pid in cluster.workers()):
        assert time.monotonic() < deadline, "an earlier batch's workers did not end"
        time.sleep(0.2)  # polling interval, not synchronisation


def _kill_first_busy_worker(cluster, proc, deadline: float) -> int:
    """Wait until a worker of the cluster is painting (TensorFlow loaded: hundreds of MB), then SIGKILL it."""
    from ray_cluster import rss_mb

    while time.monotonic() < deadline and proc.poll() is None:
        busy = [pid for pid in cluster.workers() if rss_mb(pid) > 400]
        if busy:
            os.kill(busy[0], signal.SIGKILL)
            return busy[0]
        time.sleep(0.1)  # polling interval, not synchronisation
    raise AssertionError(f"no worker got busy (batch exited: {proc.poll()})")


@ray_missing
def test_a_killed_worker_is_retried_and_the_batch_completes(cluster, files, tmp_path):
    out = tmp_path / "out"
    _wait_until_idle(cluster, time.monotonic() + 120)
    # RAY_ADDRESS, the cluster's own address (a driver on a node), instead of --address ray://
    proc = subprocess.Popen([*cluster.command(), sys.executable, "-m", "nst_core", "batch", files["city"],
                             files["hill"], "--styles", files["stripes"], files["waves"], "-o", out, *TINY_ARGS],
                            cwd=ROOT, env={**cluster.env, "RAY_ADDRESS": cluster.address},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _kill_first_busy_worker(cluster, proc, time.monotonic() + 300)
        _, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["city__stripes.png", "city__waves.png",
                                                     "hill__stripes.png", "hill__waves.png"]
    retried = [ln for ln in err.splitlines() if "after 1 failed attempt(s)" in ln]
    assert len(retried) == 1 and retried[0].startswith("done ") and "Worker" in retried[0], err
    assert "4 pictures: 4 done" in err


@ray_missing
def test_ctrl_c_stops_the_batch_and_keeps_the_finished_pictures(cluster, files, tmp_path):
    out = tmp_path / "out"
    photos = [files["city"], files["hill"]]
    paintings = [files["stripes"], files["waves"]]
    # long enough that pictures are still running when the first is written
    slow = ["--size", "64", "--iterations", "200", "--no-multiscale", "--conv", "winograd"]
    # A process started in the background by a non-interactive shell (nohup ... &) ignores SIGINT, and
    # an ignored signal stays ignored across exec: the batch would never see the Ctrl-C and paint all
    # four. A handler here is reset to the default in the child, as a terminal's foreground job has it.
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        proc = subprocess.Popen([*cluster.command(), sys.executable, "-m", "nst_core", "batch", *photos, "--styles",
                                 *paintings, "-o", out, "--address", cluster.client, *slow],
                                cwd=ROOT, env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, old)
    try:
        deadline = time.monotonic() + 400
        while not (out.exists() and any(p.suffix == ".png" for p in out.iterdir())):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.poll() else "slow"
            time.sleep(0.1)  # polling interval, not synchronisation
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "stopped by Ctrl-C: run the same command again to go on" in err
    written = sorted(out.iterdir())
    assert 1 <= len(written) < 4 and all(p.suffix == ".png" for p in written), written  # no half-written file
    for p in written:
        assert recipe(p)["settings"]["iterations"] == 200 and "stopped_at" not in recipe(p)


def test_importing_the_batch_modules_needs_no_ray_and_no_tensorflow():
    code = ("import sys; import nst_core, nst_core.batches.pairs, nst_core.batches.driver, nst_core.batches.local, "
            "nst_core.batches.work, nst_core.batches.ray_runner, nst_core.cli.batch; "
            "print(sorted(m for m in ('ray', 'tensorflow') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr
