"""Print sizes: a picture too large for one forward pass, optimised tile by tile.

- ``tiling``: the grid and its blending windows, the memory estimates, when to tile (``tile_grid``,
  ``Windows``, ``should_tile``, ``joint_fits``, ``picture_mb``, ``tile_mb``).
- ``tiled``: one tile's compiled share of the whole picture's loss (``tiled_objective``), its step's
  named inputs and outputs (``TileInputs``, ``TileResult``).
- ``joint``: one optimiser over the whole picture, its loss and gradient summed over the tiles
  (``optimise_joint``), through optim's loop.
- ``sweeps``: sweeps over the tiles where that does not fit, each visit a run of optim's loop
  (``optimise_tiled``, ``style_grams``, ``tiles_of``, ``tile_size_at``).
- ``kept_lbfgs``: an L-BFGS that keeps each tile's history between sweeps (``KeptLBFGS``, ``TileHistory``).
- ``spill``: arrays kept on disk instead of in memory (``Spill``, ``PairSpill``).

Imports optim, vgg, imaging and the top-level modules only.
"""
