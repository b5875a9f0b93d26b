"""Make nst_core/data/vgg19_q8.npz, the embedded 8-bit VGG19, from a Keras VGG19 notop .h5.

    python tools/quantize_vgg19.py ../shared/weights/vgg19_notop.h5

Each convolution kernel becomes a 256-entry float32 table plus uint8 indices (biases stay float32).
"""
import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from nst_core.vgg.weights import EMBEDDED_PATH, load_h5, load_quantized, save_quantized  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("h5", help="Keras VGG19 notop weights (.h5)")
    p.add_argument("-o", "--out", default=str(EMBEDDED_PATH))
    args = p.parse_args()
    source = load_h5(args.h5)
    save_quantized(source, args.out)
    back = load_quantized(args.out)
    worst = max(abs(back[n][0] - k).max() / abs(k).max() for n, (k, _) in source.items())
    print(f"wrote {args.out} ({Path(args.out).stat().st_size / 1e6:.1f} MB); "
          f"worst kernel error {worst:.2e} of the layer's largest value")


if __name__ == "__main__":
    main()
