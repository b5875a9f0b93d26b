"""Write nst_core/data/check_pairs.npz: the two built-in pairs conv="auto" judges a faster path on.

    python tools/make_check_pairs.py

A portrait (astronaut, The Scream) and a landscape-format photo (Chelsea, The Starry Night), from
examples/ (credited in examples/CREDITS.md), at the check's size: small enough to ship (~100 KB).
"""
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PAIRS = (("portrait", "astronaut", "the_scream"), ("landscape", "chelsea", "starry_night"))
SIDE = 128  # nst_core.optim.autotune.CHECK_SIZE


def small(name: str) -> np.ndarray:
    image = Image.open(ROOT / "examples" / f"{name}.jpg").convert("RGB")
    image.thumbnail((SIDE, SIDE), Image.LANCZOS)
    return np.asarray(image)


def main() -> None:
    arrays = {f"{kind}_{role}": small(name) for kind, photo, painting in PAIRS
              for role, name in (("photo", photo), ("painting", painting))}
    np.savez_compressed(ROOT / "nst_core" / "data" / "check_pairs.npz", **arrays)


if __name__ == "__main__":
    main()
