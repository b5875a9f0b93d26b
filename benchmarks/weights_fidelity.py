"""How far the embedded 8-bit VGG19's features are from the .h5 they were made from.

    python benchmarks/weights_fidelity.py [H5] [IMAGE]

Prints one JSON line per layer used by the presets: ||F_embedded - F_h5|| / ||F_h5|| on a real photo.
"""
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nst_core import LAYER_PRESETS, load_image  # noqa: E402
from nst_core.vgg.features import preprocess, tf, vgg_features  # noqa: E402
from nst_core.imaging.images import fit_size, resize  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"


def main() -> None:
    h5 = sys.argv[1] if len(sys.argv) > 1 else str(SHARED / "weights" / "vgg19_notop.h5")
    photo = sys.argv[2] if len(sys.argv) > 2 else str(SHARED / "images" / "tubingen.jpg")
    img = load_image(photo)
    img = resize(img, fit_size(img.shape[:2], 384))
    layers = tuple(sorted({n for c, s in LAYER_PRESETS.values() for n in c + s}))
    x = preprocess(tf.constant(img, tf.float32))
    a, b = vgg_features("embedded", layers)(x), vgg_features(h5, layers)(x)
    for n in layers:
        fa, fb = a[n].numpy(), b[n].numpy()
        rel = float(np.linalg.norm(fa - fb) / np.linalg.norm(fb))
        print(json.dumps({"layer": n, "relative_error": rel, "image": Path(photo).name, "size": img.shape[:2]}))


if __name__ == "__main__":
    main()
