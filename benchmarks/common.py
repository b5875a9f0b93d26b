"""Helpers shared by the benchmark scripts: images, machine facts, medians, peak rates. Prints nothing."""
from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED_IMAGES = ROOT.parent / "shared" / "images"
CONTENT = SHARED_IMAGES / "tubingen.jpg"
STYLE = SHARED_IMAGES / "starry_night.jpg"


def require_images() -> None:
    if not CONTENT.exists():
        sys.exit(f"benchmarks need the classic test images in {SHARED_IMAGES}")


def emit(**record) -> None:
    print(json.dumps(record), flush=True)


def machine() -> dict:
    from nst_core.machine import REPORTED_FLAGS, cpu_info, isa_cap
    from nst_core.vgg.features import tf

    cpu = cpu_info()
    return {"cpu": cpu["model"], "cpu_count": os.cpu_count(), "machine": platform.machine(),
            "python": platform.python_version(), "tensorflow": tf.__version__,
            **{f: f in cpu["flags"] for f in REPORTED_FLAGS},
            **({"onednn_max_cpu_isa": isa_cap()} if isa_cap() else {}),  # the flags are as capped
            "date": time.strftime("%Y-%m-%d")}


def median_times(fns: dict, repeats: int = 5, warmup: int = 2) -> dict:
    """Median seconds per call of each function, called in turn so the machine's noise hits all alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def median_time(fn, repeats: int = 5, warmup: int = 2) -> float:
    return median_times({None: fn}, repeats, warmup)[None]


def peak_rates() -> dict:
    """This machine's fp32 matmul rate and 3x3 convolution rate (fp32 and bf16), GFLOP/s."""
    from nst_core.vgg.features import tf

    n = 2048
    a = tf.random.normal((n, n))
    mm = tf.function(lambda a: tf.matmul(a, a))
    t_mm = median_time(lambda: mm(a).numpy())
    rates = {"matmul_fp32_gflops": 2 * n ** 3 / t_mm / 1e9}
    x = tf.random.normal((1, 128, 128, 256))
    k = tf.random.normal((3, 3, 256, 256))
    flops = 2 * 9 * 256 * 256 * 128 * 128
    for dtype in (tf.float32, tf.bfloat16):
        xc, kc = tf.cast(x, dtype), tf.cast(k, dtype)
        conv = tf.function(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"))
        try:
            t = median_time(lambda: conv(xc, kc).numpy())
            rates[f"conv3x3_{dtype.name}_gflops"] = flops / t / 1e9
        except Exception as exc:  # bf16 conv may be missing on some CPUs/builds
            rates[f"conv3x3_{dtype.name}_gflops"] = None
            rates[f"conv3x3_{dtype.name}_error"] = exc.__class__.__name__
    return rates


def start_app(port: int, *args: str, env: dict | None = None):
    """`python app.py` on ``port``; returns (process, url) once it answers."""
    import subprocess
    import urllib.request

    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *args], cwd=ROOT,
                            env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(900):  # poll until it answers
        try:
            urllib.request.urlopen(url + "config", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("app.py did not start")
