"""The page's runs on a Ray cluster: one warm actor per run slot, each run's frames fetched back as
they come, Stop and Steer sent on at once, and a run whose worker dies carried on elsewhere; clips
and Instant on the same workers.

Why actors and an actor's queue rather than Ray's streaming generators or Serve: the app reaches a
remote cluster through Ray Client (``ray://HOST:10001``), and neither streaming generators nor Serve's
handles work over Ray Client (ray-project/ray#43357, "won't fix"). An actor keeps its worker's models
warm (VGG19 loaded, the step traced, the convolution choice made when it starts, before it takes a
run) and paints each run in a thread of its own; the app asks it for the frames made since it last
looked, and a Stop or a Steer is a call of its own, which a threaded actor answers while it paints.

``RemotePainter.stylize`` has ``nst_core.stylize``'s signature and yields the same ``Frame`` objects
(``stylize_video`` and ``fast_stylize`` likewise), so the page's jobs use one or the other unchanged. Ray is imported only by ``connect``.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import secrets
import shutil
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Callable, Iterator, Sequence

from ..batches.ray_runner import connect as join, require_ray
from ..control import RunControl
from ..errors import NSTError
from ..frame import Frame
from ..settings import Settings

log = logging.getLogger("nst_core")

POLL_S = 0.05  # while the app waits for a frame, a Stop or a Steer goes out this soon
FRAMES_WAIT_S = 1.0  # a worker answers "frames since" at once when it has some, else after this long
KEEP_FRAMES = 64  # frames a worker holds for an app that has not fetched them yet (newest kept)
FOLLOW_S = 2.0  # how often the pool follows the cluster: nodes that joined or left, workers warmed up
MOVE_WAIT_S = 120.0  # a run whose worker died waits this long for another before it ends with its picture
ACTOR_CALLS = 4  # a worker's calls at once: its run's frames, a Stop, a Steer, a ping
CLIP_FOLDER = "nst-clip-"  # a worker's clip and its MP4, in a temporary folder of this prefix


class ClusterError(NSTError):
    """The cluster cannot take a run (no worker came up in time): one line, said to the visitor."""


class _Run:
    """One run on a worker: its thread, its control, and its frames not yet fetched."""

    def __init__(self) -> None:
        self.control = RunControl()
        self.frames: list[Frame] = []
        self.sent = 0  # frames handed out so far (the frame numbers the app asks from)
        self.done = False
        self.error: BaseException | None = None
        self.cond = threading.Condition()


class Painter:
    """A Ray actor (wrapped by ``ray.remote`` at connect time): warms up when it starts, then paints
    runs one at a time for the app, keeping each run's newest frames until the app fetches them."""

    def __init__(self) -> None:
        from ..engine.warm import warm_up

        warm_up(fast=True)  # before any call is answered: a (re)started worker takes no run cold
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    def pid(self) -> int:
        return os.getpid()

    def _run(self, run_id: str) -> _Run:
        with self._lock:  # a Stop may arrive before the run it stops: it waits here for it
            return self._runs.setdefault(run_id, _Run())

    def start(self, run_id: str, content, styles, settings: Settings, init_image, mask) -> None:
        """A picture run: ``nst_core.stylize``'s frames."""
        from ..engine.run import stylize

        self._begin(run_id, lambda control: stylize(content, styles, settings, init_image=init_image, mask=mask,
                                                    control=control))

    def start_clip(self, run_id: str, clip: bytes, suffix: str, style, settings: Settings, options: dict) -> None:
        """A clip: ``stylize_video``'s frames; its MP4 stays here until ``take_file`` fetches it."""
        from ..video.clip import stylize_video

        folder = tempfile.mkdtemp(prefix=CLIP_FOLDER)
        source = os.path.join(folder, "clip" + suffix)
        Path(source).write_bytes(clip)

        def work(control):
            try:
                yield from stylize_video(source, style, settings, output=os.path.join(folder, "stylized.mp4"),
                                         control=control, **options)
            finally:
                os.unlink(source)

        self._begin(run_id, work)

    def take_file(self, path: str) -> bytes:
        """A clip's MP4, handed over once and removed here (only this worker's own clip folders)."""
        folder = Path(path).resolve().parent
        if folder.parent != Path(tempfile.gettempdir()).resolve() or not folder.name.startswith(CLIP_FOLDER):
            raise ValueError(f"not a clip of this worker's: {path}")
        try:
            return Path(path).read_bytes()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _begin(self, run_id: str, work: Callable[[RunControl], Iterator]) -> None:
        run = self._run(run_id)
        threading.Thread(target=self._paint, args=(run, work), name=f"paint-{run_id[:6]}", daemon=True).start()

    @staticmethod
    def _paint(run: _Run, work: Callable[[RunControl], Iterator]) -> None:
        try:
            for frame in work(run.control):
                with run.cond:
                    run.frames.append(frame)
                    del run.frames[:-KEEP_FRAMES]  # an app that fell behind gets the newest
                    run.cond.notify_all()
        except BaseException as exc:  # handed to the app with the frames; the worker lives on
            run.error = exc
        finally:
            with run.cond:
                run.done = True
                run.cond.notify_all()

    def frames(self, run_id: str) -> tuple[list[Frame], bool, BaseException | None]:
        """The frames made since the last call (waiting up to FRAMES_WAIT_S for one), whether the run
        has ended, and the error it ended with. An ended run is forgotten once it has said so."""
        run = self._run(run_id)
        with run.cond:
            run.cond.wait_for(lambda: run.frames or run.done, timeout=FRAMES_WAIT_S)
            frames, run.frames = run.frames, []
            done = run.done and not run.frames
        if done:
            with self._lock:
                self._runs.pop(run_id, None)
        return frames, done, run.error

    def stop(self, run_id: str) -> None:
        self._run(run_id).control.stop()

    def steer(self, run_id: str, weights: dict) -> None:
        self._run(run_id).control.steer(**weights)

    def instant(self, content, style, settings: Settings):
        from ..fast import fast_stylize

        return fast_stylize(content, style, settings)


def _portable(image):
    """An image the worker can read: a path on this machine travels as the file's bytes."""
    if isinstance(image, (str, Path)):
        try:
            return Path(image).read_bytes()
        except OSError:
            return image  # the worker's decoder says what is wrong with it, in the usual words
    return image


def _resumed(first: Settings, last: Frame) -> tuple[Settings, dict]:
    """Settings and offsets that carry a run on from ``last``: from its picture (enlarged to the final
    size if it was a coarser scale), with the weights then in force and the iterations still to do."""
    weights = {k: getattr(last.settings, k) for k in ("content_weight", "style_weight", "tv_weight")}
    left = max(1, last.total - last.iteration)
    s = (last.settings or first).replace(init="image", multiscale=False, iterations=left, **weights)
    return s, {"iteration": last.iteration, "total": last.total, "elapsed_s": last.elapsed_s}


def _shifted(frame: Frame, offset: dict, settings: Settings) -> Frame:
    """A resumed run's frame, counted on from where the first worker stopped."""
    if not offset:
        return frame
    weights = {k: getattr(frame.settings, k) for k in ("content_weight", "style_weight", "tv_weight")}
    return dataclasses.replace(frame, iteration=frame.iteration + offset["iteration"], total=offset["total"],
                               elapsed_s=frame.elapsed_s + offset["elapsed_s"], settings=settings.replace(**weights))


class Pool:
    """The warm workers, one per run slot the cluster has: followed every FOLLOW_S as nodes join or
    leave; a worker is handed out only once it has warmed up, and to one run at a time."""

    def __init__(self, ray, actor, cpus_per_run: int):
        self.ray, self.actor, self.cpus_per_run = ray, actor, cpus_per_run
        self._idle: list = []
        self._busy: set = set()
        self._warming: dict = {}  # ping ObjectRef -> actor
        self._cond = threading.Condition()
        self._closed = threading.Event()
        self._slots = 0
        self.follow()
        threading.Thread(target=self._follow_loop, name="ray-pool", daemon=True).start()

    def cluster_slots(self) -> int:
        cpus = self.ray.cluster_resources().get("CPU", 0)
        return int(cpus // self.cpus_per_run)

    def slots(self) -> int:
        """Runs the cluster paints at once now: its warm workers, as far as its nodes' cores go."""
        with self._cond:
            return min(self._slots, len(self._idle) + len(self._busy))

    def follow(self) -> None:
        """One look at the cluster: a worker per new slot, and the workers that have warmed up."""
        slots = self.cluster_slots()
        with self._cond:
            self._slots = slots
            for _ in range(slots - len(self._idle) - len(self._busy) - len(self._warming)):
                self._warm(self.actor.remote())
            pings = list(self._warming)
        if pings:
            ready, _ = self.ray.wait(pings, num_returns=len(pings), timeout=0)
            for ref in ready:
                self._warmed(ref)

    def _warm(self, actor) -> None:
        self._warming[actor.pid.remote()] = actor

    def _warmed(self, ref) -> None:
        with self._cond:
            actor = self._warming.pop(ref)
            try:
                self.ray.get(ref)
            except Exception:  # noqa: BLE001 - died while warming: Ray restarts it, and it is pinged again
                self._warm(actor)
                return
            self._idle.append(actor)
            self._cond.notify_all()

    def _follow_loop(self) -> None:
        while not self._closed.wait(FOLLOW_S):
            try:
                self.follow()
            except Exception:  # noqa: BLE001 - a missed look is made again next time
                if not self.ray.is_initialized():  # the app let go of the cluster (shutting down)
                    return
                log.warning("could not read the Ray cluster's resources", exc_info=True)

    def take(self, give_up: Callable[[], bool], wait_s: float):
        """An idle warm worker, held for one run; None after ``wait_s`` or once ``give_up()``."""
        deadline = time.monotonic() + wait_s
        with self._cond:
            while not self._idle:
                if give_up() or time.monotonic() > deadline:
                    return None
                self._cond.wait(POLL_S * 4)
            actor = self._idle.pop(0)
            self._busy.add(actor)
            return actor

    def give_back(self, actor) -> None:
        with self._cond:
            self._busy.discard(actor)
            self._idle.append(actor)
            self._cond.notify_all()

    def lost(self, actor) -> None:
        """The worker died: Ray restarts it (it warms up again) and it rejoins once it answers."""
        with self._cond:
            self._busy.discard(actor)
            self._warm(actor)

    def pids(self, busy: bool = False) -> list[int]:
        """The warm workers' process ids (only those painting a run, with ``busy``): for tests and tools."""
        with self._cond:
            actors = list(self._busy) if busy else [*self._idle, *self._busy]
        return [self.ray.get(a.pid.remote()) for a in actors]

    def close(self) -> None:
        self._closed.set()


def _worker_lost(ray) -> tuple[type, ...]:
    e = ray.exceptions
    return tuple(getattr(e, n) for n in ("RayActorError", "ActorUnavailableError", "WorkerCrashedError",
                                          "NodeDiedError", "ObjectLostError") if hasattr(e, n))


class RemotePainter:
    """``stylize``, ``stylize_video`` and ``fast_stylize`` for the app, painted by the pool's warm workers."""

    def __init__(self, ray, pool: Pool, address: str):
        self.ray, self.pool, self.address = ray, pool, address
        self.lost_errors = _worker_lost(ray)

    def slots(self) -> int:
        return self.pool.slots()

    def stylize(self, content, style, settings: Settings | None = None, *, init_image=None, mask=None,
                control: RunControl | None = None, extractor=None) -> Iterator[Frame]:
        """As ``nst_core.stylize``; a worker that dies mid-run hands the run to another, from its last
        frame, or (none left within MOVE_WAIT_S) the run ends with that frame's picture and says why."""
        control = control or RunControl()
        first = settings or Settings()
        styles = [_portable(s) for s in (style if isinstance(style, (list, tuple)) else [style])]
        args, offset, last = [_portable(content), styles, first, _portable(init_image), mask], {}, None
        while True:
            actor = self.pool.take(lambda: control.stopped, MOVE_WAIT_S)
            if actor is None:
                if last is None and not control.stopped:
                    raise ClusterError("no painter of the Ray cluster is free: try again in a minute")
                if last is not None:
                    yield dataclasses.replace(last, final=True, stopped=control.stopped, message=(
                        "" if control.stopped else "the cluster lost the worker painting this run and had no "
                        "other free: the picture painted so far is kept"))
                return
            try:
                for frame in self._frames(actor, args, control):
                    last = _shifted(frame, offset, first)
                    if last.final and offset and not last.message:  # said once, with the picture
                        last = dataclasses.replace(last, message=(
                            f"a worker of the cluster was lost at iteration {offset['iteration']}; "
                            "another went on from its picture"))
                    yield last
                self.pool.give_back(actor)
                return
            except self.lost_errors:
                log.warning("a Ray worker died mid-run; going on from iteration %s", last and last.iteration)
                self.pool.lost(actor)
                if last is not None and last.final:  # it died after its picture was sent: nothing is left to do
                    return
            except BaseException:
                self.pool.give_back(actor)
                raise
            if last is not None:  # on from the last frame: its picture, its weights, the iterations left
                s, offset = _resumed(first, last)
                args = [args[0], args[1], s, last.image, args[4]]

    def _frames(self, actor, args: Sequence, control: RunControl, start: str = "start") -> Iterator:
        """One attempt on one worker: its frames as they come; Stop and Steer sent on at once."""
        run_id = secrets.token_hex(8)
        self.ray.get(getattr(actor, start).remote(run_id, *args))
        stop_sent, done = False, False
        try:
            while not done:
                pending = actor.frames.remote(run_id)
                while not self.ray.wait([pending], timeout=POLL_S)[0]:
                    stop_sent = self._forward(actor, run_id, control, stop_sent)
                frames, done, error = self.ray.get(pending)
                yield from frames
                stop_sent = self._forward(actor, run_id, control, stop_sent)
            if error is not None:
                raise error
        finally:
            if not done:  # the app let go of the run (closed its generator): the worker stops it too
                self._quietly(actor.stop.remote(run_id))

    def _forward(self, actor, run_id: str, control: RunControl, stop_sent: bool) -> bool:
        weights = control.take()
        if weights:
            actor.steer.remote(run_id, weights)
        if control.stopped and not stop_sent:
            actor.stop.remote(run_id)
            return True
        return stop_sent

    def _quietly(self, ref) -> None:
        try:
            self.ray.get(ref, timeout=5)
        except Exception:  # noqa: BLE001 - the worker is gone or slow: its run ends with it
            pass

    def stylize_video(self, path, style, settings: Settings | None = None, *, output=None,
                      control: RunControl | None = None, **options) -> Iterator:
        """As ``nst_core.video.clip.stylize_video`` (``smoothing``, ``refine`` in ``options``): the clip's
        bytes go to a worker, its frames come back, and its MP4 is written to ``output`` here. A clip
        whose worker dies ends with one line (its frames so far are on the lost worker)."""
        control = control or RunControl()
        actor = self.pool.take(lambda: control.stopped, MOVE_WAIT_S)
        if actor is None:
            if control.stopped:
                return
            raise ClusterError("no painter of the Ray cluster is free: try again in a minute")
        output = output or tempfile.NamedTemporaryFile(suffix=".mp4", delete=False).name
        args = (Path(path).read_bytes(), Path(path).suffix, _portable(style), settings or Settings(), options)
        try:
            for frame in self._frames(actor, args, control, start="start_clip"):
                if frame.final and frame.output:
                    Path(output).write_bytes(self.ray.get(actor.take_file.remote(frame.output)))
                    frame = dataclasses.replace(frame, output=str(output))
                yield frame
        except self.lost_errors:
            self.pool.lost(actor)
            raise ClusterError("the cluster lost the worker painting this clip: press Run again") from None
        except BaseException:
            self.pool.give_back(actor)
            raise
        self.pool.give_back(actor)

    def fast_stylize(self, content, style, settings: Settings | None = None):
        """Instant on a warm worker (its fast-path model loaded when it started)."""
        actor = self.pool.take(lambda: False, MOVE_WAIT_S)
        if actor is None:
            raise ClusterError("no painter of the Ray cluster is free: try again in a minute")
        try:
            image = self.ray.get(actor.instant.remote(_portable(content), _portable(style), settings or Settings()))
        except self.lost_errors:
            self.pool.lost(actor)
            raise ClusterError("the cluster lost the worker making this picture: press Instant again") from None
        except BaseException:
            self.pool.give_back(actor)
            raise
        self.pool.give_back(actor)
        return image


def connect(address: str, cpus_per_run: int = 1) -> RemotePainter:
    """Join the cluster at ``address`` (``ray://HOST:10001``, a node's ``HOST:6379``, or ``auto``:
    a Ray started here for this app), and start its warm workers. Raises NSTError (one line) when
    Ray is missing or the cluster cannot be reached."""
    local = address == "auto"
    ray = require_ray(local)
    # the same connection as a batch's: a busy head retried, a refusal said in one line (Ray's own
    # warning about it would add two more)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        join(ray, None if local else address, cpus_per_run, None, Settings(init="fast"),  # Instant runs there too
             hint="check NST_RAY_ADDRESS, that the head's client port is reachable and its token in RAY_AUTH_TOKEN")
    actor = ray.remote(Painter).options(num_cpus=cpus_per_run, max_restarts=-1, max_task_retries=0,
                                        max_concurrency=ACTOR_CALLS)
    return RemotePainter(ray, Pool(ray, actor, cpus_per_run), address)
