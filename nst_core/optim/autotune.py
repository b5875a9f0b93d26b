"""``conv="auto"``: pick the fastest convolution path this CPU has, once per machine.

Why: the fastest path depends on the CPU. Without AVX-512, oneDNN has no Winograd kernels, and our
Winograd float32 step was 1.9-2.1x faster than its direct convolutions. With native bfloat16
(``avx512_bf16``, ``amx_bf16``), ``direct-bf16`` (activations in bf16, Grams and losses in float32)
takes 0.30x of a plain float32 step's time. So the engine times its candidates, once:

* float32: ``winograd`` and ``direct``. Both paint the float32 picture (tests/test_winograd.py);
* bfloat16 (``direct-bf16``, ``winograd-bf16``), only where the CPU does bf16 natively. Elsewhere it
  is emulated and about 10x slower.

A bf16 path counts only if it paints the same picture, judged as a person would judge it, not by its
pixels (L-BFGS carries any rounding far: two float32 paths differ by 30+ dB PSNR after a run, and are
equally good). On two built-in pairs (a portrait, a landscape-format photo) at CHECK_SIZE px, a run of
a default run's length with the candidate; its picture and float32's are judged by float32 (oneDNN's
direct convolutions, one forward pass): the candidate's loss within 2 % and its figures (texture,
palette, content: ``nst_core.vgg.figures``) within 3 % of the float32 picture's. At 512 px the same
comparison gives the same verdict (docs/how-it-works.md, bfloat16). Only the fastest bf16 path is
checked, and the next one only if it fails: a slower one could not win.

float32's pictures of the pairs ship with them (``tools/make_check_pairs.py`` paints them), so a
machine pays only the candidate's runs: two float32 runs differ by their rounding, a few tenths of a
% in these figures, whichever machine or float32 path painted them. When the settings they were
painted with are no longer the defaults (:func:`float32_recipe`), the fastest float32 path here
paints them again, as it did before they shipped.

Beyond a warm-up, choosing costs the losing paths' step traces (once each; their timing's targets are
computed op by op, not traced) and the candidate's check runs; the winner's traces are the run's.

The choice is kept on disk per CPU model, flags and TensorFlow version, in
``$NST_CACHE_DIR``, else ``$XDG_CACHE_HOME/nst_core``, else ``~/.cache/nst_core``. A later process
on the same kind of machine reads it back and starts at once.
"""
from __future__ import annotations

import functools
import json
import logging
import math
import os
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..machine import NATIVE_BF16_FLAGS, REPORTED_FLAGS, cpu_info, this_cpu  # noqa: F401 (cpu_info: the tests')

log = logging.getLogger("nst_core")

FLOAT32_CONVS = ("winograd", "direct")
BF16_CONVS = ("direct-bf16", "winograd-bf16")
# Timed this small so that choosing costs little more than a plain warm-up (tracing the losing path is
# most of it), while the paths rank as at full size (docs/how-it-works.md, The estimates' constants).
TIME_SHAPE = (96, 128)
# The fastest of TIME_STEPS steps, in TIME_ROUNDS rounds taking the candidates in turn: a busy machine
# only ever adds time, and whatever else runs then hits every candidate alike. (Timed once each, by
# their medians, a busy Xeon once ranked Winograd float32 above direct-bf16, 2.8x slower at 512 px.)
TIME_STEPS = 4
TIME_ROUNDS = 2
# Where float32 is what runs, its two paths are ranked again here: so small, a CPU's caches can favour
# direct convolutions that lose at the sizes runs have (docs/how-it-works.md, The estimates' constants).
RANK_SHAPE = (192, 256)
CHECK_SIZE = 128  # the built-in pairs' longer side (tools/make_check_pairs.py)
CHECK_ITERATIONS = 40  # a default run's length: 10 iterations at its coarse scale, 30 at the last
MAX_LOSS_GAP, MAX_FIGURE_GAP = 0.02, 0.03
CHECK_PAIRS = Path(__file__).resolve().parents[1] / "data" / "check_pairs.npz"
CHECK_VERSION = 2  # part of the cache's key: a choice an earlier check made is made again
_lock = threading.Lock()
_memo: dict[str, "ConvChoice"] = {}


@dataclass(frozen=True)
class ConvChoice:
    """What ``conv="auto"`` runs on this machine, and why."""

    conv: str
    seconds_per_step: dict[str, float]  # each timed candidate, at TIME_SHAPE
    rejected: dict[str, str] = field(default_factory=dict)  # candidate -> why its picture did not count
    cpu: str = ""
    from_cache: bool = False
    ranked: dict[str, float] = field(default_factory=dict)  # the float32 paths at RANK_SHAPE, if it came to that

    def summary(self) -> str:
        times = ", ".join(f"{k} {v:.3f} s" for k, v in self.seconds_per_step.items())
        why = "".join(f"; {k} not used: {v}" for k, v in self.rejected.items())
        again = ", ".join(f"{k} {v:.3f} s" for k, v in self.ranked.items())
        again = f"; at {RANK_SHAPE[1]}x{RANK_SHAPE[0]}: {again}" if again else ""
        return f"convolutions: {self.conv} (per step at {TIME_SHAPE[1]}x{TIME_SHAPE[0]}: {times}{why}{again})"


def candidates(flags) -> tuple[str, ...]:
    """The convolution paths worth timing on a CPU with these flags."""
    native = any(f in flags for f in NATIVE_BF16_FLAGS)
    return FLOAT32_CONVS + (BF16_CONVS if native else ())


def cache_file() -> Path:
    root = os.environ.get("NST_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "nst_core")
    return Path(root) / "conv-choice.json"


def _key(cpu: dict) -> str:
    from ..vgg.features import tf

    ranked = f"{RANK_SHAPE[1]}x{RANK_SHAPE[0]}"  # a choice made before float32 was ranked there is made again
    return f"{cpu['model']}|{','.join(cpu['flags'])}|tf {tf.__version__}|check {CHECK_VERSION}|rank {ranked}"


def _read_cache(key: str) -> ConvChoice | None:
    try:
        entry = json.loads(cache_file().read_text()).get(key)
        return None if entry is None else ConvChoice(**{**entry, "from_cache": True})
    except (OSError, ValueError, TypeError):  # missing, unreadable or from another version: time again
        return None


def _write_cache(key: str, choice: ConvChoice) -> None:
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            entries = json.loads(path.read_text())
        except (OSError, ValueError):
            entries = {}
        entries[key] = {k: v for k, v in asdict(choice).items() if k != "from_cache"}
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entries, indent=1))
        tmp.replace(path)  # atomic: two processes timing at once never leave half a file
    except OSError as exc:  # a read-only home must not stop a run: it only times again next time
        log.warning("could not keep the convolution choice in %s (%s)", path, exc)


def _pair(size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """A made-up photo and painting (smooth shapes; strokes) for timing."""
    h, w = size
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    photo = np.stack([128 + 100 * np.sin(6 * x), 128 + 100 * np.cos(5 * y), 255 * (x * y)], -1)
    rng = np.random.default_rng(0)
    strokes = np.stack([128 + 120 * np.sin(40 * x + 30 * y + rng.uniform(0, 6)) for _ in range(3)], -1)
    return np.clip(photo, 0, 255).astype(np.uint8), np.clip(strokes, 0, 255).astype(np.uint8)


@functools.cache
def check_pairs() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{"portrait" | "landscape": (photo, painting)}, uint8, at CHECK_SIZE px."""
    with np.load(CHECK_PAIRS) as d:
        return {kind: (d[f"{kind}_photo"], d[f"{kind}_painting"]) for kind in ("portrait", "landscape")}


def time_step(conv: str, source: str = "embedded", padding: str = "reflect",
              shape: tuple[int, int] = TIME_SHAPE) -> float:
    """Seconds of the fastest of TIME_STEPS compiled steps (the run's own, default layers) at ``shape``."""
    from ..vgg.objective import objective_for
    from ..settings import Settings

    s = Settings(conv=conv, weights=source, padding=padding)
    objective = objective_for(s, conv)
    photo, painting = _pair(shape)
    targets = objective.eager_targets(photo, painting)  # a losing path's target passes are never traced
    x, layer_w = photo.astype(np.float32), s.normalized_style_layer_weights
    args = (targets, (s.content_weight, s.style_weight, s.tv_weight), layer_w, s.tv_power)
    objective(x, *args)  # traces (reused by later runs: the step's shapes are not fixed)
    times = []
    for _ in range(TIME_STEPS):
        t = time.perf_counter()
        objective(x, *args)
        times.append(time.perf_counter() - t)
    return min(times)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


@functools.lru_cache(maxsize=16)
def _check_run(conv: str, source: str, padding: str, pair: str) -> np.ndarray:
    """The uint8 picture CHECK_ITERATIONS L-BFGS iterations on the built-in ``pair`` give, from the photo:
    the step ``conv`` gives, driven by the optimiser alone (not the run loop, which itself asks this
    module which step to use)."""
    from ..imaging.images import to_uint8
    from ..vgg.objective import objective_for
    from .optimisers import make_optimiser
    from ..settings import Settings

    photo, painting = check_pairs()[pair]
    s = _check_settings(conv, source, padding)
    objective = objective_for(s, conv)
    # traced as a run's are (the winner's traces are the run's): in bf16, a traced pass rounds where
    # oneDNN fuses, op by op elsewhere, and the run the check stands for is the traced one
    targets = objective.targets(photo, painting)
    args = (targets, (s.content_weight, s.style_weight, s.tv_weight), s.normalized_style_layer_weights, s.tv_power)
    opt, best = make_optimiser(photo.astype(np.float32), s), (math.inf, photo)
    try:
        for _ in range(CHECK_ITERATIONS):
            x = opt.ask()
            if x is None:
                break
            loss, _, grad = objective(x, *args)
            if loss <= best[0]:
                best = (loss, x.copy())
            opt.tell(loss, grad)
    finally:
        opt.close()
    return to_uint8(best[1])


JUDGE = "direct"  # float32 that needs no kernel transform: the judge's forward passes run op by op, untraced


class Judge:
    """Judges pictures painted from the built-in pairs as float32 sees them: their loss under the
    float32 objective and their figures (texture, palette, content). One forward pass per image, op
    by op (nothing traced), kept: the pair's photo and painting give both the loss's targets and the
    figures' references, and a picture's one pass gives both its loss and its figures."""

    def __init__(self, source: str = "embedded", padding: str = "reflect"):
        from ..settings import Settings
        from ..vgg.objective import objective_for

        s = Settings(conv=JUDGE, weights=source, padding=padding)
        self.objective = objective_for(s, JUDGE)
        self.knobs = ((s.content_weight, s.style_weight, s.tv_weight), s.normalized_style_layer_weights, s.tv_power)
        content_layers, style_layers = s.layer_names
        self.layers = style_layers + content_layers
        self._targets: dict = {}
        self._passes: dict = {}

    def _pass(self, image: np.ndarray) -> dict:
        key = (image.shape, image.dtype.str, image.tobytes())
        if key not in self._passes:
            self._passes[key] = self.objective.features_of(image)
        return self._passes[key]

    def features(self, image: np.ndarray) -> list[np.ndarray]:
        out = self._pass(image)
        return [out[n][0].numpy() for n in self.layers]

    def __call__(self, picture: np.ndarray, pair: str) -> dict[str, float]:
        from ..vgg.figures import figures

        photo, painting = check_pairs()[pair]
        if pair not in self._targets:
            self._targets[pair] = self.objective.eager_targets(photo, painting, features=self._pass)
        loss = self.objective.loss_at(picture.astype(np.float32), self._targets[pair], *self.knobs,
                                      features=self._pass(picture))
        return {"loss": loss, **figures(self.features, picture, photo, painting)}


def _check_settings(conv: str, source: str, padding: str):
    from ..settings import Settings

    return Settings(conv=conv, weights=source, padding=padding, optimizer="lbfgs")


def float32_recipe(source: str = "embedded", padding: str = "reflect") -> str:
    """What float32's pictures of the pairs depend on besides the code: the check's length and the
    settings of its runs. The shipped pictures count only while this is what they were painted with."""
    s = _check_settings("winograd", source, padding)
    fields = ("weights", "padding", "normalization", "content_weight", "style_weight", "tv_weight", "tv_power",
              "optimizer", "lbfgs_history")
    return json.dumps({"check": CHECK_VERSION, "iterations": CHECK_ITERATIONS, "layers": s.layer_names,
                       "layer_weights": s.normalized_style_layer_weights,
                       **{k: getattr(s, k) for k in fields}}, sort_keys=True)


@functools.cache
def _shipped() -> tuple[str, dict[str, np.ndarray]]:
    with np.load(CHECK_PAIRS) as d:
        if "float32_recipe" not in d:
            return "", {}
        return str(d["float32_recipe"]), {kind: d[f"{kind}_float32"] for kind in ("portrait", "landscape")}


def float32_picture(pair: str, reference: str, source: str = "embedded", padding: str = "reflect") -> np.ndarray:
    """float32's picture of the built-in ``pair``: the shipped one when it was painted with today's
    settings (:func:`float32_recipe`), else painted here with the float32 path ``reference``."""
    recipe, pictures = _shipped()
    if recipe == float32_recipe(source, padding):
        return pictures[pair]
    log.info("the shipped float32 check pictures were painted with other settings: painting them here "
             "(tools/make_check_pairs.py makes them again)")
    return _check_run(reference, source, padding, pair)


def picture_gaps(conv: str, reference: str = "winograd", source: str = "embedded", padding: str = "reflect",
                 pictures: Callable[[str, str], np.ndarray] | None = None) -> dict[str, float]:
    """How far ``conv``'s pictures are from float32's: the relative difference of each judged figure,
    summed over the built-in pairs (one run's figures swing by a few % either way, as two float32
    paths' do: docs/how-it-works.md, bfloat16). ``pictures(conv, pair)`` paints them (default: a run
    of CHECK_ITERATIONS with ``conv``, and :func:`float32_picture` for ``reference``; tests pass
    made-up paths)."""
    from ..vgg.figures import figure_gaps

    def paint(c, pair):
        if pictures is not None:
            return pictures(c, pair)
        return float32_picture(pair, c, source, padding) if c == reference else _check_run(c, source, padding, pair)

    judge = Judge(source, padding)
    totals = {c: {} for c in (conv, reference)}
    for pair in check_pairs():
        for c, total in totals.items():
            for k, v in judge(paint(c, pair), pair).items():
                total[k] = total.get(k, 0.0) + v
    return figure_gaps(totals[conv], totals[reference])


def verdict(gaps: dict[str, float]) -> str:
    """"" when a path's pictures are as good as float32's (:func:`picture_gaps`), else why not."""
    over = [f"{k} {100 * v:.1f} % off" for k, v in gaps.items()
            if v > (MAX_LOSS_GAP if k == "loss" else MAX_FIGURE_GAP)]
    return f"its pictures differ from float32's ({', '.join(over)})" if over else ""


def choose(source: str = "embedded", padding: str = "reflect", *, cpu: dict | None = None,
           timer: Callable[[str], float] | None = None, checker: Callable[[str], tuple] | None = None,
           use_cache: bool = True) -> ConvChoice:
    """The fastest candidate whose picture matches float32 (memoised per process, cached on disk).
    ``timer``/``checker`` replace the measurements (tests stub them)."""
    cpu = cpu or this_cpu()
    key = _key(cpu)
    with _lock:
        if use_cache and key in _memo:
            return _memo[key]
        choice = _read_cache(key) if use_cache else None
        if choice is None or choice.conv not in candidates(cpu["flags"]):
            choice = _measure(cpu, timer or (lambda c, shape=TIME_SHAPE: time_step(c, source, padding, shape)),
                              checker or (lambda c, ref: picture_gaps(c, ref, source, padding)))
            if use_cache:
                _write_cache(key, choice)
        log.info("%s%s", choice.summary(), " (kept from an earlier run)" if choice.from_cache else "")
        _memo[key] = choice
        return choice


def _in_turns(timer, convs, *shape) -> dict[str, float]:
    """Each path's fastest time over TIME_ROUNDS rounds that take the paths in turn."""
    seen: dict[str, list[float]] = {c: [] for c in convs}
    for _ in range(TIME_ROUNDS):
        for conv in convs:
            t = time.perf_counter()
            seen[conv].append(timer(conv, *shape))
            log.debug("timed %s in %.1f s", conv, time.perf_counter() - t)
    return {c: round(min(v), 4) for c, v in seen.items()}


def _measure(cpu: dict, timer, checker) -> ConvChoice:
    times, rejected = _in_turns(timer, candidates(cpu["flags"])), {}
    reference = min(FLOAT32_CONVS, key=times.get)  # the path that would run otherwise
    faster = sorted((c for c in BF16_CONVS if c in times and times[c] < times[reference]), key=times.get)
    for conv in faster:  # only a faster bf16 path needs the (slower) picture check
        t = time.perf_counter()
        why = verdict(checker(conv, reference))
        log.debug("checked %s in %.1f s: %s", conv, time.perf_counter() - t, why or "float32's pictures")
        if not why:
            break  # the fastest bf16 path that paints float32's pictures: a slower one cannot win
        rejected[conv] = why
    usable = {c: t for c, t in times.items() if c not in rejected}
    best, ranked = min(usable, key=usable.get), {}
    if best in FLOAT32_CONVS:
        ranked = _in_turns(timer, FLOAT32_CONVS, RANK_SHAPE)
        best = min(ranked, key=ranked.get)
    return ConvChoice(best, times, rejected, cpu["model"], ranked=ranked)


def chosen() -> ConvChoice | None:
    """The choice this process made, if it made one (for reports; measures nothing)."""
    with _lock:
        return next(iter(_memo.values()), None)


def resolve(conv: str, source: str = "embedded", padding: str = "reflect") -> str:
    """``conv`` itself, or for "auto" the path :func:`choose` picks."""
    return choose(source, padding).conv if conv == "auto" else conv
