"""The optimisation: the one loop every kind of scale runs, the optimisers behind it, and the run's
state.

- ``steps``: the loop: ``Steps`` (iterations taking Stop and Steer), ``optimise`` (best picture,
  divergence, previews; an untiled scale, a joint one, a tile's visit and video refine all run it),
  ``optimise_objective`` (the loop over a compiled objective), ``Evaluation`` and ``Outcome`` (what
  it takes and leaves), ``diverged``, ``finish``.
- ``state``: ``RunState``, what one run carries across its scales (settings in force, steering, ETA,
  Frames), handed to the loop by whole-picture scales, tiled ones and video refine; ``STEP_OVERHEAD_PX``.
- ``optimisers``: L-BFGS, Adam and SGD behind one ask/tell interface (``make_optimiser``, ``LBFGS``).
- ``lbfgsb``: scipy's compiled L-BFGS-B without ``minimize``'s start-up loops (``minimize_box``).
- ``autotune``: which convolutions to use on this machine, timed on the compiled step (``resolve``,
  ``chosen``); it times optimiser steps, so it sits here, above vgg.
- ``memory``: hand freed heap back to the system between big steps (``trim``).

Imports vgg, imaging and the top-level modules only.
"""
