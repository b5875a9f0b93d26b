"""``python -m nst_core batch PHOTOS... --styles PAINTINGS... -o OUTDIR``: options, progress bar, summary."""
from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from ..batches.pairs import BatchReport, Outcome
from .kit import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Parser, add_settings_options, draw_bar, fail,
                  interrupted, starting_settings)
from ..errors import NSTError


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m nst_core batch",
                description="Paint every photo in the style of every painting (or the pairs of a manifest), "
                            "one Ray task per picture, into OUTDIR/<photo>__<painting>.png. Finished pictures "
                            "with the same recipe are skipped, so running it again resumes.",
                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("photos", nargs="*", help="the photos: image files")
    p.add_argument("--styles", nargs="+", default=[], metavar="PAINTING", help="the paintings: image files")
    p.add_argument("--manifest", help="a CSV ('photo,painting' header) or JSON list of pairs, instead of "
                   "PHOTOS x --styles; paths relative to the manifest's folder")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="folder for the pictures (created)")
    p.add_argument("--preset", help="start from presets/NAME.toml; options given here override it")
    p.add_argument("--recipe", help="start from a run recipe (.json, or a PNG made here); options override it")
    p.add_argument("--address", help="a running Ray cluster, e.g. ray://HOST:10001 (default: $RAY_ADDRESS, "
                   "else a local Ray started for this batch)")
    p.add_argument("--cpus-per-task", type=int, default=1, help="cores each picture's task reserves "
                   "(TensorFlow gets as many threads)")
    p.add_argument("--num-cpus", type=int, help="local Ray only: cores it may use (default: all)")
    p.add_argument("--retries", type=int, default=1, help="further attempts for a picture whose task crashed")
    p.add_argument("--in-process", action="store_true", help="no Ray: one picture after another in this process")
    add_settings_options(p)
    return p


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    """The bar on stderr: pictures accounted for out of all, and the ETA from the pictures painted so
    far (wall clock, so the workers' parallelism is in it)."""

    def __init__(self, out: TextIO):
        self.out, self.t0, self.total, self.todo = out, time.monotonic(), 0, 0
        self.seen, self.painted, self.failed, self.skipped = 0, 0, 0, 0

    def start(self, total: int, todo: int) -> None:
        """The batch is planned: ``todo`` of its ``total`` pictures are to paint; the clock starts."""
        self.total, self.todo, self.t0 = total, todo, time.monotonic()
        self.draw()

    def __call__(self, o: Outcome) -> None:
        self.seen += 1
        self.painted += o.status == "done"
        self.failed += o.status == "failed"
        self.skipped += o.status == "skipped"
        if o.status == "failed":  # said at once, above the bar, as well as in the summary
            self.out.write(f"\rfailed: {o.pair.photo.name} + {o.pair.painting.name}: {o.message}\n")
        self.draw()

    def eta(self) -> str:
        left = self.total - self.seen
        if not left:
            return "done"
        if not self.painted:
            return "ETA --"
        return f"ETA {_duration((time.monotonic() - self.t0) / self.painted * left)}"

    def draw(self) -> None:
        extra = "".join(f", {n} {what}" for n, what in ((self.skipped, "skipped"), (self.failed, "failed")) if n)
        draw_bar(self.out, self.seen, self.total, f"{self.seen}/{self.total} pictures{extra}  {self.eta()} ")


def summary(report: BatchReport, out: TextIO) -> None:
    """A line per picture, then the totals."""
    out.write("\n")
    for o in report.outcomes:
        retried = f" after {len(o.errors)} failed attempt(s): {'; '.join(o.errors)}" if o.errors and o.status == "done" else ""
        if o.status == "done":
            out.write(f"done     {o.pair.name} ({o.seconds:.1f} s){retried}{f'; warning: {o.message}' if o.message else ''}\n")
        elif o.status == "skipped":
            out.write(f"skipped  {o.pair.name} (already there with this recipe)\n")
        else:
            tries = f" ({o.attempts} attempts)" if o.attempts > 1 else ""
            out.write(f"FAILED   {o.pair.photo.name} + {o.pair.painting.name}{tries}: {o.message}\n")
    counted = len(report.outcomes)
    done = report.count("done")
    rate = f", {done / report.seconds * 3600:.0f} pictures/hour" if done and report.seconds > 0 else ""
    stop = " (stopped by Ctrl-C: run the same command again to go on)" if report.interrupted else ""
    out.write(f"{counted} pictures: {done} done, {report.count('skipped')} skipped, {report.count('failed')} failed "
              f"in {_duration(report.seconds)}{rate}{stop}\n")


def main(argv: list[str] | None = None) -> int:
    args = vars(build_parser().parse_args(argv))
    photos, styles, manifest, output, preset, recipe, address, cpt, num_cpus, retries, in_process = (
        args.pop(k) for k in ("photos", "styles", "manifest", "output", "preset", "recipe", "address",
                              "cpus_per_task", "num_cpus", "retries", "in_process"))
    from ..batches.driver import run_batch
    from ..batches.pairs import cross_pairs, read_manifest

    progress = None
    try:
        if manifest and (photos or styles):
            fail("give either PHOTOS with --styles, or --manifest, not both")
        if not manifest and not (photos and styles):
            fail("give PHOTOS and --styles PAINTINGS (or --manifest FILE)")
        if cpt < 1 or retries < 0 or (num_cpus is not None and num_cpus < 1):
            fail("--cpus-per-task and --num-cpus must be at least 1, --retries at least 0")
        settings = starting_settings(preset, recipe).replace(**args)
        pairs = read_manifest(manifest) if manifest else cross_pairs(photos, styles)
        progress = Progress(sys.stderr)
        report = run_batch(pairs, output, settings, use_ray=not in_process, address=address, cpus_per_task=cpt,
                           num_cpus=num_cpus, retries=retries, on_outcome=progress, on_plan=progress.start)
    except KeyboardInterrupt:  # before the first task or during the stop itself: nothing half-written
        return interrupted("the pictures written so far are kept")
    except NSTError as exc:
        if progress is not None and progress.total:  # the bar is on the line: the error goes below it
            sys.stderr.write("\n")
        fail(str(exc))
    summary(report, sys.stderr)
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_FAILED if report.count("failed") else EXIT_OK
