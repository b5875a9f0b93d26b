"""The CPU a run happens on: its model and the flags that decide which convolution path is fastest
(``optim.autotune``) and what a recipe records about how its picture was made. No TensorFlow."""
from __future__ import annotations

import functools
import platform
from pathlib import Path

REPORTED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_info(text: str | None = None) -> dict:
    """{'model': ..., 'flags': [the REPORTED_FLAGS this CPU has]} from /proc/cpuinfo (or ``text``)."""
    if text is None:
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            text = ""
    lines = text.splitlines()
    model = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "")
    flags = set(next((ln.split(":", 1)[1].split() for ln in lines if ln.startswith("flags")), []))
    return {"model": model or platform.processor() or platform.machine(),
            "flags": [f for f in REPORTED_FLAGS if f in flags]}


@functools.cache
def this_cpu() -> dict:
    """This machine's cpu_info(), read once."""
    return cpu_info()


def precision(conv: str) -> str:
    """The number format a convolution path computes VGG19's activations in ("" - not known yet -
    counts as float32, whose memory figures are the larger)."""
    return "bfloat16" if conv.endswith("-bf16") else "float32"
