"""Runs that outlive their page: they go on unwatched, stop after the grace time, show only the
newest of each output to a page that falls behind, and belong to their key alone."""
import threading
import time

import gradio as gr
import pytest

from conftest import drain
from ui.jobs import Jobs, new_key


def ticking(control, steps: int = 10**6, gate: threading.Event | None = None):
    """A stand-in run: one output per 'iteration' until stopped, then its 'result'."""
    i = 0
    for i in range(1, steps + 1):
        if control.stopped:
            break
        if gate is not None:
            gate.wait(timeout=30)
        yield {"preview": i, "status": f"iteration {i}"}
        time.sleep(0.005)  # an iteration's work (not synchronisation)
    yield {"result": i, "status": "Stopped" if control.stopped else "Done"}


def wait_until(condition, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_a_run_goes_on_with_nobody_watching_and_a_new_page_sees_it_finished():
    jobs = Jobs(grace_s=60)
    job = jobs.start("k" * 32, lambda c: ticking(c, steps=50))
    assert wait_until(lambda: not job.running)  # nobody ever watched: it went on to its end
    seen = list(drain(jobs.get("k" * 32).watch()))
    assert seen == [{"preview": 50, "status": "Done", "result": 50}]  # everything once, as it stands


def test_with_nobody_watching_past_the_grace_time_the_run_stops_and_keeps_its_result():
    jobs = Jobs(grace_s=0.3)
    job = jobs.start(new_key(), ticking)
    first = drain(job.watch())
    next(first)  # a page watches, then goes (its tab closed)
    first.close()
    assert wait_until(lambda: not job.running, timeout=30)
    final = list(drain(job.watch()))[-1]
    assert final["status"] == "Stopped" and final["result"] >= 1


def test_a_page_that_falls_behind_gets_the_newest_outputs_not_a_queue():
    gate, jobs = threading.Event(), Jobs(grace_s=60)
    job = jobs.start(new_key(), lambda c: ticking(c, steps=200, gate=gate))
    watch = drain(job.watch())
    gate.set()
    updates = [next(watch)]
    assert wait_until(lambda: not job.running)  # the page was busy while the run made 200 previews
    updates += list(watch)
    assert len(updates) <= 3 and updates[-1] == {"preview": 200, "status": "Done", "result": 200}


def test_only_the_key_finds_its_run_and_a_new_run_of_the_same_key_replaces_it():
    jobs = Jobs(grace_s=60)
    mine = new_key()
    first = jobs.start(mine, ticking)
    assert jobs.get(new_key()) is None and jobs.get(None) is None and jobs.get(mine) is first
    second = jobs.start(mine, lambda c: ticking(c, steps=3))
    assert wait_until(lambda: not first.running and not second.running)
    assert list(drain(first.watch()))[-1]["status"] == "Stopped"  # it gave way at once
    assert jobs.get(mine) is second and list(drain(second.watch()))[-1]["status"] == "Done"


def test_runs_take_the_cpu_in_turn_and_the_waiting_one_says_so():
    gate, jobs = threading.Event(), Jobs(grace_s=60)
    first = jobs.start(new_key(), lambda c: ticking(c, steps=5, gate=gate))
    assert wait_until(lambda: first.changes(0)[0] > 0 or jobs.cpu.locked())
    second = jobs.start(new_key(), lambda c: ticking(c, steps=2))
    assert wait_until(lambda: "Waiting" in str(second.changes(0)[1].get("status")))
    gate.set()
    assert wait_until(lambda: not second.running)
    assert list(drain(second.watch()))[-1]["status"] == "Done" and first.ended <= second.ended


def test_a_failed_run_shows_its_status_then_raises_its_error_to_the_page_that_started_it():
    def failing(control):
        yield {"status": "**Not run** — the style image is damaged"}
        raise gr.Error("the style image is damaged")

    jobs = Jobs(grace_s=60)
    job = jobs.start(new_key(), failing)
    shown = []
    with pytest.raises(gr.Error, match="damaged"):
        for out in drain(job.watch()):
            shown.append(out)
    assert "Not run" in shown[-1]["status"]
    assert "Not run" in list(drain(job.watch(raise_error=False)))[-1]["status"]  # a reload: no toast again


def test_finished_runs_are_kept_a_while_and_bounded_in_number():
    jobs = Jobs(grace_s=60, max_jobs=3)
    keys = [new_key() for _ in range(5)]
    for key in keys:
        job = jobs.start(key, lambda c: ticking(c, steps=1))
        assert wait_until(lambda: not job.running)
    assert [jobs.get(k) is not None for k in keys] == [False, False, True, True, True]


def test_stop_while_waiting_for_the_cpu_ends_the_run_at_once_without_painting():
    gate, jobs = threading.Event(), Jobs(grace_s=60)
    ahead = jobs.start(new_key(), lambda c: ticking(c, gate=gate))  # holds the CPU
    assert wait_until(jobs.cpu.locked)
    mine = jobs.start(new_key(), ticking)
    watch = drain(mine.watch())
    assert "Waiting" in next(watch)["status"]
    mine.control.stop()
    rest = list(watch)  # ends while the run ahead still holds the CPU
    assert rest[-1] == {"status": "**Stopped** before it started: nothing was painted."} and ahead.running
    assert all("preview" not in out for out in rest)
    ahead.control.stop()
    gate.set()


def test_a_run_nobody_watches_gives_way_to_a_watched_run_that_waits():
    """Three runs whose pages left, then a visitor's run: it paints after at most one of them has
    painted (and given way), not after all three."""
    order, gate = [], threading.Event()

    def logged(name, steps=10**6):
        def produce(control):
            order.append(("start", name))
            yield from ticking(control, steps=steps, gate=gate)
            order.append(("end", name))
        return produce

    jobs = Jobs(grace_s=600)
    abandoned = [jobs.start(new_key(), logged(f"left{i}")) for i in range(3)]
    for job in abandoned:
        job.seen -= 60  # their pages left a minute ago
    mine = jobs.start(new_key(), logged("mine", steps=3))
    watch = drain(mine.watch())
    gate.set()
    assert list(watch)[-1]["status"] == "Done"
    before_mine = order[:order.index(("start", "mine"))]
    assert len([e for e in before_mine if e[0] == "start"]) <= 1 and before_mine[-1][0] == "end"
    for job in abandoned:
        job.control.stop()
