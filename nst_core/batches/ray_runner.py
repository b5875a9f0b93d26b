"""The batch on Ray: one task per picture, its images as bytes through the object store, retried once.

Why Ray rather than a hand-written process pool: the same driver runs on this machine (``ray.init()``
starts a local cluster) and on many (``ray://HOST:PORT``); Ray schedules each task on a node with
``num_cpus`` free, moves the bytes between nodes without a shared disk, and turns a dead worker or
node into an exception here, which is what makes "retry once, never stop the others" a few lines.
Ray is imported only when a batch runs on it (requirements-batch.txt).
"""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Callable, Sequence

from ..settings import Settings
from .pairs import BatchError, Outcome, Pair
from .work import paint, settle_attempt

MISSING = "Ray is not installed: pip install -r requirements-batch.txt (or run with --in-process)"
INIT_TRIES = 3  # a ray:// connection the cluster refused at start-up is tried this often
WAIT_S = 0.5  # the driver wakes this often, so Ctrl-C is answered at once even inside ray.wait


def require_ray(local: bool):
    """The ``ray`` module, or a BatchError saying how to install it."""
    if local:
        # A Ray started for one batch serves this machine alone: on 127.0.0.1, not the machine's network
        # address (where Ray puts any node that may take others in, and where anyone could submit work).
        # Ray reads this when it is imported; on Linux it only decides which address a node takes.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    try:
        import ray
    except ImportError:
        raise BatchError(MISSING) from None
    return ray


def _task(photo: bytes, painting: bytes, settings: Settings, extra: dict) -> tuple[bytes, str, float]:
    """On a worker: Ray hands the bytes from the object store; the PNG goes back through it."""
    return paint(photo, painting, settings, extra)


def runtime_env(cpus_per_task: int, local: bool, settings: Settings) -> dict:
    """What the workers need: nst_core itself and as many TensorFlow threads as the task has cores
    (two 1-core tasks on two cores then share nothing). A cluster gets the package shipped with the
    job (its nodes need only requirements.txt installed); a local Ray finds it on PYTHONPATH, which
    spares zipping and copying 30 MB into its own folder every run."""
    package = Path(__file__).resolve().parents[1]  # nst_core itself
    env = {"TF_NUM_INTRAOP_THREADS": str(cpus_per_task), "TF_CPP_MIN_LOG_LEVEL": "3"}
    if local:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(package.parent), os.environ.get("PYTHONPATH")) if p)
        return {"env_vars": env}
    unused = [] if settings.init == "fast" else ["data/magenta_lite"]  # only --init fast runs that model
    return {"py_modules": [str(package)], "excludes": ["__pycache__", "*.pyc", *unused], "env_vars": env}


BATCH_HINT = "check --address / RAY_ADDRESS, or start the cluster with `ray start --head`"


def connect(ray, address: str | None, cpus_per_task: int, num_cpus: int | None, settings: Settings,
            hint: str = BATCH_HINT) -> bool:
    """Connect to ``address``, else start a local Ray; True if this call connected
    (and so must disconnect). A caller's own ray.init() is used as it is. ``hint``: what a user
    who cannot connect should check, said after Ray's reason."""
    if ray.is_initialized():
        return False
    # Ray's own start-up notes (token, packaging) would break the progress bar; its errors still show
    common = {"runtime_env": runtime_env(cpus_per_task, not address, settings), "log_to_driver": False,
              "logging_level": logging.ERROR}
    attempt = 1
    while True:
        try:
            if address:
                ray.init(address=address, **common)
            else:
                ray.init(num_cpus=num_cpus, include_dashboard=False, **common)
            return True
        except ConnectionAbortedError as exc:
            # ray:// refused by the cluster's own ray.init, as a busy head does; Ray's client has
            # disconnected, so trying again starts clean. Anything else is the user's to fix: said at once.
            if attempt == INIT_TRIES:
                raise _cannot_connect(address, exc, hint) from None
            time.sleep(attempt)  # give the busy head a moment, longer each time
            attempt += 1
        except (ConnectionError, TimeoutError, ValueError, RuntimeError) as exc:
            raise _cannot_connect(address, exc, hint) from None


def _cannot_connect(address: str | None, exc: Exception, hint: str) -> BatchError:
    """One line with Ray's reason: its messages put the cause on later lines ("failure from server:\n...")."""
    reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or exc.__class__.__name__
    if len(reason) > 300:
        reason = reason[:297] + "..."
    return BatchError(f"cannot connect to {address or 'a local Ray'}: {reason} ({hint})")


def _window(ray, cpus_per_task: int) -> int:
    """Tasks to keep in flight: two per task-sized slot of the cluster (so a freed slot never waits for
    the driver), and not all at once (a long batch's images do not all sit in the object store)."""
    cpus = ray.cluster_resources().get("CPU", 1)
    return max(2, 2 * int(cpus // cpus_per_task))


class _SharedImages:
    """Each input file put in Ray's object store once for all the pairs still to be submitted that use
    it, and let go of here when the last of them has taken it, so a long batch's images do not all sit
    in the store (a retried pair's file is put again if it was let go)."""

    def __init__(self, ray, todo: Sequence[tuple[Pair, dict]]):
        self.ray, self.refs, self.uses = ray, {}, {}
        for pair, _ in todo:
            for path in (pair.photo, pair.painting):
                self.uses[path] = self.uses.get(path, 0) + 1

    def take(self, path: Path):
        """The file's object reference for one more task; reads and puts it on first use."""
        if path not in self.refs:
            self.refs[path] = self.ray.put(path.read_bytes())
        self.uses[path] -= 1
        return self.refs.pop(path) if self.uses[path] == 0 else self.refs[path]

    def again(self, pair: Pair) -> None:
        """The pair is sent once more: its files are needed once more."""
        self.uses[pair.photo] += 1
        self.uses[pair.painting] += 1


class _RayRun:
    """One batch's tasks on Ray: the pairs still to submit, the tasks in flight, the outcomes so far."""

    def __init__(self, ray, task, todo: Sequence[tuple[Pair, dict]], settings: Settings, outdir: Path,
                 retries: int, on_outcome: Callable[[Outcome], None] | None):
        self.ray, self.task, self.settings, self.outdir = ray, task, settings, outdir
        self.retries, self.on_outcome = retries, on_outcome
        self.images = _SharedImages(ray, todo)
        self.queue = list(todo)
        self.queue.reverse()  # pop() from the end takes them in order
        self.flight: dict = {}  # ObjectRef -> (pair, extra, errors so far)
        self.outcomes: list[Outcome] = []

    def until_done(self, window: int) -> None:
        """Keep ``window`` tasks in flight and settle each as it returns, until every pair has its outcome."""
        while self.queue or self.flight:
            while self.queue and len(self.flight) < window:
                self.submit(*self.queue.pop(), ())
            ready, _ = self.ray.wait(list(self.flight), num_returns=1, timeout=WAIT_S)
            for ref in ready:
                self.collect(ref)

    def submit(self, pair: Pair, extra: dict, errors: tuple[str, ...]) -> None:
        try:
            ref = self.task.remote(self.images.take(pair.photo), self.images.take(pair.painting), self.settings,
                                   extra)
        except OSError as exc:  # the file went away since it was checked
            self.finish(Outcome(pair, "failed", f"cannot read {exc.filename}: {exc.strerror}",
                                attempts=len(errors), errors=errors))
            return
        self.flight[ref] = (pair, extra, errors)

    def collect(self, ref) -> None:
        """A returned task's picture written, or its pair sent again or failed."""
        pair, extra, errors = self.flight.pop(ref)
        try:
            result = self.ray.get(ref)
        except Exception as exc:  # noqa: BLE001 - a task's failure is one picture's, not the batch's
            result = getattr(exc, "cause", None) or exc  # Ray wraps the task's own exception
        outcome, errors = settle_attempt(pair, result, errors, self.retries, self.outdir)
        if outcome is None:
            self.images.again(pair)
            self.submit(pair, extra, errors)
        else:
            self.finish(outcome)

    def finish(self, outcome: Outcome) -> None:
        self.outcomes.append(outcome)
        if self.on_outcome:
            self.on_outcome(outcome)

    def cancel(self) -> None:
        for ref in self.flight:
            self.ray.cancel(ref, force=True)


def run_on_ray(todo: Sequence[tuple[Pair, dict]], settings: Settings, outdir: Path, *, address: str | None = None,
               cpus_per_task: int = 1, num_cpus: int | None = None, retries: int = 1,
               on_outcome: Callable[[Outcome], None] | None = None) -> tuple[list[Outcome], bool]:
    """Paint ``todo`` on Ray, writing each PNG here as its task returns. Returns (outcomes, whether
    Ctrl-C stopped it); a stop cancels the tasks in flight and keeps every picture already written."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    ray = require_ray(local=not address)
    started = connect(ray, address, cpus_per_task, num_cpus, settings)
    task = ray.remote(_task).options(num_cpus=cpus_per_task, max_retries=0)  # retried here, to report it
    run = _RayRun(ray, task, todo, settings, outdir, retries, on_outcome)
    try:
        run.until_done(_window(ray, cpus_per_task))
        return run.outcomes, False
    except KeyboardInterrupt:
        run.cancel()
        return run.outcomes, True
    finally:
        if started:
            ray.shutdown()
