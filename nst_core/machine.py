"""The CPU a run happens on: its model and the flags that decide which convolution path is fastest
(``optim.autotune``) and what a recipe records about how its picture was made. No TensorFlow."""
from __future__ import annotations

import functools
import os
import platform
from pathlib import Path

REPORTED_FLAGS = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


#: oneDNN's instruction-set cap (``ONEDNN_MAX_CPU_ISA``, read by oneDNN once per process) -> the
#: REPORTED_FLAGS whose instructions it still uses. An operator who caps it (or a benchmark standing in
#: for an AVX2-only CPU, or one with avx512_bf16 but no AMX) gets the choice such a CPU would get.
_AVX512 = ("avx2", "avx512f")
ISA_CAPS = {"SSE41": (), "AVX": (), "AVX2": ("avx2",), "AVX2_VNNI": ("avx2",), "AVX2_VNNI_2": ("avx2",),
            "AVX512_CORE": _AVX512, "AVX512_CORE_VNNI": _AVX512,
            "AVX512_CORE_BF16": (*_AVX512, "avx512_bf16"), "AVX512_CORE_FP16": (*_AVX512, "avx512_bf16"),
            "AVX10_1_512": (*_AVX512, "avx512_bf16")}  # AMX names, ALL and DEFAULT: no cap


def isa_cap() -> str:
    """The oneDNN instruction-set cap this process runs under ("" if none)."""
    return (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "").strip().upper()


def cpu_info(text: str | None = None, cap: str | None = None) -> dict:
    """{'model': ..., 'flags': [the REPORTED_FLAGS this CPU has]} from /proc/cpuinfo (or ``text``),
    less those oneDNN's cap leaves unused (``cap``; for this machine, by default :func:`isa_cap`)."""
    if text is None:
        cap = isa_cap() if cap is None else cap
        try:
            text = Path("/proc/cpuinfo").read_text()
        except OSError:
            text = ""
    usable = ISA_CAPS.get((cap or "").upper())
    lines = text.splitlines()
    model = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "")
    flags = set(next((ln.split(":", 1)[1].split() for ln in lines if ln.startswith("flags")), []))
    return {"model": model or platform.processor() or platform.machine(),
            "flags": [f for f in REPORTED_FLAGS if f in flags and (usable is None or f in usable)]}


@functools.cache
def this_cpu() -> dict:
    """This machine's cpu_info(), read once."""
    return cpu_info()


def precision(conv: str) -> str:
    """The number format a convolution path computes VGG19's activations in ("" - not known yet -
    counts as float32, whose memory figures are the larger)."""
    return "bfloat16" if conv.endswith("-bf16") else "float32"
