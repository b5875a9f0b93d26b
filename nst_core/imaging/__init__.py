"""Pictures as numpy arrays: pure numpy and PIL, no TensorFlow.

- ``images``: decode with the server's limits (``load_image``, ``image_shape``, ``check_size``), fit and
  resize (``fit_size``, ``resize``, band by band for print sizes), ``to_uint8``, PNG bytes and files
  (``png_bytes``, ``save_png``).
- ``mask``: where the style goes: load and check a greyscale mask, soften it and size it to a scale
  (``load_mask``, ``check_mask``, ``at_size``, ``regions``), as a data URL for recipes.
- ``subject``: the photo's subject (or background) as a mask, GrabCut seeded by the faces found
  (``faces``), strokes or the photo's middle (``subject_mask``, ``part_mask``).
- ``colour``: colour preservation (``keep_content_colours``, ``match_colours``).
- ``animation``: the run's progress as a GIF (``frame_for_gif``, ``gif_bytes``).

Imports only nst_core's top-level settings and errors.
"""
