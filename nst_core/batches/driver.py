"""The driver of a batch: checks the pairs and settings, skips finished pictures, then hands the
rest to the Ray runner or the local one (imported only when used: no Ray, no TensorFlow here)."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Sequence

from ..settings import Settings
from .pairs import BatchReport, Pair, check_pairs, check_settings, plan_pictures


def run_batch(pairs: Sequence[Pair], outdir: str | os.PathLike, settings: Settings | None = None, *,
              use_ray: bool = True, address: str | None = None, cpus_per_task: int = 1,
              num_cpus: int | None = None, retries: int = 1, on_outcome=None, on_plan=None) -> BatchReport:
    """Paint every pair into ``outdir`` (created if missing), skipping finished ones. See :func:`nst_core.batch`."""
    t0 = time.perf_counter()
    settings = check_settings(settings or Settings())
    pairs = check_pairs(pairs)
    if use_ray:  # said before any file is read, not after a long check of them
        from .ray_runner import require_ray

        require_ray(local=not (address or os.environ.get("RAY_ADDRESS")))
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    todo, known = plan_pictures(pairs, settings, out)
    if on_plan:
        on_plan(len(pairs), len(todo))
    for o in known:
        if on_outcome:
            on_outcome(o)
    if not todo:
        ran, interrupted = [], False
    elif use_ray:
        from .ray_runner import run_on_ray

        ran, interrupted = run_on_ray(todo, settings, out, address=address, cpus_per_task=cpus_per_task,
                                      num_cpus=num_cpus, retries=retries, on_outcome=on_outcome)
    else:
        from .local import run_in_process

        ran, interrupted = run_in_process(todo, settings, out, on_outcome, retries)
    by_pair = {o.pair: o for o in [*known, *ran]}
    return BatchReport([by_pair[p] for p in pairs if p in by_pair], interrupted, time.perf_counter() - t0)
