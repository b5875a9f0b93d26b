"""Fast path: seconds per image at 512 px after the first call (the Magenta model or its stand-in).

    NST_HUB_MODEL=../shared/hub/magenta_arbitrary_lite python benchmarks/fast_path.py
"""
import os
import time

from common import CONTENT, ROOT, STYLE, emit, median_time, require_images
from nst_core import Settings, fast_stylize, load_image

LOCAL = ROOT.parent / "shared" / "hub" / "magenta_arbitrary_lite"


def main() -> None:
    require_images()
    handle = os.environ.get("NST_HUB_MODEL") or (str(LOCAL) if LOCAL.exists() else None)
    s = Settings(max_size=512, **({"hub_model": handle} if handle else {}))
    content, style = load_image(CONTENT), load_image(STYLE)
    t = time.perf_counter()
    out = fast_stylize(content, style, s)
    first = time.perf_counter() - t
    med = median_time(lambda: fast_stylize(content, style, s), repeats=7, warmup=1)
    emit(kind="fast_path", model=s.hub_model, shape=list(out.shape[:2]), first_call_s=round(first, 2),
         s_per_image=round(med, 3))


if __name__ == "__main__":
    main()
