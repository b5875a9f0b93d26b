"""``python -m nst_core``: the picture command, or the subcommand its first word names."""
from __future__ import annotations

import sys

#: ``python -m nst_core NAME ...``: commands of their own, each a module with ``main(argv) -> int``,
#: imported only when named (the plain form stays ``python -m nst_core CONTENT STYLE``).
SUBCOMMANDS: dict[str, str] = {"batch": "nst_core.cli.batch", "video": "nst_core.cli.video"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        import importlib

        return importlib.import_module(SUBCOMMANDS[argv[0]]).main(argv[1:])
    from .picture import main as picture

    return picture(argv)
