"""What ``conv="auto"`` costs the first process on a machine: a cold choice against a plain warm-up.

    python benchmarks/autotune_cost.py [--repeats 3] [--conv direct-bf16]

Each repeat starts two fresh processes in turn (so the machine's noise hits both alike): one warms up
(``nst_core.engine.warm.warm_up``: VGG19 loaded, the step traced) with the path ``--conv`` named
outright, the other with ``conv="auto"`` and an empty cache (NST_CACHE_DIR in a new folder), so it
times the candidates and runs the picture check first. The difference is what choosing costs; the
second process also reports where its seconds went (DEBUG log of ``nst_core.optim.autotune``).
Both exclude importing TensorFlow. ``--conv`` defaults to what ``auto`` picks here. Each is also
given in CPU seconds (both cores' time): on a machine shared with other work the wall clock swings
several-fold, the CPU time much less.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

from common import ROOT, emit, machine

CHILD = """
import json, logging, sys, time
sys.path.insert(0, {root!r})
from nst_core import Settings
from nst_core.engine.warm import warm_up
from nst_core.optim import autotune
phases = []
class Keep(logging.Handler):
    def emit(self, record):
        phases.append(record.getMessage())
log = logging.getLogger("nst_core")
log.setLevel(logging.DEBUG)
log.addHandler(Keep())
t, cpu = time.perf_counter(), time.process_time()
warm_up(Settings(conv={conv!r}))
seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
chosen = autotune.chosen()
print(json.dumps({{"seconds": seconds, "cpu_s": cpu, "conv": chosen.conv if chosen else {conv!r}, "log": phases}}))
"""


def child(conv: str, cache: str) -> dict:
    code = CHILD.format(root=str(ROOT), conv=conv)
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "NST_CACHE_DIR": cache},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--conv", default=None, help="the plain warm-up's path (default: what auto picks)")
    args = p.parse_args()
    emit(kind="machine", **machine())
    plain, cold, conv = [], [], args.conv
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as cache:
            auto = child("auto", cache)
        conv = conv or auto["conv"]
        with tempfile.TemporaryDirectory() as cache:
            plain.append(child(conv, cache))
        cold.append(auto)
        emit(kind="cold_choice", conv=auto["conv"], seconds=round(auto["seconds"], 2), cpu_s=round(auto["cpu_s"], 2),
             log=auto["log"])

    def median(runs, key):
        return statistics.median(r[key] for r in runs)

    emit(kind="autotune_cost", conv=conv, plain_warm_up_s=[round(r["seconds"], 2) for r in plain],
         auto_warm_up_s=[round(r["seconds"], 2) for r in cold],
         choosing_costs_s=round(median(cold, "seconds") - median(plain, "seconds"), 2),
         choosing_costs_cpu_s=round(median(cold, "cpu_s") - median(plain, "cpu_s"), 2))


if __name__ == "__main__":
    main()
