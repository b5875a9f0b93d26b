"""Everything TensorFlow knows about VGG19: where its numbers come from, the features, the losses and
the compiled objective.

- ``weights``: the embedded 8-bit file, a Keras .h5 or Keras' download, as ``{layer: (kernel, bias)}``
  (``load_weights``, ``EMBEDDED_PATH``, ``CONV_LAYERS``).
- ``features``: VGG19 in plain TensorFlow ops, cut at the deepest layer in use (``vgg_features``,
  ``preprocess``, ``keras_vgg19``; ``tf``, the one TensorFlow import).
- ``winograd``: 3x3 convolutions by Winograd's F(4x4, 3x3) (``conv3x3``).
- ``losses``: content, Gram style, masked Gram and total-variation losses: short pure functions.
- ``objective``: the targets and the loss + gradient compiled once per process (``Targets``,
  ``objective_for``, ``get_objective``).
- ``figures``: a picture's texture, palette and content figures, by which ``conv="auto"`` judges a
  faster path (``figures``, ``figure_gaps``, ``palette_distance``).

Imports imaging and the top-level modules only. Nothing here runs an optimiser.
"""
