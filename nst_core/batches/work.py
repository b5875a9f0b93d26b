"""The work of one picture, the same in this process and in a Ray task (which is why a Ray picture
equals a local one): paint a pair, write it whole or not at all, say why an attempt failed, and
settle what an attempt comes to (done, failed, or tried again), for both runners alike."""
from __future__ import annotations

import os
import time
from pathlib import Path

from ..errors import NSTError
from ..settings import Settings
from .pairs import Outcome, Pair


def paint(photo: bytes, painting: bytes, settings: Settings, extra: dict) -> tuple[bytes, str, float]:
    """Run one pair to its final frame: (PNG bytes carrying the recipe and ``extra``, warning, seconds)."""
    from ..engine.run import stylize  # TensorFlow loads here, on the worker, not when a batch is planned
    from ..recipe import result_png

    t0 = time.perf_counter()
    last = None
    for last in stylize(photo, painting, settings):
        pass
    return result_png(last, settings, **extra), last.message, time.perf_counter() - t0


def write_atomic(path: Path, data: bytes) -> str:
    """Write via a temporary file, so a stop mid-write never leaves half a PNG under the real name.
    Returns "" or why it could not be written (that picture fails; the batch goes on)."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return f"cannot write {path}: {exc.strerror or exc}: check the folder's space and permissions"
    return ""


def failure(exc: BaseException) -> tuple[str, bool]:
    """(one line saying why an attempt failed, whether another attempt could do better). An NSTError
    names a fix in the inputs or settings: the same pair would fail the same way again."""
    if isinstance(exc, NSTError):
        return str(exc), False
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else 'no message'}", True


def settle_attempt(pair: Pair, result: tuple[bytes, str, float] | BaseException, errors: tuple[str, ...],
                   retries: int, outdir: Path) -> tuple[Outcome | None, tuple[str, ...]]:
    """What one attempt at ``pair`` comes to, from its ``result``: :func:`paint`'s, or the exception
    it raised. A painted picture is written (done, or failed if it cannot be written); a crash that
    another attempt could mend is tried again while ``retries`` allow, else the pair failed.
    Returns (the outcome, or None: try again; each failed attempt's reason so far)."""
    if isinstance(result, BaseException):
        why, again = failure(result)
        errors = (*errors, why)
        if again and len(errors) <= retries:
            return None, errors
        return Outcome(pair, "failed", why, attempts=len(errors), errors=errors), errors
    png, warning, seconds = result
    unwritten = write_atomic(outdir / pair.name, png)
    if unwritten:
        return Outcome(pair, "failed", unwritten, seconds, len(errors) + 1, errors), errors
    return Outcome(pair, "done", warning, seconds, len(errors) + 1, errors), errors
