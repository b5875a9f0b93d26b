"""Batches of photos x paintings, here or on Ray (the package's own ``nst_core.batch()`` drives them).

- ``pairs``: the pairs, manifests, output names, the resume check, outcomes and the report
  (``Pair``, ``cross_pairs``, ``read_manifest``, ``check_pairs``, ``plan_pictures``, ``Outcome``,
  ``BatchReport``, ``BatchError``).
- ``work``: one picture's work, the same here and in a Ray task (``paint``, ``write_atomic``, ``failure``),
  and ``settle_attempt``: done, failed or tried again, decided alike for both runners.
- ``local``: the pairs one after another in this process (``run_in_process``).
- ``ray_runner``: one Ray task per picture (``run_on_ray``, ``require_ray``, ``connect``).
- ``driver``: checks, skips finished pictures and picks a runner (``run_batch``).

Arrows: driver -> local, ray_runner -> work -> pairs; no Ray or TensorFlow on import.
"""
