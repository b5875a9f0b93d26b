"""Run recipes: the settings, seed and library versions that made a picture, as JSON.

A recipe rides in the PNG's text metadata (key ``nst-recipe``) and can be saved on its own;
loading one gives back the Settings that reproduce the run. Operator-only fields (where the
weights and the hub model come from) are recorded but never taken from a recipe.
"""
from __future__ import annotations

import dataclasses
import json
import platform
from importlib import metadata
from pathlib import Path

from .errors import SettingsError
from .machine import precision, this_cpu
from .settings import Settings

KEY = "nst-recipe"
FORMAT = "nst-recipe/1"
OPERATOR_ONLY = ("weights", "hub_model")
# A recipe is data from anywhere: bounded before it is parsed (a run's recipe is a few kB; steering
# is one entry per slider move, and a session keeps a loaded recipe's steering: ~150 B an entry).
MAX_RECIPE_BYTES = 1_000_000
MAX_STEERING = 1_000


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("tensorflow", "numpy", "pillow", "scipy", "keras"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def make_recipe(settings: Settings, **extra) -> dict:
    # The style layers' weights as used: an empty style_layer_weights means a rule that may change
    # (it did on 2026-12-02), and a recipe must keep giving its own picture.
    return {"format": FORMAT, "settings": settings.to_dict(), "versions": _versions(),
            "style_layer_weights_used": list(settings.normalized_style_layer_weights), **extra}


def recipe_json(settings: Settings, **extra) -> str:
    return json.dumps(make_recipe(settings, **extra), indent=1)


def engine_record(conv: str) -> dict:
    """How a picture was computed: the convolution path, its precision and the CPU. A replay keeps
    ``conv`` as its settings say ("auto" picks this machine's path again): on the same kind of machine
    it gives the same bytes, on another the same picture within the acceptance check's tolerance."""
    cpu = this_cpu()
    return {"conv": conv, "precision": precision(conv), "cpu": cpu["model"], "cpu_flags": cpu["flags"]}


def run_recipe(frame, settings: Settings, mask=None, **extra) -> str:
    """The recipe of the run that ended at ``frame`` (its last): ``settings`` as the run started, the
    steering it took, where it stopped if it was stopped, its mask (uint8 [H, W]) if it had one, and
    the convolution path and precision that painted it."""
    if frame.conv:
        extra["engine"] = engine_record(frame.conv)
    if frame.settings is not None:
        settings = settings.replace(steering=frame.settings.steering)
    if mask is not None:
        from .imaging.mask import to_data_url

        extra["mask"] = to_data_url(mask)
    return recipe_json(settings, **({"stopped_at": frame.iteration} if frame.stopped else {}), **extra)


def result_png(frame, settings: Settings, mask=None, **extra) -> bytes:
    """The frame's picture as PNG bytes with the run's recipe (plus ``extra`` fields) in its text
    metadata, and the photo's transparency if it had any."""
    from .imaging.images import png_bytes, with_alpha

    return png_bytes(with_alpha(frame.image, frame.alpha), {KEY: run_recipe(frame, settings, mask, **extra)})


def _upgrade(settings: dict) -> dict:
    """A recipe written before `padding` existed (2026-12) ran zero padding, and its layer preset
    "gatys" then meant content at block5_conv2: pin both so it still gives its own picture. One
    written before tiling (2026-12-06) ran every scale whole; one before `tile_mode`, tiles in sweeps;
    one before `keep_faces` (2026-12-07) painted faces like the rest."""
    if "keep_faces" not in settings:
        settings = {**settings, "keep_faces": 0.0}
    if "tile_size" not in settings:
        settings = {**settings, "tile_size": 0}
    if "tile_mode" not in settings:
        settings = {**settings, "tile_mode": "sweeps"}
    if "padding" in settings:
        return settings
    old = {"normalization": "mean", **settings, "padding": "zero"}
    if old.get("layers", "gatys") == "gatys" and not old.get("content_layers"):
        old["content_layers"] = ["block5_conv2"]
    return old


def read_recipe(source: str | Path | dict, base: Settings | None = None) -> Settings:
    """Settings from a recipe dict, a .json file or a PNG that carries one."""
    data = recipe_data(source)
    steering = data["settings"].get("steering")
    if isinstance(steering, list) and len(steering) > MAX_STEERING:
        raise SettingsError(f"recipe: {len(steering)} steering entries; at most {MAX_STEERING} are read")
    known = {f.name for f in dataclasses.fields(Settings)} - {"limits", *OPERATOR_ONLY}
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in _upgrade(data["settings"]).items() if k in known}
    try:
        return _pin_layer_weights(dataclasses.replace(base or Settings(), **values), data)
    except (TypeError, ValueError, SettingsError) as exc:
        raise SettingsError(f"recipe: {exc}") from None


def _pin_layer_weights(s: Settings, data: dict) -> Settings:
    """The style layers' weights the recipe's run used, where the current rule for "none given" differs.
    Recipes written before 2026-12-02 do not say: their runs weighed the layers equally."""
    if s.style_layer_weights:
        return s
    used = tuple(data.get("style_layer_weights_used") or (1.0,) * len(s.layer_names[1]))
    pinned = s.replace(style_layer_weights=used)  # validated and normalised as any given weights are
    same = all(abs(a - b) < 1e-9 for a, b in zip(pinned.normalized_style_layer_weights,
                                                  s.normalized_style_layer_weights))
    return s if same else pinned


def one_pass(source: str | Path | dict) -> str | None:
    """"fast" or "palette" if the recipe's picture was made in one pass (Instant, Palette only), not by
    the optimisation its settings describe; None for a run's recipe."""
    data = recipe_data(source)
    return "fast" if data.get("fast") else "palette" if data.get("palette_only") else None


def read_mask(source: str | Path | dict, limits=None):
    """The recipe's mask as uint8 [H, W], or None if its run had none."""
    url = recipe_data(source).get("mask")
    if url is None:
        return None
    from .imaging.mask import from_data_url

    return from_data_url(url, limits)


def recipe_data(source: str | Path | dict) -> dict:
    """The recipe's JSON object from a dict, a .json file or a PNG that carries one, checked."""
    if isinstance(source, dict):
        data = source
    else:
        path = Path(source)
        try:
            data = json.loads(_recipe_text(path))
        except (OSError, ValueError) as exc:
            raise SettingsError(f"cannot read a recipe from {path.name}: {str(exc)[:200]}") from None
        except RecursionError:
            raise SettingsError(f"cannot read a recipe from {path.name}: nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("settings"), dict):
        raise SettingsError(f"not a run recipe (expected format {FORMAT!r})")
    return data


def _recipe_text(path: Path) -> str:
    """A recipe's JSON text from a .json file or a PNG's text chunk, read without decoding the PNG's
    pixels (its header's size is not even looked at) and at most MAX_RECIPE_BYTES long."""
    if path.suffix.lower() == ".png":
        text = _png_text(path)
        if text is None:
            raise SettingsError(f"{path.name} carries no run recipe (was it made by this app?)")
        return text
    if path.stat().st_size > MAX_RECIPE_BYTES:
        raise SettingsError(f"{path.name} is {path.stat().st_size / 1e6:.1f} MB; a recipe is at most "
                            f"{MAX_RECIPE_BYTES / 1e6:.0f} MB")
    return path.read_text(encoding="utf-8")


def _png_text(path: Path) -> str | None:
    """The ``nst-recipe`` tEXt/iTXt chunk of a PNG, walking its chunks up to the first IDAT (this app
    writes its text there), without decompressing anything."""
    import struct

    with open(path, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            raise SettingsError(f"{path.name} is not a PNG")
        while True:
            head = f.read(8)
            if len(head) < 8:
                return None
            length, kind = struct.unpack(">I4s", head)
            if kind == b"IDAT" or kind == b"IEND":
                return None
            if kind not in (b"tEXt", b"iTXt", b"zTXt") or length > MAX_RECIPE_BYTES:
                f.seek(length + 4, 1)
                continue
            body = f.read(length)
            f.seek(4, 1)
            name, _, rest = body.partition(b"\0")
            if name != KEY.encode():
                continue
            if kind == b"tEXt":
                return rest.decode("latin-1")
            if kind == b"zTXt":
                return _inflate(rest[1:]).decode("latin-1")
            compressed, rest = rest[0], rest[2:]  # the compression method byte: zlib, the only one
            _lang, _, rest = rest.partition(b"\0")
            _key, _, text = rest.partition(b"\0")
            return (_inflate(text) if compressed else text).decode("utf-8")


def _inflate(data: bytes) -> bytes:
    """zlib data, refused past MAX_RECIPE_BYTES (a compressed bomb in a text chunk)."""
    import zlib

    d = zlib.decompressobj()
    out = d.decompress(data, MAX_RECIPE_BYTES + 1)
    if len(out) > MAX_RECIPE_BYTES or d.unconsumed_tail:
        raise SettingsError(f"a recipe is at most {MAX_RECIPE_BYTES / 1e6:.0f} MB")
    return out
