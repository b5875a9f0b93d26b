"""The local runner: a batch's pairs one after another in this process, no Ray."""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from ..settings import Settings
from .pairs import Outcome, Pair
from .work import paint, settle_attempt


def run_in_process(todo: Sequence[tuple[Pair, dict]], settings: Settings, outdir: Path, on_outcome=None,
                   retries: int = 1) -> tuple[list[Outcome], bool]:
    """The pairs one after another in this process (no Ray): the baseline, and for machines without
    Ray. Returns (outcomes, whether Ctrl-C stopped it): the pictures finished before it stay written."""
    outcomes: list[Outcome] = []
    try:
        for pair, extra in todo:
            outcome, errors = None, ()
            while outcome is None:
                try:
                    result = paint(pair.photo.read_bytes(), pair.painting.read_bytes(), settings, extra)
                except Exception as exc:  # noqa: BLE001 - one picture's crash must not stop the others
                    result = exc
                outcome, errors = settle_attempt(pair, result, errors, retries, outdir)
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    except KeyboardInterrupt:
        return outcomes, True
    return outcomes, False
