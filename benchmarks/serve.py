"""Many visitors at once: N gradio_client visitors press Run together, against the app alone and against
the app with a two-node local Ray cluster behind it (NST_RAY_ADDRESS), side by side in one run.

    python benchmarks/serve.py [--visitors 8] [--size 128] [--iterations 40] [--rounds 2]

Prints the machine, then a JSON line per setup: pictures per hour, the first preview's delay (median
and worst) and the last visitor's wait. Both apps run in the test cluster's loopback-only network
namespace (tests/ray_cluster.py: one CPU per node), the alone one without the variable, so they
differ only in where the runs are painted. Needs root for the namespace and the classic test images.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from common import CONTENT, ROOT, STYLE, emit, machine, require_images

sys.path.insert(0, str(ROOT / "tests"))


def visit(url: str, size: int, iterations: int, started: float) -> dict:
    """One visitor: Run, then every update until the picture (seconds from ``started``)."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False)
    pressed = time.monotonic() - started
    job = client.submit(content=handle_file(str(CONTENT)), style=handle_file(str(STYLE)), preset="default",
                        iterations=iterations, max_size=size, multiscale=False, api_name="/stylize")
    first = None
    for _, status, *_ in job:
        if first is None and str(status).startswith("**Painting**"):
            first = time.monotonic() - started
    last_status = job.outputs()[-1][1]
    return {"pressed": pressed, "first_preview": first, "done": time.monotonic() - started,
            "ok": str(last_status).startswith("**Done**")}


def visitors(url: str, n: int, size: int, iterations: int) -> list[dict]:
    """``n`` visitors pressing Run at the same moment, each from a session of their own."""
    started, out = time.monotonic(), [None] * n

    def one(i):
        out[i] = visit(url, size, iterations, started)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def play(url: str, n: int, size: int, iterations: int) -> None:
    """Inside the namespace: wait for the app, warm every worker with n short runs, then time n visitors."""
    deadline = time.monotonic() + 600
    while True:
        try:
            urllib.request.urlopen(url + "config", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)  # polling interval
    visitors(url, n, 64, 2)  # warm-up: a cluster's workers each take a run before the timed ones
    print(json.dumps(visitors(url, n, size, iterations)), flush=True)


def figures(name: str, seen: list[dict], n: int) -> dict:
    """The visitors' figures: a first preview's delay counts the wait in the line; a run's own time is
    from its first preview to its picture (what a node adds per slot, for the docs' scaling)."""
    timed = [v for v in seen if v["first_preview"] is not None]
    firsts = [v["first_preview"] - v["pressed"] for v in timed]
    span = max(v["done"] for v in seen) - min(v["pressed"] for v in seen)
    return {"kind": "serve", "setup": name, "visitors": n, "pictures_done": sum(v["ok"] for v in seen),
            "pictures_per_hour": round(3600 * n / span, 1), "first_preview_best_s": round(min(firsts), 1),
            "first_preview_median_s": round(statistics.median(firsts), 1),
            "first_preview_worst_s": round(max(firsts), 1), "last_visitor_wait_s": round(span, 1),
            "run_s_median": round(statistics.median(v["done"] - v["first_preview"] for v in timed), 1)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--visitors", type=int, default=8)
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--iterations", type=int, default=40)
    p.add_argument("--rounds", type=int, default=2, help="each setup this often, in the order A B B A ...")
    p.add_argument("--play", help=argparse.SUPPRESS)  # inside the namespace: the app's URL
    args = p.parse_args()
    if args.play:
        return play(args.play, args.visitors, args.size, args.iterations)
    require_images()
    from ray_cluster import Cluster, free_ports

    emit(kind="machine", **machine())
    cluster = Cluster()
    setups = [("app alone", {}), ("app + 2-node Ray cluster", {"NST_RAY_ADDRESS": cluster.client})]
    order = [s for r in range(args.rounds) for s in (setups if r % 2 == 0 else setups[::-1])]  # ABBA: drift hits both
    try:
        for name, extra in order:
            port = free_ports(1)[0]
            env = {**cluster.env, "GRADIO_ANALYTICS_ENABLED": "False", **extra}
            log = open(Path(cluster.temp) / f"app-{port}.log", "w+")
            app = subprocess.Popen(cluster.command(sys.executable, "app.py", "--port", str(port)), cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
            try:
                r = subprocess.run(cluster.command(sys.executable, __file__, "--play", f"http://127.0.0.1:{port}/",
                                                   "--visitors", str(args.visitors), "--size", str(args.size),
                                                   "--iterations", str(args.iterations)),
                                   cwd=ROOT / "benchmarks", env=env, capture_output=True, text=True, timeout=7200)
                if r.returncode:
                    sys.exit(f"{name}: {r.stderr[-3000:]}")
                log.seek(0)
                if "painting on this machine instead" in log.read():  # the cluster's figures must be the cluster's
                    sys.exit(f"{name}: the app could not reach the cluster")
                emit(**figures(name, json.loads(r.stdout.strip().splitlines()[-1]), args.visitors),
                     size=args.size, iterations=args.iterations)
            finally:
                app.terminate()
                app.wait(timeout=60)
    finally:
        cluster.stop()


if __name__ == "__main__":
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    main()
