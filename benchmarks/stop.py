"""How soon a stopped run lets go of the CPU: the figures the tests no longer assert on (a test checks
that Stop stops, and that a run nobody watches stops after its grace time; how fast is measured here).

    python benchmarks/stop.py [--repeats 5] [--grace 12]

1. In process: closing a run's generator after its first iteration (what a Stop or a gone page comes
   to): seconds until close() returns, with the optimiser's worker thread gone; beside one iteration's
   time, at 128 and 256 px.
2. On a launched app.py (gradio_client, /stylize at 256 px, 1000 iterations): the server's cores while
   the run paints, seconds from /stop until its CPU use falls under 0.25 cores; then a run whose
   client went away (its job cancelled): its cores while nobody watches, and seconds until it stops
   (NST_DETACHED_GRACE_S set to ``--grace``).
"""
import argparse
import os
import statistics
import threading
import time
from pathlib import Path

from common import ROOT, emit, machine, start_app

EXAMPLES = ROOT / "examples"
IDLE = 0.25  # cores: under this the server is idle (its timers and polling use a little)


def lbfgs_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "lbfgs" and t.is_alive())


def close_after_first_iteration(size: int, repeats: int) -> None:
    from nst_core import Settings, load_image, stylize

    content, style = load_image(EXAMPLES / "chelsea.jpg"), load_image(EXAMPLES / "the_scream.jpg")
    s = Settings(iterations=5000, max_size=size, preview_every=1, multiscale=False)  # at its size from the start
    closes, steps = [], []
    for _ in range(repeats + 1):  # the first traces the step: not counted
        before = lbfgs_threads()
        gen = stylize(content, style, s)
        next(gen)
        t = time.perf_counter()
        next(gen)
        steps.append(time.perf_counter() - t)
        t = time.perf_counter()
        gen.close()
        closes.append(time.perf_counter() - t)
        assert lbfgs_threads() == before
    emit(kind="stop_close", size=size, repeats=repeats, close_s=round(statistics.median(closes[1:]), 3),
         close_max_s=round(max(closes[1:]), 3), iteration_s=round(statistics.median(steps[1:]), 3))


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cores_busy(pid: int, window: float = 1.0) -> float:
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0)


def seconds_to_idle(pid: int, since: float, limit: float = 300) -> float | None:
    while time.monotonic() - since < limit:
        if cores_busy(pid, 0.5) < IDLE:
            return round(time.monotonic() - since, 1)
    return None


def long_run(client):
    from gradio_client import handle_file
    from gradio_client.utils import Status

    job = client.submit(content=handle_file(str(EXAMPLES / "chelsea.jpg")),
                        style=handle_file(str(EXAMPLES / "the_scream.jpg")), iterations=1000, max_size=256,
                        api_name="/stylize")
    while job.status().code not in (Status.PROCESSING, Status.ITERATING):
        time.sleep(0.1)
    time.sleep(3)  # past the first iterations: the run paints at its pace
    return job


def on_the_server(port: int, grace: float) -> None:
    from gradio_client import Client

    proc, url = start_app(port, env={"NST_DETACHED_GRACE_S": str(grace)})
    try:
        time.sleep(5)  # the warm-up's last work
        client = Client(url, verbose=False)
        job = long_run(client)
        painting = cores_busy(proc.pid, 2.0)
        t = time.monotonic()
        client.predict(api_name="/stop")
        emit(kind="stop_server", cores_painting=round(painting, 2), stop_to_idle_s=seconds_to_idle(proc.pid, t))
        job.result(timeout=120)
        job = long_run(Client(url, verbose=False))
        job.cancel()  # the page went
        t = time.monotonic()
        unwatched = cores_busy(proc.pid, 2.0)
        emit(kind="stop_unwatched", grace_s=grace, cores_unwatched=round(unwatched, 2),
             gone_to_idle_s=seconds_to_idle(proc.pid, t))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--grace", type=float, default=12)
    p.add_argument("--port", type=int, default=7897)
    args = p.parse_args()
    emit(kind="machine", **machine())
    for size in (128, 256):
        close_after_first_iteration(size, args.repeats)
    on_the_server(args.port, args.grace)


if __name__ == "__main__":
    main()
