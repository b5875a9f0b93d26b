"""Runs that outlive the page that started them: each in a thread of its own, found again by an
unguessable key that the visitor's browser keeps, so a reload or a dropped connection loses nothing.

A page (the one that pressed Run, or the same browser after a reload) *watches* a job: it gets
the job's outputs by name, only those that changed since it last looked, and only the newest of
each, so a browser that falls behind skips previews instead of queueing them. With nobody
watching for ``grace_s`` the run is stopped (its best picture kept), as is any run whose Stop was
pressed, and sooner (``YIELD_S``) when a watched run waits for the CPU: a visitor present never
waits for runs whose pages have gone. The registry is one object made by build_demo, not a module
global, and hands a job out only to a caller who names its key.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
import threading
import time
from typing import AsyncIterator, Callable, Iterator

from nst_core import RunControl

log = logging.getLogger("nst_app")
WATCH_POLL_S = 0.05  # how soon a watcher sees a new output; polling costs nothing noticeable at this rate
WATCHED_S = 1.0  # a job whose watcher looked within this long is watched (watchers look every WATCH_POLL_S)
YIELD_S = 2.0  # a run nobody watches for this long gives way to a watched run waiting for the CPU
TURN_POLL_S = 0.1  # how soon a waiting run sees a Stop, or that its watcher has gone (neither notifies)
WAITING = "**Waiting** — the run before yours is finishing; yours starts next. **Stop** takes yours out of the line."
STOPPED_BEFORE = "**Stopped** before it started: nothing was painted."


def new_key() -> str:
    """192 random bits: a browser's key to its runs (kept in its localStorage)."""
    return secrets.token_urlsafe(24)


def browser_key(state: dict, browser) -> str:
    """This page's key to its runs: the one it already has (a run started from it keeps its key), else
    its browser's (kept from an earlier visit: a reload finds its runs again), else a new one."""
    if "key" not in state:
        state["key"] = browser if isinstance(browser, str) and 20 <= len(browser) <= 64 else new_key()
    return state["key"]


def grace_seconds() -> float:
    """How long a run goes on with nobody watching (the operator's NST_DETACHED_GRACE_S, default 10 min)."""
    try:
        return float(os.environ.get("NST_DETACHED_GRACE_S", "600"))
    except ValueError:
        return 600.0


class CpuTurns:
    """The CPU, ``slots()`` jobs (picture runs or clips) at a time: one on this machine, as many as a
    Ray cluster's warm workers when the runs go there. The one way a long job takes it is a Job.
    The waiting go in order of arrival, watched ones first, so a visitor present never waits behind
    runs whose pages have gone; a waiter that is stopped leaves the line at once."""

    def __init__(self, slots: Callable[[], int] = lambda: 1) -> None:
        self._cond = threading.Condition()
        self._slots = slots
        self._holders = 0
        self._line: list[tuple[Callable[[], bool], Callable[[], bool]]] = []  # (watched, stopped), in arrival order

    def take(self, watched: Callable[[], bool] = lambda: True, stopped: Callable[[], bool] = lambda: False,
             on_wait: Callable[[], None] | None = None) -> bool:
        """Wait for the CPU and hold it (True), or leave the line once ``stopped()`` (False).
        ``on_wait`` is called once, before waiting, if the CPU is not free at once."""
        me = (watched, stopped)
        with self._cond:
            self._line.append(me)
            try:
                told = False
                while not stopped():
                    if self._holders < self._slots() and self._next() is me:
                        self._holders += 1
                        return True
                    if not told and on_wait is not None:
                        told = True
                        self._cond.release()  # on_wait publishes, under the job's own lock: not under ours
                        try:
                            on_wait()
                        finally:
                            self._cond.acquire()
                        continue
                    self._cond.wait(TURN_POLL_S)
                return False
            finally:
                self._line.remove(me)
                self._cond.notify_all()

    def _next(self):
        present = [w for w in self._line if w[0]() and not w[1]()]
        return (present or self._line)[0]

    def give_back(self) -> None:
        with self._cond:
            self._holders -= 1
            self._cond.notify_all()

    def watched_waiting(self) -> bool:
        """A run whose visitor is present waits for the CPU."""
        with self._cond:
            return any(w() and not s() for w, s in self._line)

    def locked(self) -> bool:
        """Every slot is taken: a new run waits."""
        with self._cond:
            return self._holders >= self._slots()


class Job:
    """One run's outputs as they stand, and the thread that makes them.

    ``produce(control)`` yields {output name: value} dicts; each is published as it comes. An
    exception it raises is kept and raised again to the watchers once they have seen the rest.
    """

    def __init__(self, key: str, produce: Callable[[RunControl], Iterator[dict]], cpu: CpuTurns,
                 grace_s: float):
        self.key, self.control, self.grace_s = key, RunControl(), grace_s
        self.error: BaseException | None = None
        self.finished = threading.Event()
        self.seen = self.ended = time.monotonic()
        self._values: dict[str, tuple[int, object]] = {}  # name -> (version it was set at, value)
        self._version = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, args=(produce, cpu), name=f"run-{key[:6]}", daemon=True)

    @property
    def running(self) -> bool:
        return not self.finished.is_set()

    def start(self) -> "Job":
        self._thread.start()
        return self

    def publish(self, outputs: dict) -> None:
        with self._lock:
            self._version += 1
            self._values.update({k: (self._version, v) for k, v in outputs.items()})

    def changes(self, since: int) -> tuple[int, dict]:
        """(version now, the outputs set after version ``since``)."""
        with self._lock:
            return self._version, {k: v for k, (ver, v) in self._values.items() if ver > since}

    def unwatched_for(self) -> float:
        return time.monotonic() - self.seen

    def watched(self) -> bool:
        return self.unwatched_for() < WATCHED_S

    def _given_up(self) -> bool:
        """Stopped, or nobody has watched it for its grace time: it leaves the line for the CPU."""
        return self.control.stopped or self.unwatched_for() > self.grace_s

    def _work(self, produce, cpu: CpuTurns) -> None:
        try:
            if not cpu.take(self.watched, self._given_up, lambda: self.publish({"status": WAITING})):
                self.publish({"status": STOPPED_BEFORE})
                return
            try:
                for outputs in produce(self.control):
                    self.publish(outputs)
                    self._give_way(cpu)
            finally:
                cpu.give_back()
        except BaseException as exc:  # kept for the watchers: the thread itself has nobody to tell
            self.error = exc
            if not hasattr(exc, "message"):  # gr.Error carries its own; anything else is a bug: log it
                log.exception("run %s failed", self.key[:6])
        finally:
            self.ended = time.monotonic()
            self.finished.set()

    def _give_way(self, cpu: CpuTurns) -> None:
        """Stop a run nobody watches: after its grace time, or sooner when a watched run waits."""
        if self.control.stopped or not self.running:
            return
        away = self.unwatched_for()
        if away > self.grace_s or (away > YIELD_S and cpu.watched_waiting()):
            log.info("run %s: nobody watching for %.0f s, stopping it", self.key[:6], away)
            self.control.stop()

    async def watch(self, raise_error: bool = True) -> AsyncIterator[dict]:
        """Every output once, then each change, newest only, until the job has ended."""
        sent = 0
        while True:
            self.seen = time.monotonic()
            done = self.finished.is_set()  # read before the changes: nothing published before the end is missed
            version, changed = self.changes(sent)
            if changed:
                sent = version
                yield changed
            elif done:
                if self.error is not None and raise_error:
                    raise self.error
                return
            else:
                await asyncio.sleep(WATCH_POLL_S)


class Jobs:
    """The server's runs by key: one per key (a new run replaces, and stops, the key's last one),
    finished ones kept ``keep_s`` for a page that comes back, at most ``max_jobs`` in all."""

    def __init__(self, grace_s: float | None = None, keep_s: float = 3600, max_jobs: int = 64,
                 slots: Callable[[], int] = lambda: 1):
        self.grace_s = grace_seconds() if grace_s is None else grace_s
        self.keep_s, self.max_jobs = keep_s, max_jobs
        self.cpu = CpuTurns(slots)  # runs and clips take the CPU (or the cluster's slots) in turn, watched ones first
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def start(self, key: str, produce: Callable[[RunControl], Iterator[dict]]) -> Job:
        job = Job(key, produce, self.cpu, self.grace_s)
        with self._lock:
            old = self._jobs.pop(key, None)
            self._jobs[key] = job
            self._prune()
        if old is not None:
            old.control.stop()  # the same browser pressed Run again: its earlier run gives way
        return job.start()

    def get(self, key: str | None) -> Job | None:
        with self._lock:
            return self._jobs.get(key) if isinstance(key, str) else None

    def _prune(self) -> None:
        now = time.monotonic()
        for key, job in list(self._jobs.items()):
            if not job.running and now - job.ended > self.keep_s:
                del self._jobs[key]
        finished = sorted((j.ended, k) for k, j in self._jobs.items() if not j.running)
        for _, key in finished[:max(0, len(self._jobs) - self.max_jobs)]:
            del self._jobs[key]
