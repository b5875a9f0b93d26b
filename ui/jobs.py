"""Runs that outlive the page that started them: each in a thread of its own, found again by an
unguessable key that the visitor's browser keeps, so a reload or a dropped connection loses nothing.

A page (the one that pressed Run, or the same browser after a reload) *watches* a job: it gets
the job's outputs by name, only those that changed since it last looked, and only the newest of
each, so a browser that falls behind skips previews instead of queueing them. With nobody
watching for ``grace_s`` the run is stopped (its best picture kept), as is any run whose Stop was
pressed. The registry is one object made by build_demo, not a module global, and hands a job out
only to a caller who names its key.
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


def new_key() -> str:
    """192 random bits: a browser's key to its runs (kept in its localStorage)."""
    return secrets.token_urlsafe(24)


def grace_seconds() -> float:
    """How long a run goes on with nobody watching (the operator's NST_DETACHED_GRACE_S, default 10 min)."""
    try:
        return float(os.environ.get("NST_DETACHED_GRACE_S", "600"))
    except ValueError:
        return 600.0


class Job:
    """One run's outputs as they stand, and the thread that makes them.

    ``produce(control)`` yields {output name: value} dicts; each is published as it comes. An
    exception it raises is kept and raised again to the watchers once they have seen the rest.
    """

    def __init__(self, key: str, produce: Callable[[RunControl], Iterator[dict]], cpu: threading.Lock,
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

    def _work(self, produce, cpu: threading.Lock) -> None:
        try:
            if not cpu.acquire(blocking=False):  # a run from a page that has gone is finishing
                self.publish({"status": "**Waiting** — the run before yours is finishing; yours starts next."})
                cpu.acquire()
            try:
                for outputs in produce(self.control):
                    self.publish(outputs)
                    if self.running and self.unwatched_for() > self.grace_s and not self.control.stopped:
                        log.info("run %s: nobody watching for %.0f s, stopping it", self.key[:6], self.grace_s)
                        self.control.stop()
            finally:
                cpu.release()
        except BaseException as exc:  # kept for the watchers: the thread itself has nobody to tell
            self.error = exc
            if not hasattr(exc, "message"):  # gr.Error carries its own; anything else is a bug: log it
                log.exception("run %s failed", self.key[:6])
        finally:
            self.ended = time.monotonic()
            self.finished.set()

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

    def __init__(self, grace_s: float | None = None, keep_s: float = 3600, max_jobs: int = 64):
        self.grace_s = grace_seconds() if grace_s is None else grace_s
        self.keep_s, self.max_jobs = keep_s, max_jobs
        self.cpu = threading.Lock()  # runs take the CPU in turn, watched or not
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
