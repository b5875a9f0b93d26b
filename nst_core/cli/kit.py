"""The kit the commands share, so each of them behaves the same way: a parser whose errors are one
line, one option per Settings field, the starting settings (preset, recipe), the one-line failure,
the exit codes, the progress bar, and Ctrl-C that stops a run and keeps what is done."""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import signal
import sys
import threading
import typing
from pathlib import Path

from ..control import RunControl
from ..settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1  # a batch's pictures failed (each says why); the rest are written
EXIT_BAD_INPUT = 2  # a mistake in the command or its files: one line says what to fix
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it)

BAR_WIDTH = 30


def _parser_for(field: dataclasses.Field, hint) -> typing.Callable[[str], object]:
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        return lambda text: tuple(item(v.strip()) for v in text.split(",") if v.strip())
    return hint


class Parser(argparse.ArgumentParser):
    """An argparse parser whose mistakes are one line ending with the help to read (``see``)."""

    def __init__(self, *args, see: str = "python -m nst_core", **kwargs):
        super().__init__(*args, **kwargs)
        self.see = see

    def error(self, message: str):  # one line, not argparse's usage block
        fail(f"{message} (see {self.see} --help)")


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
        if f.metadata.get("const") is not None:  # the flag alone means this value
            kwargs.update(nargs="?", const=f.metadata["const"])
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


def starting_settings(preset: str | None, recipe: str | None) -> Settings:
    """What the options change: the preset's settings, else the defaults; a recipe's over them.
    Raises NSTError for a recipe that cannot be read."""
    base = preset_settings(preset) if preset else Settings()
    if recipe:
        from ..recipe import read_recipe

        base = read_recipe(recipe, base)
    return base


def output_path(path: str) -> Path:
    """``-o``'s path, or a one-line failure if its folder is missing (said before any work is done)."""
    out = Path(path)
    if not out.parent.exists():
        fail(f"output folder {out.parent} does not exist: create it or pick another -o path")
    return out


def draw_bar(out: typing.TextIO, done: int, total: int, text: str) -> None:
    """The progress bar, redrawn over itself on one line: ``done`` of ``total`` filled, then ``text``."""
    full = int(BAR_WIDTH * done / total) if total else BAR_WIDTH
    out.write(f"\r[{'#' * full}{'.' * (BAR_WIDTH - full)}] {text}")
    out.flush()


@contextlib.contextmanager
def ctrl_c_stops(control: RunControl) -> typing.Iterator[None]:
    """Within it, the first Ctrl-C asks the run to stop (it ends with what it has done, which the
    command then writes); a second one raises KeyboardInterrupt as usual, to abort. Python delivers
    signals to the main thread only, so elsewhere (a command called from a thread) nothing changes."""
    def stop(signum, stack):
        control.stop()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, stop) if main_thread else None
    try:
        yield
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)


def interrupted(what: str = "") -> int:
    """Says that Ctrl-C aborted the command (and ``what`` became of its work); the exit code to return."""
    print(f"\ninterrupted{'; ' + what if what else ''}", file=sys.stderr)
    return EXIT_INTERRUPTED

