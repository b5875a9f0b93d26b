"""scipy's L-BFGS-B on a box, without scipy's per-variable Python loops at every start.

``scipy.optimize.minimize(method="L-BFGS-B", bounds=...)`` converts the bounds to a list of n tuples
and back and classifies each variable in Python loops before its first step: about 3.5 s for a
512 px tile (780 000 variables) and 11 s for a whole 1024 px picture, at every start, while the
engine waits (tiled scales start it once per tile visit). The work itself is scipy's compiled
``setulb``; this module drives it the way ``minimize`` does (same calls, same memoised evaluations,
so the same iterates: tests/test_optimisers.py compares them), with the box as two constant arrays.

``setulb`` is not public API: when its signature is not the one this driver was written against
(scipy 1.15 - 1.17), ``minimize_box`` falls back to ``minimize`` (slower, same result).

``setulb`` runs with one BLAS thread. Its BLAS calls are vector operations over the picture's pixels
(dot products, axpys), too short to gain from threads: with OpenBLAS's threads (one per core) each
call waits for them to wake, and after it they spin for a while, taking a core from the VGG step that
follows. Measured at 256x192 (147 000 variables) on 2 cores: 3x less time in ``setulb`` and 25-40 %
less per iteration (docs/benchmarks.md, Against the keras.io example). One thread also sums in one
order whatever the core count, so a seeded run's bytes do not depend on it.
"""
from __future__ import annotations

import contextlib
import functools
import threading
from typing import Callable

import numpy as np

try:
    from scipy.optimize import _lbfgsb

    _SETULB = _lbfgsb.setulb
    _KNOWN = "setulb(m,x,l,u,nbd,f,g,factr,pgtol,wa,iwa,task,lsave,isave,dsave,maxls,ln_task)"
    FAST = _KNOWN in (_SETULB.__doc__ or "")
except (ImportError, AttributeError):  # another scipy: the public path
    FAST = False

_FG, _NEW_X = 3, 1  # setulb's task codes: "evaluate f and g at x", "an iteration ended"
MAXLS = 20  # minimize's default line-search limit


@functools.cache
def _blas():
    """A handle on the BLAS libraries loaded (numpy's, scipy's), or None without threadpoolctl."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # the same iterates, only slower
        return None
    return ThreadpoolController()


# The process's BLAS thread count is one setting for all its threads: the first of several runs in
# setulb at once sets it to 1 and the last to leave gives the threads back (each restoring what it
# found would leave 1 for good when two overlap).
_blas_lock = threading.Lock()
_blas_hold: dict = {"users": 0, "limiter": None}


@contextlib.contextmanager
def one_blas_thread():
    """A context in which BLAS runs on one thread (the setting is the process's: another thread's BLAS
    call meanwhile runs on one thread too; this module's calls are a few ms each)."""
    blas = _blas()
    if blas is None:
        yield
        return
    with _blas_lock:
        if not _blas_hold["users"]:
            _blas_hold["limiter"] = blas.limit(limits=1, user_api="blas")
        _blas_hold["users"] += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_hold["users"] -= 1
            if not _blas_hold["users"]:
                _blas_hold["limiter"].restore_original_limits()


def minimize_box(fun: Callable, x0: np.ndarray, low: float, high: float, history: int) -> tuple[np.ndarray, int]:
    """Minimise ``fun(x) -> (f, grad)`` over float64 [n] ``x`` in [low, high] with L-BFGS-B
    (``history`` pairs), with no tolerance: it runs until scipy's line search cannot progress or
    ``fun`` raises. Returns (the last point, iterations done)."""
    if not FAST:
        return _public(fun, x0, low, high, history)
    n, m = x0.size, history
    x = np.clip(np.asarray(x0, np.float64).ravel(), low, high)
    lo, hi = np.full(n, float(low)), np.full(n, float(high))
    nbd = np.full(n, 2, np.int32)  # 2: bounded below and above
    f, g = 0.0, np.zeros(n)
    wa = np.zeros(2 * m * n + 5 * n + 11 * m * m + 8 * m)
    iwa = np.zeros(3 * n, np.int32)
    task, ln_task = np.zeros(2, np.int32), np.zeros(2, np.int32)
    lsave, isave, dsave = np.zeros(4, np.int32), np.zeros(44, np.int32), np.zeros(29)
    last_x, nit = None, 0
    while True:
        g = g.astype(np.float64)
        with one_blas_thread():
            _SETULB(m, x, lo, hi, nbd, f, g, 0.0, 0.0, wa, iwa, task, lsave, isave, dsave, MAXLS, ln_task)
        if task[0] == _FG:
            # minimize memoises the last point: asked for it again, it answers without evaluating
            if last_x is None or not np.array_equal(x, last_x):
                last_x = x.copy()
                f, g = fun(last_x)
                f, g = float(f), np.asarray(g, np.float64)
        elif task[0] == _NEW_X:
            nit += 1
        else:
            return x, nit


def _public(fun, x0, low, high, history):
    from scipy.optimize import Bounds, minimize

    bounds = Bounds(np.full(x0.size, float(low)), np.full(x0.size, float(high)))
    with one_blas_thread():
        res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxcor": history, "maxiter": 10**9, "maxfun": 10**9, "ftol": 0.0, "gtol": 0.0})
    return res.x, res.nit
