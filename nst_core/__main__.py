"""``python -m nst_core CONTENT STYLE -o OUT.png``: see ``python -m nst_core --help``."""
import sys

from .cli.dispatch import main

if __name__ == "__main__":
    sys.exit(main())
