"""The command line, ``python -m nst_core ...``.

- ``dispatch``: ``main(argv)``: the picture command, or the subcommand named first (``SUBCOMMANDS``).
- ``kit``: what the commands share, written once: ``Parser`` (one-line errors),
  ``add_settings_options`` (one option per Settings field), ``starting_settings`` (preset, recipe),
  ``fail``, ``output_path``, the exit codes (``EXIT_OK``, ``EXIT_FAILED``, ``EXIT_BAD_INPUT``,
  ``EXIT_INTERRUPTED``), ``draw_bar`` (the progress bar), ``ctrl_c_stops`` and ``interrupted``.
- ``picture``: ``python -m nst_core CONTENT STYLE`` (``build_parser``, ``main``).
- ``video``: ``python -m nst_core video`` (``build_parser``, ``main``).
- ``batch``: ``python -m nst_core batch`` (``build_parser``, ``main``).

The outermost layer: it may import anything in nst_core; nothing imports it but ``__main__``.
"""
