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
from .work import failure, paint, write_atomic

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


def connect(ray, address: str | None, cpus_per_task: int, num_cpus: int | None, settings: Settings) -> bool:
    """Connect to ``address``, else start a local Ray; True if this call connected
    (and so must disconnect). A caller's own ray.init() is used as it is."""
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
            # ray:// refused by the cluster's own ray.init (seen in CI on a busy head); Ray's client has
            # disconnected, so trying again starts clean. Anything else is the user's to fix: said at once.
            if attempt == INIT_TRIES:
                raise _cannot_connect(address, exc) from None
            time.sleep(attempt)  # give the busy head a moment, longer each time
            attempt += 1
        except (ConnectionError, TimeoutError, ValueError, RuntimeError) as exc:
            raise _cannot_connect(address, exc) from None


def _cannot_connect(address: str | None, exc: Exception) -> BatchError:
    """One line with Ray's reason: its messages put the cause on later lines ("failure from server:\n...")."""
    reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip()) or exc.__class__.__name__
    if len(reason) > 300:
        reason = reason[:297] + "..."
    return BatchError(f"cannot connect to {address or 'a local Ray'}: {reason}"
                      " (check --address / RAY_ADDRESS, or start the cluster with `ray start --head`)")


def _window(ray, cpus_per_task: int) -> int:
    """Tasks to keep in flight: two per task-sized slot of the cluster (so a freed slot never waits for
    the driver), and not all at once (a long batch's images do not all sit in the object store)."""
    cpus = ray.cluster_resources().get("CPU", 1)
    return max(2, 2 * int(cpus // cpus_per_task))


def run_on_ray(todo: Sequence[tuple[Pair, dict]], settings: Settings, outdir: Path, *, address: str | None = None,
               cpus_per_task: int = 1, num_cpus: int | None = None, retries: int = 1,
               on_outcome: Callable[[Outcome], None] | None = None) -> tuple[list[Outcome], bool]:
    """Paint ``todo`` on Ray, writing each PNG here as its task returns. Returns (outcomes, whether
    Ctrl-C stopped it); a stop cancels the tasks in flight and keeps every picture already written."""
    address = address or os.environ.get("RAY_ADDRESS") or None
    ray = require_ray(local=not address)
    started = connect(ray, address, cpus_per_task, num_cpus, settings)
    task = ray.remote(_task).options(num_cpus=cpus_per_task, max_retries=0)  # retried here, to report it
    outcomes: list[Outcome] = []
    queue = list(todo)
    queue.reverse()  # pop() from the end takes them in order
    flight: dict = {}  # ObjectRef -> (pair, extra, errors so far)
    refs: dict[Path, object] = {}  # each file put once, while pairs still to submit use it
    uses: dict[Path, int] = {}
    for pair, _ in todo:
        for path in (pair.photo, pair.painting):
            uses[path] = uses.get(path, 0) + 1

    def image(path: Path):
        if path not in refs:
            refs[path] = ray.put(path.read_bytes())
        uses[path] -= 1
        return refs.pop(path) if uses[path] == 0 else refs[path]

    def submit(pair: Pair, extra: dict, errors: tuple[str, ...]) -> None:
        try:
            ref = task.remote(image(pair.photo), image(pair.painting), settings, extra)
        except OSError as exc:  # the file went away since it was checked
            finish(Outcome(pair, "failed", f"cannot read {exc.filename}: {exc.strerror}", attempts=len(errors),
                           errors=errors))
            return
        flight[ref] = (pair, extra, errors)

    def finish(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)

    try:
        window = _window(ray, cpus_per_task)
        while queue or flight:
            while queue and len(flight) < window:
                submit(*queue.pop(), ())
            ready, _ = ray.wait(list(flight), num_returns=1, timeout=WAIT_S)
            for ref in ready:
                pair, extra, errors = flight.pop(ref)
                try:
                    png, warning, seconds = ray.get(ref)
                except Exception as exc:  # noqa: BLE001 - a task's failure is one picture's, not the batch's
                    why, again = failure(getattr(exc, "cause", None) or exc)
                    errors = (*errors, why)
                    if again and len(errors) <= retries:
                        uses[pair.photo] += 1  # sent again: its bytes are needed once more
                        uses[pair.painting] += 1
                        submit(pair, extra, errors)
                    else:
                        finish(Outcome(pair, "failed", why, attempts=len(errors), errors=errors))
                    continue
                unwritten = write_atomic(outdir / pair.name, png)
                finish(Outcome(pair, "failed", unwritten, seconds, len(errors) + 1, errors) if unwritten
                       else Outcome(pair, "done", warning, seconds, len(errors) + 1, errors))
        return outcomes, False
    except KeyboardInterrupt:
        for ref in flight:
            ray.cancel(ref, force=True)
        return outcomes, True
    finally:
        if started:
            ray.shutdown()
