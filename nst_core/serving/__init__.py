"""The page's runs, clips and Instant painted on a Ray cluster (``NST_RAY_ADDRESS``; docs/serving.md).

- ``remote``: warm Ray actors (``Painter``), one per run slot, in a ``Pool`` that follows the
  cluster's nodes; ``RemotePainter``, whose ``stylize``, ``stylize_video`` and ``fast_stylize`` are
  nst_core's own, painted by them; ``connect``.

Sits above ``batches`` (whose Ray connection it shares) and ``video`` (whose clips its workers paint).
No Ray or TensorFlow on import.
"""
