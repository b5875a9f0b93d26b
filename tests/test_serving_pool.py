"""The page's runs on Ray without a cluster: a stand-in ``ray`` whose workers paint scripted frames and
can die, so what a visitor would notice is checked in a moment: a run that loses its worker goes on
from its last frame elsewhere, or ends with that picture and one line; Stop and Steer reach the worker;
the workers follow the cluster's nodes; runs at once follow the warm workers."""
from __future__ import annotations

import dataclasses
import threading
import time
import types

import numpy as np
import pytest

from nst_core import RunControl, Settings
from nst_core.serving import remote
from nst_core.frame import Frame
from ui.jobs import CpuTurns, Jobs, new_key


class Lost(Exception):
    """Stands in for Ray's RayActorError: the worker died."""


@dataclasses.dataclass(frozen=True)
class ClipFrame:
    """The fields of a VideoFrame the painter reads."""

    done: int
    final: bool
    output: str | None


class Ref:
    def __init__(self, call):
        try:
            self.value, self.error = call(), None
        except Exception as exc:  # noqa: BLE001 - kept for get(), as Ray keeps a task's error
            self.value, self.error = None, exc


class Worker:
    """A warm worker painting scripted frames (image = iteration), dying at frame ``die_at`` of its run."""

    def __init__(self, ray, die_at: int | None):
        self.ray, self.die_at, self.dead = ray, die_at, False
        self.runs, self.starts, self.steers, self.stops = {}, [], [], []

    def start(self, run_id, content, styles, settings, init_image, mask):
        if self.dead:
            raise Lost("worker died")
        self.starts.append({"settings": settings, "init_image": init_image})
        self.runs[run_id] = {"i": 0, "settings": settings, "stopped": False}

    def frames(self, run_id):
        run = self.runs[run_id]
        s = run["settings"]
        if self.dead or (self.die_at is not None and run["i"] >= self.die_at):
            self.dead = True
            raise Lost("worker died")
        run["i"] += 1
        final = run["stopped"] or run["i"] >= s.iterations
        frame = Frame(run["i"], s.iterations, {"total": 1.0}, 0.1 * run["i"], np.full((4, 4, 3), run["i"], np.uint8),
                      final=final, settings=s, stopped=run["stopped"])
        if run.get("clip"):  # a clip's frames: the final one names the MP4 on the worker
            frame = ClipFrame(run["i"], final, "/worker/clip.mp4" if final else None)
        return [frame], final, None

    def start_clip(self, run_id, clip, suffix, style, settings, options):
        self.starts.append({"clip": clip, "suffix": suffix, "options": options})
        self.runs[run_id] = {"i": 0, "settings": settings.replace(iterations=3), "stopped": False, "clip": True}

    def take_file(self, path):
        return b"MP4 of " + path.encode()

    def stop(self, run_id):
        self.stops.append(run_id)
        self.runs.setdefault(run_id, {"i": 0, "settings": None, "stopped": True})["stopped"] = True

    def steer(self, run_id, weights):
        self.steers.append(weights)
        run = self.runs[run_id]
        run["settings"] = run["settings"].replace(**weights)

    def pid(self):
        if self.dead:
            raise Lost("worker died")
        return id(self)


class Handle:
    def __init__(self, worker):
        self.worker = worker

    def __getattr__(self, name):
        method = getattr(self.worker, name)
        return types.SimpleNamespace(remote=lambda *a: Ref(lambda: method(*a)))


class FakeRay:
    """The few ``ray`` calls the pool and the painter make; ``cpus`` is the cluster's size now."""

    exceptions = types.SimpleNamespace(RayActorError=Lost)

    def __init__(self, cpus: int, die_at: list):
        self.cpus, self.die_at, self.workers = cpus, list(die_at), []

    def cluster_resources(self):
        return {"CPU": self.cpus}

    def make(self):
        worker = Worker(self, self.die_at.pop(0) if self.die_at else None)
        self.workers.append(worker)
        return Handle(worker)

    def wait(self, refs, num_returns=1, timeout=None):
        return refs, []

    def get(self, ref, timeout=None):
        if ref.error is not None:
            raise ref.error
        return ref.value


def painter(cpus: int, die_at=()) -> tuple[remote.RemotePainter, FakeRay]:
    ray = FakeRay(cpus, die_at)
    pool = remote.Pool(ray, types.SimpleNamespace(remote=ray.make), cpus_per_run=1)
    return remote.RemotePainter(ray, pool, "ray://test"), ray


def test_a_run_whose_worker_dies_goes_on_from_its_last_frame_on_another(monkeypatch):
    p, ray = painter(2, die_at=[3, None])
    s = Settings(iterations=10, max_size=64, multiscale=True, style_weight=50)
    frames = list(p.stylize(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint8), s))
    assert [f.iteration for f in frames] == list(range(1, 11))  # counted on, no gap, no repeat
    assert frames[-1].final and frames[-1].total == 10 and frames[-1].elapsed_s == pytest.approx(1.0)
    assert "lost at iteration 3; another went on from its picture" in frames[-1].message
    moved = ray.workers[1].starts[0]
    assert np.array_equal(moved["init_image"], frames[2].image)  # from the last frame's picture
    assert (moved["settings"].init, moved["settings"].iterations, moved["settings"].style_weight) == ("image", 7, 50)
    assert frames[-1].settings.multiscale and frames[-1].settings.init == "content"  # the visitor's settings
    assert p.slots() == 1  # the dead one is not handed out until Ray has it warm again


def test_with_no_worker_left_the_run_ends_with_its_last_picture_and_one_line(monkeypatch):
    monkeypatch.setattr(remote, "MOVE_WAIT_S", 0.3)
    p, ray = painter(1, die_at=[4])
    frames = list(p.stylize(b"photo", b"painting", Settings(iterations=10, max_size=64)))
    last = frames[-1]
    assert last.final and not last.stopped and last.iteration == 4 and np.array_equal(last.image, frames[-2].image)
    assert last.message == ("the cluster lost the worker painting this run and had no other free: "
                            "the picture painted so far is kept")


def test_steer_and_stop_reach_the_worker():
    p, ray = painter(1)
    control = RunControl()
    seen = []
    for frame in p.stylize(b"photo", b"painting", Settings(iterations=50, max_size=64), control=control):
        seen.append(frame)
        if frame.iteration == 2:
            control.steer(style_weight=300)
        if frame.iteration == 5:
            control.stop()
    worker = ray.workers[0]
    assert worker.steers == [{"style_weight": 300.0}] and len(worker.stops) == 1
    assert seen[-1].stopped and seen[-1].final and seen[-1].iteration <= 7
    assert seen[-1].settings.style_weight == 300


def test_the_workers_follow_the_cluster_as_nodes_join_and_leave():
    p, ray = painter(1)
    assert len(ray.workers) == 1 and p.slots() == 1
    ray.cpus = 3  # two nodes joined
    p.pool.follow()
    assert len(ray.workers) == 3 and p.slots() == 3
    ray.cpus = 2  # one left: its worker's slot goes with it
    p.pool.follow()
    assert p.slots() == 2 and len(ray.workers) == 3


def test_a_clip_goes_to_a_worker_as_bytes_and_its_mp4_comes_back_here(tmp_path):
    p, ray = painter(1)
    clip = tmp_path / "clip.webm"
    clip.write_bytes(b"the clip")
    out = tmp_path / "stylized.mp4"
    frames = list(p.stylize_video(clip, b"painting", Settings(), output=out, smoothing=0.5, refine=0))
    assert ray.workers[0].starts[0] == {"clip": b"the clip", "suffix": ".webm", "options": {"smoothing": 0.5, "refine": 0}}
    assert [f.done for f in frames] == [1, 2, 3] and frames[-1].output == str(out)
    assert out.read_bytes() == b"MP4 of /worker/clip.mp4" and p.slots() == 1  # the worker is free again


def test_a_clip_whose_worker_dies_ends_with_one_line(tmp_path):
    p, ray = painter(1, die_at=[1])
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"the clip")
    with pytest.raises(remote.ClusterError, match="^the cluster lost the worker painting this clip: press Run again$"):
        list(p.stylize_video(clip, b"painting", Settings(), output=tmp_path / "o.mp4"))


def wait_until(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)  # polling interval, not synchronisation
    return True


def test_runs_at_once_follow_the_slots_and_the_rest_wait_saying_so():
    slots = [2]
    jobs = Jobs(grace_s=60, slots=lambda: slots[0])
    gate = threading.Event()

    def run(control):
        yield {"status": "painting"}
        gate.wait(timeout=30)
        yield {"status": "Done"}

    first, second, third = (jobs.start(new_key(), run) for _ in range(3))
    assert wait_until(lambda: first.changes(0)[1].get("status") == "painting"
                      and second.changes(0)[1].get("status") == "painting")  # two at once
    assert wait_until(lambda: third.changes(0)[1].get("status", "").startswith("**Waiting**"))
    assert jobs.cpu.locked()
    slots[0] = 3  # a node joined
    assert wait_until(lambda: third.changes(0)[1].get("status") == "painting")
    gate.set()
    assert wait_until(lambda: not any(j.running for j in (first, second, third)))


def test_the_page_queue_lets_in_as_many_runs_as_the_cluster_paints(monkeypatch):
    from ui import cluster

    monkeypatch.setattr(cluster, "FOLLOW_S", 0.01)
    group = types.SimpleNamespace(concurrency_limit=1)
    demo = types.SimpleNamespace(_queue=types.SimpleNamespace(event_queue_per_concurrency_id={"cpu": group}))
    slots = [3]
    cluster.follow_slots(demo, types.SimpleNamespace(remote=True, slots=lambda: slots[0]))
    assert wait_until(lambda: group.concurrency_limit == 3)
    slots[0] = 0  # every worker lost: one run still goes in, and waits for a worker with its status shown
    assert wait_until(lambda: group.concurrency_limit == 1)


def test_without_the_variable_the_page_paints_here_one_run_at_a_time():
    from ui.cluster import painter_from_env

    p = painter_from_env({})
    assert not p.remote and p.slots() == 1
    assert CpuTurns().locked() is False
