"""Pictures as numpy arrays: pure numpy and PIL, no TensorFlow.

- ``images``: decode with the server's limits (``load_image``, ``image_shape``, ``check_size``), fit and
  resize (``fit_size``, ``resize``, band by band for print sizes), ``to_uint8``, PNG bytes and files
  (``png_bytes``, ``save_png``); a cut-out's alpha beside its picture (``load_rgba``, ``with_alpha``).
- ``mask``: where the style goes: load and check a greyscale mask, soften it and size it to a scale
  (``load_mask``, ``check_mask``, ``at_size``, ``regions``), as a data URL for recipes.
- ``faces``: frontal faces found by OpenCV's bundled cascade (``find_faces``), a feathered mask over them
  (``face_mask``) and the photo with them outlined (``outlined``): what keep_faces keeps.
- ``subject``: the photo's subject (or background) as a mask, GrabCut seeded by the faces found
  (``faces``), strokes or the photo's middle (``subject_mask``, ``part_mask``).
- ``colour``: colour preservation (``keep_content_colours``, ``match_colours``) and the painting's
  palette on the photo (``palette_only``; three ways compared in ``PALETTES``).
- ``matting``: Levin et al.'s matting Laplacian of a photo as a sparse scipy matrix, the photorealistic
  smoothing solve and the Laplacian loss term of photo mode (``matting_laplacian``, ``smooth``,
  ``Regulariser``, ``laplacian_energy``).
- ``animation``: the run's progress as a GIF (``frame_for_gif``, ``gif_bytes``).

Imports only nst_core's top-level settings and errors.
"""
