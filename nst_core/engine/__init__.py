"""``stylize()``: a run from photo and painting to the final Frame.

- ``run``: ``stylize``, ``prepare``, ``make_objective`` (the objective for some settings),
  ``size_images``, ``prepare_images``, ``blend_grams``, ``initial_pixels``, ``GramsByTiles``.
- ``schedule``: a run's plan: its scales, their iterations, which are tiled, and about how long it
  takes (``plan``, ``scale_sizes``, ``estimate_seconds``).
- ``warm``: ``warm_up``, a process's models loaded and its step traced before the first run.
- ``photo``: photo mode in a run: the recoloured start, the matting-Laplacian term or the last
  smoothing, the one-line refusal at tiled sizes (``recoloured``, ``regulariser``, ``finish``,
  ``check_photo``).
- ``warmstart``: a finer scale's start from the coarser result (``enlarge``, ``finest_octave``,
  ``blend_weights``).

Imports tiles, optim, vgg, imaging, the top-level modules and ``fast`` (for ``init="fast"``).
"""
