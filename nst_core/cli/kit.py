"""The kit the commands share: a parser whose errors are one line, one option per Settings field,
the one-line failure with its exit code, and presets by name."""
from __future__ import annotations

import argparse
import dataclasses
import sys
import typing

from ..settings import Settings

EXIT_BAD_INPUT = 2


def _parser_for(field: dataclasses.Field, hint) -> typing.Callable[[str], object]:
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return lambda text: tuple(item(v.strip()) for v in text.split(",") if v.strip())
    return hint


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        fail(f"{message} (see python -m nst_core --help)")


def add_settings_options(p: argparse.ArgumentParser) -> None:
    """One option per Settings field, its help and default read from the field (also for subcommands)."""
    hints = typing.get_type_hints(Settings)
    defaults = Settings()
    for f in dataclasses.fields(Settings):
        if not f.metadata.get("cli", True):
            continue
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        default = getattr(defaults, f.name)
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        kwargs = {"dest": f.name, "type": _parser_for(f, hints[f.name]), "default": argparse.SUPPRESS,
                  "help": f"{f.metadata['help']} (default: {shown if shown != '' else 'none'})"}
        if hints[f.name] is bool:  # --multiscale / --no-multiscale, whichever way the default is
            kwargs = {"dest": f.name, "action": argparse.BooleanOptionalAction, "default": argparse.SUPPRESS,
                      "help": f"{f.metadata['help']} (default: {'on' if default else 'off'})"}
        if f.metadata.get("choices"):
            kwargs["choices"] = f.metadata["choices"]
        p.add_argument(flag, **kwargs)


def fail(message: str) -> typing.NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_BAD_INPUT)


def preset_settings(name: str) -> Settings:
    """The settings of the preset ``name`` (presets/NAME.toml), or a one-line failure naming the others."""
    from ..presets import load_presets

    presets = load_presets()
    if name not in presets:
        fail(f"no preset named {name!r}; choose one of {', '.join(presets)}")
    return presets[name].settings
