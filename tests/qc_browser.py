"""Helpers for driving the QC page in headless Debian chromium (tests and benchmarks/qc_page_screenshot.py).

WebGL without a GPU: SwiftShader (``--use-angle=swiftshader``). Chromium's own
network features are switched off so that the only requests are the page's.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path
from typing import Any

import numpy as np

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--autoplay-policy=no-user-gesture-required", "--mute-audio",
]
#: The player's clear colour (player.js) and what counts as the head's skin in a screenshot.
BACKGROUND = (0x2B, 0x2F, 0x36)


def chromium_path() -> str | None:
    """Debian's chromium, or None when it is not installed."""
    return CHROMIUM if Path(CHROMIUM).is_file() else shutil.which("chromium")


def launch(playwright: Any) -> Any:
    """Start headless chromium through Playwright (never downloads a browser)."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=ARGS)


def write_project(folder: Path, example_wav: Path, text: str) -> Path:
    """A two-line manifest over the bundled example line (l1 also writes a .glb); returns the manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(example_wav, folder / "hello.wav")
    with open(folder / "lines.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "audio", "transcript", "output"])
        w.writerow(["l1", "hello.wav", text, "out/l1.npz;out/l1.glb"])
        w.writerow(["l2", "hello.wav", text, "out/l2.npz"])
    return folder / "lines.csv"


def open_line(page: Any, line_id: str, timeout_ms: int = 120_000) -> None:
    """Press a line's watch button and wait until its player is ready (raises on a page error)."""
    page.click(f"button.watch[data-id='{line_id}']")
    page.wait_for_function("['ready','error'].includes(window.kmtalkReport.state)", timeout=timeout_ms)
    state, errors = page.evaluate("[window.kmtalkReport.state, window.kmtalkReport.errors]")
    if state != "ready":
        raise AssertionError(f"player not ready: {errors}")


def seek(page: Any, seconds: float) -> None:
    """Pause the line's audio at ``seconds`` and wait until the frame for it is drawn."""
    page.evaluate("""s => new Promise(done => {
        const a = document.querySelector('#player audio'); a.pause();
        a.addEventListener('seeked', () => requestAnimationFrame(() => requestAnimationFrame(done)), {once: true});
        a.currentTime = s; })""", seconds)


def pixels(png: bytes) -> np.ndarray:
    """A screenshot as ``[H, W, 3]`` uint8."""
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def skin_mask(img: np.ndarray) -> np.ndarray:
    """Pixels of the lit head: warm (R > G > B), bright, and far from the background colour."""
    x = img.astype(np.int32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    far = np.abs(x - np.array(BACKGROUND)).sum(-1) > 60
    return far & (r > 120) & (r >= g) & (g >= b) & (r - b > 20)
