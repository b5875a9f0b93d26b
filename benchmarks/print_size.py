"""Print sizes: time, peak memory, quality and seams at 1024, 2048 and 4096 px, tiled as the engine decides.

    python benchmarks/print_size.py [--sizes 1024,2048,4096] [--pairs tubingen:starry_night,astronaut:the_scream]
    python benchmarks/print_size.py --compare [--pairs ...]   # 1024 px tiled against untiled, same settings
    python benchmarks/print_size.py --probe                   # peak memory of whole-picture steps by size and path

Each picture is made by the command line (`python -m nst_core ... --size N`) in a process of its own
under `/usr/bin/time -v`, so the figures are a user's: wall time from start to PNG (imports, model,
every scale) and the process's peak resident memory. Then, in this process: quality.py's texture,
palette, content and border figures (on the picture reduced to at most --score-side px: Keras' VGG19 at
4096 px would need ~15 GB) and the seam figure at full size: mean |Laplacian| of the luminance on the
finest tiled scale's tile boundaries (both edges of every overlap, and its middle) over the mean
elsewhere (1 = no seam; goal <= 1.10). One JSON line per picture; the machine first.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from common import ROOT, emit, machine
from quality import Scorer, image_path, seam_ratio

DEFAULT_PAIRS = "tubingen:starry_night,astronaut:the_scream"
COMPARE_PAIRS = "tubingen:starry_night,golden_gate:the_scream,astronaut:woman-with-hat-matisse,chelsea:starry_night"


def run_cli(photo: str, painting: str, size: int, out: Path, *extra: str, env: dict | None = None) -> dict:
    """One picture by the CLI under /usr/bin/time -v: {seconds, peak_mb, last frame's JSON}."""
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "nst_core", str(image_path(photo)), str(image_path(painting)),
           "-o", str(out), "--size", str(size), "--json", *extra]
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - t
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr[-2000:]}")
    peak_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    last = json.loads(p.stdout.strip().splitlines()[-1])
    return {"seconds": round(seconds, 1), "peak_mb": round(peak_kb / 1024), "last": last}


def tile_lines(shape: tuple[int, int], settings, conv: str = "") -> tuple[list[int], list[int]]:
    """Rows and columns where the finest tiled scale's tiles meet: each overlap's two edges and middle
    (tiled as a run with the convolution path ``conv`` tiles it)."""
    from nst_core.machine import precision
    from nst_core.tiles.sweeps import tile_size_at, tiles_of
    from nst_core.tiles.tiling import should_tile

    bits = precision(conv)
    if not should_tile(shape, settings.tile_size, settings.memory_budget_mb, bits):
        return [], []
    tiles = tiles_of(shape, tile_size_at(shape, settings.tile_size, settings.memory_budget_mb, bits))
    lines = ([], [])
    for axis, (lo, hi) in ((0, (0, 1)), (1, (2, 3))):
        spans = sorted({(t.support[lo], t.support[hi]) for t in tiles})
        for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
            lines[axis].extend([b0, (b0 + a1) // 2, a1])
    return lines


def score(scorer, path: Path, photo: str, painting: str, side: int, settings=None) -> dict:
    from nst_core import load_image
    from nst_core.imaging.images import fit_size, resize
    from nst_core.recipe import read_recipe, recipe_data

    out = load_image(path)
    settings = settings or read_recipe(path)  # by default the picture's own, from its PNG's recipe
    rows, cols = tile_lines(out.shape[:2], settings, recipe_data(path).get("engine", {}).get("conv", ""))
    small = resize(out, fit_size(out.shape[:2], side))
    figures = scorer.score(small, load_image(image_path(photo)), load_image(image_path(painting)))
    figures["seam"] = seam_ratio(out, rows, cols) if rows or cols else None
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in figures.items()}


def probe(convs: list[str]) -> None:
    """Peak memory of single-scale, untiled runs (3 iterations) by size and convolution path: the data
    behind tiling.py's model."""
    for conv in convs:
        for size in (256, 512, 768, 1024):
            r = run_cli("tubingen", "starry_night", size, Path(f"/tmp/probe-{size}.png"), "--iterations", "3",
                        "--no-multiscale", "--tile-size", "0", "--conv", conv)
            emit(kind="probe", conv=conv, size=size, peak_mb=r["peak_mb"], seconds=r["seconds"])


def sweeps_trial(counts: list[int], size: int, iterations: int, pair: list[str]) -> None:
    """Sweeps against one visit per tile, at the same tile-iterations: the whole picture's loss (the
    untiled objective, evaluated once on the result), the seam figure and the time, in this process."""
    from nst_core import Settings, load_image, stylize
    from nst_core.optim.autotune import resolve
    from nst_core.vgg.objective import Targets, objective_for
    from nst_core.engine.run import blend_grams, size_images

    content, style = (load_image(image_path(n)) for n in pair)
    for n in counts:
        s = Settings(max_size=size, iterations=iterations, tile_sweeps=n, memory_budget_mb=0)
        t = time.perf_counter()
        *_, last = stylize(content, style, s)
        seconds = time.perf_counter() - t
        objective = objective_for(s, resolve(s.conv, s.weights, s.padding))
        c, styles = size_images(content, [style], size, s)
        targets = Targets(objective.content_targets(c), blend_grams(objective, styles, ()))
        total, parts, _ = objective(last.image.astype("float32"), targets,
                                    (s.content_weight, s.style_weight, s.tv_weight), s.normalized_style_layer_weights,
                                    s.tv_power)
        rows, cols = tile_lines(last.image.shape[:2], s, last.conv)
        from nst_core.imaging.images import save_png

        save_png(last.image, f"/tmp/nst-print-sweeps-{n}.png")
        emit(kind="sweeps", sweeps=n, iterations_per_tile=iterations, size=size, pair=":".join(pair),
             seconds=round(seconds, 1), whole_picture_loss=round(total, 4), **{k: round(v, 4) for k, v in parts.items()},
             seam=round(seam_ratio(last.image, rows, cols), 4))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1024,2048,4096")
    ap.add_argument("--pairs", help=f"photo:painting pairs (default {DEFAULT_PAIRS}; with --compare {COMPARE_PAIRS})")
    ap.add_argument("--work", default="/tmp/nst-print", help="where the pictures go")
    ap.add_argument("--compare", action="store_true", help="1024 px tiled (budget 0) against untiled")
    ap.add_argument("--probe", action="store_true")
    ap.add_argument("--probe-convs", default="winograd,direct-bf16", help="the paths --probe measures")
    ap.add_argument("--sweeps", help="compare sweep counts, e.g. 1,2,3 (at --trial-size, --trial-iterations)")
    ap.add_argument("--trial-size", type=int, default=1024)
    ap.add_argument("--trial-iterations", type=int, default=12)
    ap.add_argument("--score-side", type=int, default=2048)
    ap.add_argument("--set", action="append", default=[], metavar="FLAG=VALUE",
                    help="extra CLI options for every run, e.g. --set preset=print --set tile-sweeps=2")
    args = ap.parse_args()
    from nst_core import Settings

    emit(kind="machine", **machine(), settings=Settings().to_dict())
    if args.probe:
        return probe(args.probe_convs.split(","))
    if args.sweeps:
        pair = (args.pairs or DEFAULT_PAIRS).split(",")[0].split(":")
        return sweeps_trial([int(n) for n in args.sweeps.split(",")], args.trial_size, args.trial_iterations, pair)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    extra = [a for kv in args.set for a in (f"--{kv.split('=', 1)[0]}", kv.split("=", 1)[1])]
    pairs = [p.split(":") for p in (args.pairs or (COMPARE_PAIRS if args.compare else DEFAULT_PAIRS)).split(",")]
    runs = []  # (tag, photo, painting, size, extra CLI options, env, settings for the seam's lines or None)
    for photo, painting in pairs:
        if args.compare:
            big = {"NST_MAX_MEMORY_MB": "100000"}
            # the untiled picture's seam figure on the tiled one's lines: what the picture has there anyway
            # --enlarge: a smaller photo (the astronaut is 512 px) is painted at 1024 too, or nothing is tiled
            runs.append(("untiled", photo, painting, 1024, ["--enlarge", "--memory-budget", "100000", *extra], big,
                         Settings(memory_budget_mb=0)))
            runs.append(("tiled", photo, painting, 1024, ["--enlarge", "--memory-budget", "0", *extra], {}, None))
        else:
            for size in map(int, args.sizes.split(",")):  # painted at the size asked, as the page's print sizes do
                runs.append(("print", photo, painting, size, ["--enlarge", *extra], {}, None))
    done = []
    for tag, photo, painting, size, opts, env, settings in runs:  # all pictures first, then the scorer
        out = work / f"{tag}-{size}-{photo}-{painting}.png"
        r = run_cli(photo, painting, size, out, *opts, env=env)
        emit(kind="run", tag=tag, pair=f"{photo}:{painting}", size=size, seconds=r["seconds"], peak_mb=r["peak_mb"],
             iterations=r["last"]["total"], output=str(out))
        done.append((tag, photo, painting, size, out, settings, r))
    scorer = Scorer()
    by_pair = {}
    for tag, photo, painting, size, out, settings, r in done:
        figures = score(scorer, out, photo, painting, args.score_side, settings)
        by_pair.setdefault((photo, painting), {})[tag] = figures
        emit(kind="picture", tag=tag, pair=f"{photo}:{painting}", size=size, seconds=r["seconds"],
             peak_mb=r["peak_mb"], **figures)
    if args.compare:
        for (photo, painting), f in by_pair.items():
            ratios = {k: round(f["tiled"][k] / f["untiled"][k], 3) for k in ("texture", "palette", "content")}
            emit(kind="compare", pair=f"{photo}:{painting}", tiled_over_untiled=ratios,
                 within_5_percent=all(abs(v - 1) <= 0.05 for v in ratios.values()), seam=f["tiled"]["seam"])


if __name__ == "__main__":
    main()
