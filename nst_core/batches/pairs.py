"""A batch's pairs of photos x paintings: their output names, manifests, the resume check (which
pictures are finished already), the outcomes and the report. Pure helpers: no TensorFlow, no Ray."""
from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import NSTError, SettingsError
from ..settings import Settings

MANIFEST_COLUMNS = ("photo", "painting")


class BatchError(NSTError):
    """A batch cannot start: no pairs, a bad manifest, two pairs writing one file, Ray missing."""


@dataclass(frozen=True)
class Pair:
    """One picture to make: ``photo`` painted like ``painting``, written to ``name`` in the output folder."""

    photo: Path
    painting: Path

    @property
    def name(self) -> str:
        return f"{self.photo.stem}__{self.painting.stem}.png"


@dataclass(frozen=True)
class Outcome:
    """What became of one pair: ``status`` is "done", "skipped" (already there) or "failed"."""

    pair: Pair
    status: str
    message: str = ""  # why it failed, or a warning (e.g. the loss diverged)
    seconds: float = 0.0  # the run's own time, on the worker
    attempts: int = 0  # tasks started for it (2: it was retried)
    errors: tuple[str, ...] = field(default=())  # each failed attempt's reason, in order


def cross_pairs(photos: Sequence[str | os.PathLike], paintings: Sequence[str | os.PathLike]) -> list[Pair]:
    """Every photo with every painting, photo by photo."""
    return [Pair(Path(p), Path(s)) for p in photos for s in paintings]


def read_manifest(path: str | os.PathLike) -> list[Pair]:
    """Pairs from a CSV (a header with ``photo,painting``) or a JSON list ([photo, painting] or
    {"photo": ..., "painting": ...}); relative paths are relative to the manifest's folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            rows = [r if isinstance(r, dict) else dict(zip(MANIFEST_COLUMNS, r)) for r in json.loads(text)]
        else:
            rows = list(csv.DictReader(text.splitlines()))
        pairs = [Pair(*(path.parent / str(r[k]).strip() for k in MANIFEST_COLUMNS)) for r in rows]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise BatchError(f"manifest {path.name}: cannot read it ({exc.__class__.__name__}: {exc}); "
                         f"write a CSV with a 'photo,painting' header or a JSON list of such pairs") from None
    return pairs


def check_pairs(pairs: Iterable[Pair]) -> list[Pair]:
    """The pairs, each once, refusing two different pairs that would write the same file."""
    seen: dict[str, Pair] = {}
    for p in pairs:
        other = seen.setdefault(p.name, p)
        if other != p:
            raise BatchError(f"{other.photo} + {other.painting} and {p.photo} + {p.painting} would both write "
                             f"{p.name}: rename one of the files")
    if not seen:
        raise BatchError("no pairs to paint: give photos and --styles, or a --manifest")
    return list(seen.values())


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_finished(out: Path, settings: Settings, inputs: dict) -> bool:
    """Whether ``out`` is a whole picture made from these inputs with these settings (run to its end)."""
    from ..recipe import recipe_data

    if not out.is_file():
        return False
    try:
        data = recipe_data(out)
    except (NSTError, OSError, SyntaxError):  # a damaged file is made again
        return False
    return (data["settings"] == json.loads(json.dumps(settings.to_dict())) and "stopped_at" not in data
            and data.get("batch") == inputs["batch"])


class Inputs:
    """Each input file read and checked once per batch (a photo serves every painting): its bytes on
    demand, its digest, or why it cannot be used. Local to one batch."""

    def __init__(self, settings: Settings):
        self.settings, self._digests, self._errors = settings, {}, {}

    def check(self, path: Path, what: str) -> str:
        """The file's digest, after checking that it decodes (PIL only, no TensorFlow); raises NSTError."""
        from ..imaging.images import load_image

        if path in self._errors:
            raise self._errors[path]
        if path not in self._digests:
            try:
                load_image(path, self.settings.limits, what)
                self._digests[path] = digest(path.read_bytes())
            except NSTError as exc:
                self._errors[path] = exc
                raise
            except OSError as exc:
                self._errors[path] = BatchError(f"{what} {path.name}: cannot read it ({exc.strerror}): check the file")
                raise self._errors[path] from None
        return self._digests[path]

    def provenance(self, pair: Pair) -> dict:
        """What the recipe records of the inputs, so a resumed batch redoes a pair whose file changed."""
        return {"batch": {"photo": pair.photo.name, "painting": pair.painting.name,
                          "photo_sha256": self.check(pair.photo, "content image"),
                          "painting_sha256": self.check(pair.painting, "style image")}}


def plan_pictures(pairs: Sequence[Pair], settings: Settings,
                  outdir: Path) -> tuple[list[tuple[Pair, dict]], list[Outcome]]:
    """(pairs still to paint with their recipe's extra fields, outcomes known already: finished pictures
    skipped, pairs with a bad file failed) without starting any worker."""
    inputs, todo, known = Inputs(settings), [], []
    for pair in pairs:
        try:
            extra = inputs.provenance(pair)
        except NSTError as exc:
            known.append(Outcome(pair, "failed", str(exc)))
            continue
        if is_finished(outdir / pair.name, settings, extra):
            known.append(Outcome(pair, "skipped"))
        else:
            todo.append((pair, extra))
    return todo, known


@dataclass(frozen=True)
class BatchReport:
    """A batch's outcomes (in the pairs' order), whether Ctrl-C stopped it, and its wall-clock seconds."""

    outcomes: list[Outcome]
    interrupted: bool = False
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)


def check_settings(settings: Settings) -> Settings:
    """Settings a batch can run: each pair has one photo and one painting, and no mask or initial image."""
    if settings.init == "image":
        raise SettingsError("init='image' needs one initial image per photo; a batch cannot give it: pick another --init")
    if settings.style_blend:
        raise SettingsError("style_blend weighs several paintings in one picture; a batch pairs one painting "
                            "with each photo: leave --style-blend out")
    return settings
