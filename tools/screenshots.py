"""The page as a visitor sees it while a run paints, at a desktop's 1400x900 and a phone's 400x850:
docs/page-1400x900.png and docs/page-400x850.png. Starts its own server (offline, embedded models).

    python tools/screenshots.py [--out docs]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def shoot(url: str, out: Path, width: int, height: int) -> Path:
    from playwright.sync_api import sync_playwright

    from test_browser_picture import CHROMIUM, FLAGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(url)
        page.wait_for_function("() => localStorage.getItem('nst-run')", timeout=120_000)
        page.set_input_files("#content input[type=file]", str(ROOT / "examples" / "chelsea.jpg"))
        page.set_input_files("#style input[type=file]", str(ROOT / "examples" / "starry_night.jpg"))
        page.wait_for_selector("#content img")
        page.wait_for_selector("#style img")
        page.click("#run")
        page.wait_for_function("() => document.querySelector('#status').innerText.includes('scale 3')",
                               timeout=300_000)
        path = out / f"page-{width}x{height}.png"
        page.screenshot(path=str(path))
        page.click("#stop" if width >= 768 else "#stop_near")
        page.wait_for_function("() => document.querySelector('#status').innerText.includes('took')", timeout=120_000)
        browser.close()
    return path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=ROOT / "docs")
    args = p.parse_args()
    from conftest import start_app

    proc, url = start_app({"NST_HUB_MODEL": ""})
    try:
        for size in ((1400, 900), (400, 850)):
            print(shoot(url, args.out, *size))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
