"""Write nst_core/data/check_pairs.npz: the two built-in pairs conv="auto" judges a faster path on.

    python tools/make_check_pairs.py

A portrait (astronaut, The Scream) and a landscape-format photo (Chelsea, The Starry Night), from
examples/ (credited in examples/CREDITS.md), at the check's size: small enough to ship (~150 KB),
with float32's pictures of them (a check run with Winograd float32) and the settings those were
painted with (``autotune.float32_recipe``), so that a machine runs only the candidate. Run it again
when a default that the recipe names or the optimiser changes (tests/test_autotune.py says so).
"""
import sys
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
    path = ROOT / "nst_core" / "data" / "check_pairs.npz"
    np.savez_compressed(path, **arrays)  # the check runs read the pairs from here
    sys.path.insert(0, str(ROOT))
    from nst_core.optim import autotune

    autotune.check_pairs.cache_clear()
    for kind, _, _ in PAIRS:
        arrays[f"{kind}_float32"] = autotune._check_run("winograd", "embedded", "reflect", kind)
    np.savez_compressed(path, **arrays, float32_recipe=np.array(autotune.float32_recipe()))


if __name__ == "__main__":
    main()
