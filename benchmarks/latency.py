"""Interactive latency: from Run to the first preview in the app at default settings, then the cadence.

    python benchmarks/latency.py [--runs 3]

Starts `python app.py` (which warms its models), waits until it answers and the warm-up is done,
then drives /stylize through gradio_client with Tübingen x The Starry Night at the defaults.
"""
import argparse
import math
import statistics
import time

from common import CONTENT, STYLE, emit, require_images, start_app
from nst_core import Settings


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--port", type=int, default=7899)
    args = p.parse_args()
    require_images()
    from gradio_client import Client, handle_file

    proc, url = start_app(args.port)
    try:
        d = Settings()
        client = Client(url, verbose=False)
        knobs = ("default", 0.0, round(math.log10(d.style_weight), 2), round(math.log10(d.tv_weight), 2),
                 d.iterations, d.max_size, d.optimizer, d.layers)
        # one short run first, at 128 px: the warm-up thread has finished once it completes, and run 0
        # still meets the painting at 256 px for the first time (its Grams not cached: a first click)
        client.predict(handle_file(str(CONTENT)), handle_file(str(STYLE)), *knobs[:4], 2, 128, *knobs[6:],
                       api_name="/stylize")
        for run in range(args.runs):
            t0 = time.perf_counter()
            job = client.submit(handle_file(str(CONTENT)), handle_file(str(STYLE)), *knobs, api_name="/stylize")
            stamps = [time.perf_counter() - t0 for _ in job]
            gaps = [b - a for a, b in zip(stamps, stamps[1:-1])]
            emit(kind="latency", run=run, size=d.max_size, iterations=d.iterations, first_preview_s=round(stamps[0], 2),
                 median_gap_s=round(statistics.median(gaps), 2), max_gap_s=round(max(gaps), 2),
                 frames=len(stamps), total_s=round(stamps[-1], 1))
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
