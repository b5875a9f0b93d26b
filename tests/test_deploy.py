"""What a Space push needs: the Python the code runs on, and Git LFS for the big files."""
import ast
import fnmatch
import re
import subprocess

from conftest import ROOT

# Standard-library modules newer than 3.8, and the Python that brought them.
NEW_MODULES = {"zoneinfo": (3, 9), "graphlib": (3, 9), "tomllib": (3, 11)}
HUB_LIMIT = 10 * 2**20  # the Hugging Face Hub refuses plain git files over 10 MB


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text()
    block = text.split("---\n")[1]
    return dict(line.split(": ", 1) for line in block.strip().splitlines())


def sources():
    return [ROOT / "app.py", *(ROOT / "nst_core").rglob("*.py"), *(ROOT / "ui").rglob("*.py"),
            *(ROOT / "tools").rglob("*.py")]


def test_the_space_runs_the_oldest_python_the_code_needs():
    pinned = tuple(int(v) for v in front_matter()["python_version"].strip('"').split("."))
    needed = (3, 8)
    for path in sources():
        tree = ast.parse(path.read_text(), feature_version=pinned[:2])  # its syntax parses there
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                needed = max(needed, NEW_MODULES.get(name.split(".")[0], (3, 8)))
    assert needed == (3, 11)  # tomllib (nst_core/presets.py)
    assert pinned[:2] == needed, f"front matter pins {pinned}, the code needs {needed}"


def test_every_file_over_the_hubs_limit_goes_through_git_lfs():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    big = [f for f in files if (ROOT / f).is_file() and (ROOT / f).stat().st_size > HUB_LIMIT]
    assert "nst_core/data/vgg19_q8.npz" in big
    rules = [line.split()[0] for line in (ROOT / ".gitattributes").read_text().splitlines()
             if line.strip() and not line.startswith("#") and "filter=lfs" in line]
    for f in big:
        assert any(fnmatch.fnmatch(f, re.sub(r"\*\*", "*", r)) for r in rules), f"{f} is not routed through LFS"


def test_every_picture_the_readme_shows_is_in_the_repository_with_its_credits():
    # The Space page renders README.md: a missing file is a broken image, and a picture without
    # credits is one whose source nobody can check.
    readme, credits = (ROOT / "README.md").read_text(), (ROOT / "docs" / "CREDITS.md").read_text()
    shown = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", readme)
    assert "docs/quality_sheet.png" in shown and "docs/two_styles.jpg" in shown
    for link in shown:
        assert (ROOT / link).is_file(), link
        assert f"`{link.removeprefix('docs/')}`" in credits, link
