"""Uptime: many runs in a row in one server process; its memory and temporary files must stay flat.

    python benchmarks/soak.py [--runs 50]
"""
import argparse
import os
import tempfile
from pathlib import Path

from common import emit, start_app


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def temp_files(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root)) if root.exists() else 0


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--port", type=int, default=7898)
    args = p.parse_args()
    from gradio_client import Client, handle_file
    from PIL import Image

    work = Path(tempfile.mkdtemp(prefix="nst-soak-"))
    gradio_tmp = work / "gradio"
    env = {"GRADIO_TEMP_DIR": str(gradio_tmp), "TMPDIR": str(work / "tmp")}
    (work / "tmp").mkdir()
    proc, url = start_app(args.port, "--no-warmup", env=env)
    try:
        client = Client(url, verbose=False)
        samples = []
        for i in range(args.runs):
            photo, painting = work / f"p{i}.png", work / f"s{i}.png"
            Image.new("RGB", (96, 72), (i * 5 % 255, 100, 200)).save(photo)
            Image.new("RGB", (64, 64), (200, i * 5 % 255, 50)).save(painting)
            client.predict(handle_file(str(photo)), handle_file(str(painting)), "default", 0.0, -4.7, 2.0, 3, 96,
                           "lbfgs", "gatys", api_name="/stylize")
            if i in (0, 9, args.runs // 2, args.runs - 1):
                samples.append({"run": i + 1, "rss_mb": round(rss_mb(proc.pid)),
                                "app_temp_files": temp_files(work / "tmp"),
                                "gradio_cache_files": temp_files(gradio_tmp)})
        for s in samples:
            emit(kind="soak", **s)
        emit(kind="soak_summary", runs=args.runs, rss_growth_mb_after_run10=samples[-1]["rss_mb"] - samples[1]["rss_mb"],
             app_temp_files_left=samples[-1]["app_temp_files"])
    finally:
        proc.terminate()


if __name__ == "__main__":
    main()
