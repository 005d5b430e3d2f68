"""The batch QC page in a real browser: headless Debian chromium (SwiftShader WebGL) driven by Playwright.

A real batch run (the bundled example line, prior method) makes the report; the
page is opened from its file:// URL with every non-file request aborted, plays
the line on the default head, and its approve/reject buttons write decisions —
by download from the file, or through ``kmtalk review`` on 127.0.0.1 — that the
next batch run obeys.
"""

from __future__ import annotations

import base64
import json
import shutil
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest
from qc_browser import chromium_path, launch, open_line, pixels, seek, skin_mask, write_project

from kmtalk.dubbing.batch import run_batch
from kmtalk.dubbing.batch.decisions import hold_approved, read_decisions, set_decision
from kmtalk.dubbing.batch.preview import read_preview
from kmtalk.dubbing.batch.review_server import make_server
from kmtalk.dubbing.batch.state import file_hash, read_record
from kmtalk.cli import main
from kmtalk.errors import KmtalkError
from phoneme.assets import asset_path

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (dev extra) drives the browser")
pytest.importorskip("PIL", reason="Pillow decodes the screenshots")
needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="Debian chromium is not installed")

TEXT = asset_path("examples", "hello.txt").read_text("utf-8").strip()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A real batch run: two lines of the example, the prior, thumbnails, report with players."""
    folder = tmp_path_factory.mktemp("qc") / "p"
    manifest = write_project(folder, asset_path("examples", "hello.wav"), TEXT)
    result = run_batch(manifest, workers=1, method="prior")
    assert [r.status for r in result.lines] == ["done", "done"], [r.message for r in result.lines]
    return folder


@pytest.fixture()
def copy(project, tmp_path):
    """A private copy of the project (tests that write decisions or rerun the batch)."""
    dst = tmp_path / "p"
    shutil.copytree(project, dst)
    return dst


@pytest.fixture(scope="module")
def browser():
    if chromium_path() is None:
        pytest.skip("Debian chromium is not installed")
    with sync_api.sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def _offline_page(browser, allowed=("file:", "data:", "blob:")):
    """A page whose requests other than ``allowed`` schemes/prefixes are aborted and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    seen, blocked, errors = [], [], []
    page.on("request", lambda r: seen.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return context, page, seen, blocked, errors


# ---------------------------------------------------------------- files, no browser

def test_report_folder_is_complete(project):
    files = project / "report_files"
    assert (files / "kmtalk-viewer.min.js").read_bytes() == asset_path("web", "kmtalk-viewer.min.js").read_bytes()
    index = json.loads((files / "index.json").read_text())
    for line_id in ("l1", "l2"):
        record = read_record(project / "out" / f"{line_id}.kmtalk.json")
        assert index["lines"][line_id] == {"version": record["input_hash"], "playable": True}
        assert (files / "lines" / f"{line_id}.js").is_file()
    html = (project / "report.html").read_text()
    assert "report_files/player.js" in html and "button type='button' class='watch' data-id='l1'" in html


def test_bundle_hash_is_the_one_in_notice():
    """The shipped viewer is the file assets/NOTICE credits (rebuild: assets/web/build.sh --check)."""
    notice = asset_path("NOTICE").read_text("utf-8")
    assert file_hash(asset_path("web", "kmtalk-viewer.min.js")) in notice.replace("\n", "")


def test_player_track_is_the_lines_glb_animation(project):
    """What the page plays is the line's .glb: same targets, same float32 weight samples, same times."""
    import pygltflib

    glb = pygltflib.GLTF2().load(str(project / "out" / "l1.glb"))
    blob = glb.binary_blob()

    def accessor(i):
        acc = glb.accessors[i]
        view = glb.bufferViews[acc.bufferView]
        width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[acc.type]
        return np.frombuffer(blob, "<f4", acc.count * width, view.byteOffset + (acc.byteOffset or 0))

    sampler = glb.animations[0].samplers[0]
    line = read_preview(project / "report_files" / "lines" / "l1.js")
    names = glb.meshes[0].extras["targetNames"]
    weights = np.frombuffer(base64.b64decode(line["weights"]), "<f4")
    assert line["targets"] == names
    assert np.array_equal(weights, accessor(sampler.output))
    assert np.allclose(np.arange(line["n_frames"]) / line["fps"], accessor(sampler.input), atol=1e-6)
    head = read_preview(project / "report_files" / "head.js")
    assert head["targets"] == names
    assert line["audio"].startswith("data:audio/wav;base64,")


# ---------------------------------------------------------------- the page in chromium

@needs_chromium
def test_page_plays_offline_from_file(project, browser, tmp_path):
    context, page, seen, blocked, errors = _offline_page(browser)
    try:
        page.goto((project / "report.html").as_uri())
        open_line(page, "l1")
        seek(page, 0.0)
        canvas = page.locator("#player .view canvas")
        box = canvas.bounding_box()
        shot = pixels(page.screenshot())
        mouth = page.evaluate("window.kmtalkReport.mouthRect()")
        page.screenshot(path=str(tmp_path / "page.png"))
    finally:
        context.close()
    assert not errors, errors
    assert not blocked, f"the page asked the network for {blocked}"
    assert seen and all(u.startswith(("file:", "data:", "blob:")) for u in seen), seen
    assert any(u.endswith("report_files/head.js") for u in seen)

    # The canvas shows a face: a large share of lit skin-coloured pixels, the mouth inside the canvas.
    x0, y0 = int(box["x"]), int(box["y"])
    region = shot[y0:y0 + int(box["height"]), x0:x0 + int(box["width"])]
    skin = skin_mask(region)
    assert skin.mean() > 0.2, f"only {skin.mean():.1%} of the canvas is skin-coloured"
    assert box["x"] < mouth["x"] < mouth["x"] + mouth["width"] < box["x"] + box["width"]
    assert box["y"] < mouth["y"] < mouth["y"] + mouth["height"] < box["y"] + box["height"]
    cx, cy = int(mouth["x"] + mouth["width"] / 2), int(mouth["y"] + mouth["height"] / 2)
    assert skin_mask(shot[cy - 40:cy + 40, cx - 60:cx + 60]).mean() > 0.3  # the lower face is there


def _crop(img, rect, pad=12):
    y0, x0 = int(rect["y"]) - pad, int(rect["x"]) - pad
    return img[y0:int(rect["y"] + rect["height"]) + pad, x0:int(rect["x"] + rect["width"]) + pad].astype(float)


@needs_chromium
def test_playing_one_second_moves_the_mouth(project, browser):
    context, page, _, blocked, errors = _offline_page(browser)
    try:
        page.goto((project / "report.html").as_uri())
        open_line(page, "l1")
        seek(page, 0.0)
        mouth = page.evaluate("window.kmtalkReport.mouthRect()")
        eye_y = mouth["y"] - 1.6 * mouth["width"]  # a band of the upper face, for comparison
        before = pixels(page.screenshot())
        page.click("#player .play")
        page.wait_for_function("window.kmtalkReport.currentTime() >= 1.0", timeout=60_000)
        page.click("#player .play")  # pause
        page.wait_for_function("document.querySelector('#player audio').paused")
        t = page.evaluate("window.kmtalkReport.currentTime()")
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        after = pixels(page.screenshot())
    finally:
        context.close()
    assert not errors and not blocked
    assert t >= 1.0
    moved = np.abs(_crop(after, mouth) - _crop(before, mouth)).mean()
    forehead = {"x": mouth["x"], "y": eye_y - 30, "width": mouth["width"], "height": 20}
    still = np.abs(_crop(after, forehead, 0) - _crop(before, forehead, 0)).mean()
    assert moved > 4.0 and moved > 5 * still, (moved, still)


@needs_chromium
def test_approve_from_file_downloads_decisions_the_batch_obeys(copy, browser):
    context, page, _, blocked, errors = _offline_page(browser)
    try:
        page.goto((copy / "report.html").as_uri())
        assert page.get_attribute("body", "data-review-mode") == "file"
        open_line(page, "l1")
        page.fill("#player .note", "good take")
        with page.expect_download() as info:
            page.click("#player .approve")
        info.value.save_as(copy / "decisions.json")
        assert info.value.suggested_filename == "decisions.json"
        page.wait_for_function("document.querySelector('.decision[data-id=\"l1\"]').textContent === 'approved'")
    finally:
        context.close()
    assert not errors and not blocked
    record = read_record(copy / "out" / "l1.kmtalk.json")
    entry = read_decisions(copy / "decisions.json")["lines"]["l1"]
    assert entry["decision"] == "approved" and entry["note"] == "good take"
    assert entry["version"] == record["input_hash"]

    # The next run: l1's inputs change, yet the approved line is not redone; l2 (not approved) is.
    npz = file_hash(copy / "out" / "l1.npz")
    manifest = (copy / "lines.csv").read_text()
    (copy / "lines.csv").write_text(manifest.replace(TEXT, TEXT.replace("movie", "moody")))
    again = {r.id: r for r in run_batch(copy / "lines.csv", workers=1, method="prior").lines}
    assert again["l1"].status == "kept" and "approved in review" in again["l1"].message
    assert again["l2"].status == "done"
    assert file_hash(copy / "out" / "l1.npz") == npz
    assert again["l1"].preview and again["l1"].qc  # the report still shows and plays it
    forced = {r.id: r for r in run_batch(copy / "lines.csv", workers=1, method="prior", force=True).lines}
    assert forced["l1"].status == "done" and file_hash(copy / "out" / "l1.npz") != npz
    # After the forced redo the approval is for an earlier version: nothing is held any more.
    from kmtalk.dubbing.batch import read_manifest

    assert hold_approved(read_manifest(copy / "lines.csv"), {"fps": None, "aligner": None, "method": "prior"},
                         copy / "decisions.json") == {}


@needs_chromium
def test_review_server_writes_decisions(copy, browser):
    server = make_server(copy, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = server.origin
    context, page, _, blocked, errors = _offline_page(browser, allowed=("file:", "data:", "blob:", origin))
    try:
        page.goto(server.url)
        page.wait_for_function("document.body.getAttribute('data-review-mode') === 'server'")
        open_line(page, "l2")
        page.fill("#player .note", "closure late on 'mouse'")
        page.click("#player .reject")
        page.wait_for_function("document.querySelector('#player .saved').textContent.includes('saved to')")
        label = page.text_content(".decision[data-id='l2']")

        def post(body, headers):
            req = urllib.request.Request(origin + "/api/decision", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", **headers}, method="POST")
            try:
                return urllib.request.urlopen(req, timeout=10).status
            except urllib.error.HTTPError as exc:
                return exc.code

        foreign = post({"id": "l1", "decision": "approved"}, {"Origin": "http://evil.example"})
        unknown = post({"id": "nope", "decision": "approved"}, {})
        bad = post({"id": "l1", "decision": "maybe"}, {})

        def get(path):
            try:
                return urllib.request.urlopen(origin + path, timeout=10).status
            except urllib.error.HTTPError as exc:
                return exc.code

        others = [get(p) for p in ("/lines.csv", "/report_files/../lines.csv", "/report_files/%2e%2e/lines.csv",
                                   "/out/l1.npz")]
    finally:
        context.close()
        server.shutdown()
        server.server_close()
    assert not errors and not blocked
    assert label == "rejected"
    doc = read_decisions(copy / "decisions.json")
    assert doc["lines"]["l2"]["decision"] == "rejected" and doc["lines"]["l2"]["note"] == "closure late on 'mouse'"
    assert doc["lines"]["l2"]["version"] == read_record(copy / "out" / "l2.kmtalk.json")["input_hash"]
    assert (foreign, unknown, bad) == (403, 404, 400)
    assert "l1" not in doc["lines"]
    assert others == [404] * 4, "the server must serve only the report and its files"


# ---------------------------------------------------------------- errors

def test_decisions_file_errors(tmp_path):
    bad = tmp_path / "decisions.json"
    bad.write_text("{not json")
    with pytest.raises(KmtalkError, match="not valid JSON"):
        read_decisions(bad)
    bad.write_text(json.dumps({"format": "other", "lines": {}}))
    with pytest.raises(KmtalkError, match="not a kmtalk decisions file"):
        read_decisions(bad)
    with pytest.raises(KmtalkError, match="decision must be one of"):
        set_decision(tmp_path / "d2.json", "l1", "maybe")
    assert read_decisions(tmp_path / "absent.json")["lines"] == {}


def test_cli_review_user_errors(tmp_path, capsys):
    assert main(["review", str(tmp_path)]) == 2
    assert "no report.html" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["review", "--help"])
    assert exc.value.code == 0


def test_cli_review_refuses_other_hosts(project, capsys):
    assert main(["review", str(project), "--host", "0.0.0.0"]) == 2
    assert "this machine only" in capsys.readouterr().err


def test_cli_review_serves_the_report(project):
    """`kmtalk review DIR --port 0 --json` (a real process) prints its URL and serves the page there."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "kmtalk", "review", str(project), "--port", "0", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.rstrip() == "}":
                break
        info = json.loads("".join(lines))
        assert info["url"].startswith("http://127.0.0.1:") and info["url"].endswith("/report.html")
        with urllib.request.urlopen(info["url"], timeout=10) as resp:
            assert resp.status == 200 and b"report_files/player.js" in resp.read()
        with urllib.request.urlopen(info["url"].replace("report.html", "api/decisions"), timeout=10) as resp:
            assert json.load(resp)["format"] == "kmtalk.review.decisions"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
