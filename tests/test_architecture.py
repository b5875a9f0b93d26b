"""The layout's rules, read from the source with ``ast`` (no TensorFlow, nothing imported): no import
circle, the layers' arrows pointing one way, no Gradio in the core and no TensorFlow in the app, no
one else's private names, a short top level, every subpackage saying what it holds, and no function of
the app (app.py, ui/) over MAX_FUNCTION_LINES lines. Imports
inside functions count: a circle held together by import order is still a circle."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "nst_core"

#: nst_core's layers, innermost first. A module may import its own layer's modules and those of
#: the layers listed before its own, never those after it; layers on one line (video and batches)
#: do not import each other. docs/architecture.md mirrors this table.
LAYERS: list[tuple[str, ...]] = [
    ("base",),  # settings, frame, control, errors, tf_quiet, machine: every layer may import them
    ("imaging",),  # decode, resize, PNG/GIF, masks, colour: numpy and PIL
    ("face",),  # recipe, presets, fast: the public face's helpers (recipes, presets, the fast path)
    ("vgg",),  # weights, features, Winograd, losses, the compiled objective
    ("optim",),  # the one loop, the optimisers, the run state, the conv choice
    ("tiles",),  # print sizes: grid, tiled objective, joint and swept scales, kept L-BFGS, spill
    ("engine",),  # stylize(): the schedule of scales, warm starts
    ("video", "batches"),  # clips and the webcam; batches here or on Ray
    ("serving",),  # the page's runs, clips and Instant on a Ray cluster
    ("package",),  # nst_core/__init__.py: the public face (stylize, batch, fast_stylize, ...)
    ("cli",),  # python -m nst_core ..., picture, video and batch commands
    ("main",),  # nst_core/__main__.py
]
TOP_LEVEL = {"settings": "base", "frame": "base", "machine": "base", "control": "base", "errors": "base", "tf_quiet": "base",
             "recipe": "face", "presets": "face", "fast": "face", "__init__": "package", "__main__": "main"}
MAX_TOP_LEVEL = 12
RANK = {layer: rank for rank, row in enumerate(LAYERS) for layer in row}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources(*roots: Path) -> dict[str, Path]:
    found = {}
    for root in roots:
        files = [root] if root.suffix == ".py" else sorted(root.rglob("*.py"))
        found.update({module_name(p): p for p in files if "__pycache__" not in p.parts})
    return found


def imports(path: Path, modules: dict[str, Path]):
    """(line, imported module, names taken from it) for each import in ``path``, inside functions
    too; relative imports resolved; ``from pkg import mod`` counted as an import of ``pkg.mod``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, ()
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            submodules = [n for n in names if f"{target}.{n}" in modules]
            for n in submodules:
                yield node.lineno, f"{target}.{n}", ()
            rest = tuple(n for n in names if n not in submodules)
            if rest or not submodules:
                yield node.lineno, target, rest


def graph(modules: dict[str, Path]) -> dict[str, dict[str, str]]:
    """module -> {imported project module: where ("file:line")}."""
    edges: dict[str, dict[str, str]] = {m: {} for m in modules}
    for m, path in modules.items():
        for line, target, _ in imports(path, modules):
            if target in modules and target != m:
                edges[m].setdefault(target, f"{path.relative_to(ROOT)}:{line}")
    return edges


def layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "nst_core":
        return None
    if len(parts) == 1:
        return "package"
    if (CORE / parts[1]).is_dir():
        return parts[1]
    return TOP_LEVEL.get(parts[1])


def test_no_import_circle():
    edges = graph(sources(CORE, ROOT / "ui", ROOT / "app.py"))
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str):
        state[m] = 1
        path.append(m)
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                loop = path[path.index(n):] + [n]
                steps = " -> ".join(f"{a} ({edges[a][b]})" for a, b in zip(loop, loop[1:]))
                raise AssertionError(f"import circle: {steps} -> {n}")
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)


def test_the_layers_point_one_way():
    modules = sources(CORE)
    assert all(layer(m) in RANK for m in modules), [m for m in modules if layer(m) not in RANK]
    wrong = []
    for m, targets in graph(modules).items():
        for t, where in targets.items():
            a, b = layer(m), layer(t)
            if a != b and RANK[b] >= RANK[a]:
                wrong.append(f"{where}: {m} ({a}) imports {t} ({b})")
    assert not wrong, "imports against the layers (see LAYERS):\n" + "\n".join(wrong)


def test_no_gradio_in_the_core_and_no_tensorflow_in_the_app():
    found = []
    for m, path in sources(CORE).items():
        found += [f"{path.relative_to(ROOT)}:{line}: imports {t}" for line, t, _ in imports(path, {})
                  if t.split(".")[0] == "gradio"]
    app = ROOT / "app.py"
    found += [f"app.py:{line}: imports {t}" for line, t, _ in imports(app, {})
              if t.split(".")[0] in ("tensorflow", "keras", "tensorflow_hub")]
    assert not found, "\n".join(found)


def test_nobody_imports_another_modules_private_names():
    modules = sources(CORE, ROOT / "ui", ROOT / "app.py", ROOT / "tests", ROOT / "benchmarks", ROOT / "tools")
    found = []
    for m, path in modules.items():
        for line, target, names in imports(path, modules):
            if target not in modules and target.split(".")[0] not in ("nst_core", "ui", "app", "conftest"):
                continue  # a third party's business
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            private += [p for p in target.split(".") if p.startswith("_") and not p.startswith("__")]
            if private:
                found.append(f"{path.relative_to(ROOT)}:{line}: from {target} import {', '.join(private)}")
    assert not found, "private names imported from another module:\n" + "\n".join(found)


def test_the_top_level_is_short():
    top = sorted(p.stem for p in CORE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL, f"nst_core/ has {len(top)} modules at its top level: {top}"
    assert set(top) <= set(TOP_LEVEL), f"not in TOP_LEVEL (give it a layer or a subpackage): {set(top) - set(TOP_LEVEL)}"


def test_every_subpackage_says_what_it_holds():
    packages = [p for p in sorted(CORE.rglob("*")) if p.is_dir() and any(p.glob("*.py"))]
    assert packages
    for p in packages:
        init = p / "__init__.py"
        assert init.is_file(), f"{p.relative_to(ROOT)} has no __init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and doc.strip(), f"{init.relative_to(ROOT)} has no docstring saying what it does and offers"


MAX_FUNCTION_LINES = 60  # a function a newcomer reads whole, on one screen


def test_no_function_is_longer_than_a_screen():
    long = []
    for path in [ROOT / "app.py", *sorted((ROOT / "ui").glob("*.py")), *sorted(CORE.rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1  # from its def (decorators aside) to its last line
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name} has {lines} lines")
    assert not long, f"over {MAX_FUNCTION_LINES} lines (split it):\n" + "\n".join(long)
