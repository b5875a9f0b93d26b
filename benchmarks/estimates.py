"""Do the page's time figures hold? For the default run and a 2048 px print (the page's Print size,
on the print schedule): the note's estimate before Run, the run's own ETA early on (at 10 % and
25 % of its iterations: elapsed + ETA, the finish time it promised) and the time it took.

    python benchmarks/estimates.py [--print-size 2048] [--skip-print]

One JSON line per run, with the machine (CPU model and flags) first. The process warms up first, as
the app does before serving, so the estimate uses this machine's timed speed.
"""
from __future__ import annotations

import argparse

from common import CONTENT, STYLE, emit, machine, require_images


def measure(name: str, settings) -> dict:
    from nst_core import expected_seconds, load_image, stylize

    content = load_image(CONTENT, settings.limits)
    note = expected_seconds(content.shape[:2], settings)
    promised, final = {}, None
    for frame in stylize(CONTENT, STYLE, settings):
        if frame.final:
            final = frame
            break
        for mark in (0.10, 0.25):
            if mark not in promised and frame.iteration >= mark * frame.total:
                promised[mark] = frame.elapsed_s + frame.eta_s
    took = final.elapsed_s
    return {"run": name, "note_s": round(note, 1), "eta_at_10pct_s": round(promised.get(0.10, 0), 1),
            "eta_at_25pct_s": round(promised.get(0.25, 0), 1), "took_s": round(took, 1),
            "note_over_took": round(note / took, 3), "eta10_over_took": round(promised.get(0.10, 0) / took, 3),
            "eta25_over_took": round(promised.get(0.25, 0) / took, 3)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--print-size", type=int, default=2048)
    p.add_argument("--skip-print", action="store_true")
    args = p.parse_args()
    require_images()
    from nst_core import Settings, warm_up
    from nst_core.presets import at_print_size

    warm_up()
    emit(**machine())
    emit(**measure("default", Settings(preview_every=1)))
    if not args.skip_print:
        emit(**measure(f"print {args.print_size}", at_print_size(Settings(preview_every=1), args.print_size)))


if __name__ == "__main__":
    main()
