"""Make docs/qc-page.png: a real batch run's QC page in headless chromium, one line open and playing.

    python benchmarks/qc_page_screenshot.py [--out docs/qc-page.png] [--at 1.2]

Runs ``kmtalk batch`` (prior method) on two copies of the bundled example line
in a temporary folder, opens ``report.html`` from its file:// URL with the
same browser settings as tests/test_qc_page.py (Debian chromium, SwiftShader
WebGL, every non-file request aborted), opens line l1, plays it to ``--at``
seconds, pauses and screenshots the page. Prints what it checked.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from qc_browser import launch, open_line, pixels, seek, skin_mask, write_project  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "qc-page.png")
    ap.add_argument("--at", type=float, default=1.8, help="seconds into the line when the picture is taken")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    from kmtalk.dubbing.batch import run_batch
    from phoneme.assets import asset_path

    text = asset_path("examples", "hello.txt").read_text("utf-8").strip()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = write_project(Path(tmp) / "project", asset_path("examples", "hello.wav"), text)
        result = run_batch(manifest, workers=1, method="prior")
        print("batch:", [(r.id, r.status) for r in result.lines])
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            blocked: list[str] = []
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:", "blob:"))
                       else (blocked.append(r.request.url), r.abort()))
            page.goto(result.report_html.as_uri())
            open_line(page, "l1")
            seek(page, args.at)
            page.evaluate("document.getElementById('player-row').scrollIntoView({block: 'center'})")
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            box = page.locator("#player .view canvas").bounding_box()
            shot = page.screenshot(path=str(args.out), full_page=True)
            browser.close()
    img = pixels(shot)
    x0, y0 = int(box["x"]), int(box["y"])
    skin = skin_mask(img[y0:y0 + int(box["height"]), x0:x0 + int(box["width"])]).mean()
    print(f"wrote {args.out} ({img.shape[1]}x{img.shape[0]}); skin-coloured share of the 3D view {skin:.1%}; "
          f"blocked requests: {len(blocked)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
