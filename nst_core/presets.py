"""Read presets/*.toml into Settings, rejecting unknown keys and bad values (naming file and key)."""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import SettingsError
from .settings import Settings

PRESETS_DIR = Path(__file__).resolve().parents[1] / "presets"


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    settings: Settings


def load_preset(path: str | Path, base: Settings | None = None) -> Preset:
    """One TOML file: ``description`` plus any Settings fields, applied over ``base``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"preset {path.name}: cannot read it ({exc})") from None
    description = data.pop("description", "")
    known = {f.name for f in dataclasses.fields(Settings)} - {"limits"}
    for key, value in data.items():
        if key not in known:
            raise SettingsError(f"preset {path.name}: unknown key {key!r}")
        if isinstance(value, list):
            data[key] = tuple(value)
    try:
        settings = dataclasses.replace(base or Settings(), **data)
    except (SettingsError, TypeError) as exc:
        raise SettingsError(f"preset {path.name}: {exc}") from None
    return Preset(path.stem, description, settings)


def load_presets(folder: str | Path = PRESETS_DIR) -> dict[str, Preset]:
    """Every preset in ``folder`` by name, ``default`` first."""
    found = {p.stem: load_preset(p) for p in sorted(Path(folder).glob("*.toml"))}
    return dict(sorted(found.items(), key=lambda kv: kv[0] != "default"))


# What the print preset's schedule sets: its iterations a tile (at most the run's own), visits, mode
# and tile size. Its prints were measured so (docs/print-sizes.md).
PRINT_SCHEDULE = ("tile_sweeps", "tile_mode", "tile_size")
PRINT_FROM = 2048  # px: from this size on a run is a print and takes the print schedule


def at_print_size(s: Settings, size: int, given: tuple[str, ...] = (), enlarge: bool = True) -> Settings:
    """``s`` at ``size`` px on the print preset's schedule (its iterations at most ``s``'s, its
    visits, tile mode and tile size), except the fields named in ``given`` (set by hand);
    ``enlarge``: a smaller photo is painted at ``size``."""
    p = load_presets()["print"].settings
    changes = {k: getattr(p, k) for k in PRINT_SCHEDULE if k not in given}
    if "iterations" not in given:
        changes["iterations"] = min(s.iterations, p.iterations)
    return s.replace(max_size=size, enlarge=enlarge or s.enlarge, **changes)
