"""kmtalk.retime: locks and hand edits carried to a new take of the line by word/phone correspondence.

Real components throughout: the two takes are synthesised with the
``espeak-ng`` command (different voices and rates), aligned with pocketsphinx
and animated with the prior.
"""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
import soundfile as sf

import kmtalk
from kmtalk.face.arkit import ARKIT_INDEX, ARKIT_NAMES
from kmtalk.cli import main
from kmtalk.dubbing.correspond import match_phones
from kmtalk.errors import AnimationError
from kmtalk.dubbing.retime import detect_edited_frames, retime
from phoneme.types import Interval

TEXT = "Bob bought a big blue balloon for the party"
SHORT = "Bob bought a blue balloon for the party"  # "big" cut


def _espeak(path, text, voice, rate):
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(rate), "-w", str(path), text], check=True,
                   capture_output=True)
    return path


@pytest.fixture(scope="module")
def takes(tmp_path_factory):
    d = tmp_path_factory.mktemp("takes")
    a = _espeak(d / "a.wav", TEXT, "en-us", 140)
    b = _espeak(d / "b.wav", TEXT, "en-gb+f3", 215)
    # The dub starts after 0.7 s of silence: a global time stretch would put every lock in the wrong word.
    x, sr = sf.read(b, dtype="float32")
    sf.write(d / "b_late.wav", np.concatenate([np.zeros(int(0.7 * sr), np.float32), x]), sr)
    short = _espeak(d / "short.wav", SHORT, "en-us+m3", 180)
    return {"a": a, "b": d / "b_late.wav", "short": short, "dir": d}


def _word_frame(anim, label, u=0.5):
    w = next(w for w in anim.words if w.label == label)
    return round((w.start + u * w.duration) * anim.fps)


@pytest.fixture(scope="module")
def source(takes):
    plain = kmtalk.animate(takes["a"], TEXT)
    locks = {
        _word_frame(plain, "big"): {"jawOpen": 0.55, "mouthSmileLeft": 0.4},
        _word_frame(plain, "balloon", 0.3): {"mouthFunnel": 0.7},
        _word_frame(plain, "party", 0.6): {"mouthSmileRight": 0.5, "jawOpen": 0.3},
        _word_frame(plain, "bought"): "PP",
    }
    return kmtalk.animate(takes["a"], TEXT, locks=locks)


def _target_word(anim, label):
    return next(w for w in anim.words if w.label == label)


def test_locks_land_inside_corresponding_words_and_are_exact(source, takes):
    new = retime(source, takes["b"], TEXT)
    info = new.meta["retime"]
    assert info["unplaced"] == [] and len(info["placed"]) == len(source.locks) == 4
    assert new.meta["retime"]["source"]["duration"] == pytest.approx(source.duration)
    for rec in info["placed"]:
        assert rec["kind"] == "lock" and rec["anchor"] == "phone" and rec["method"] in ("phone", "viseme")
        word = _target_word(new, rec["word"])
        assert rec["target_word"] == rec["word"]
        t = rec["target_frame"] / new.fps
        assert word.start - 1e-6 <= t <= word.end + 1e-6, (rec, word)
        # Exact at the new frame: every channel the source pinned.
        pins = source.locks[rec["source_frame"]]
        assert new.locks[rec["target_frame"]] == pytest.approx(pins, abs=0)
        for name, value in pins.items():
            assert new.weights[rec["target_frame"], ARKIT_INDEX[name]] == np.float32(value)
    # Not a stretch: the 0.7 s of leading silence moved every lock by more than a global scaling would.
    first = min(info["placed"], key=lambda r: r["source_frame"])
    assert first["target_time"] > 0.7


def test_same_relative_position_inside_the_phone(source, takes):
    new = retime(source, takes["b"], TEXT)
    for rec in new.meta["retime"]["placed"]:
        t0, t1 = rec["target_span"]
        assert rec["target_time"] == pytest.approx(t0 + rec["position"] * (t1 - t0), abs=2e-4)


def test_hand_edited_frames_detected_and_carried_whole(source, takes):
    edited = kmtalk.Animation.load(source.save(takes["dir"] / "edited.npz"))
    f = _word_frame(edited, "blue", 0.5)
    edited.weights[f] = np.clip(edited.weights[f] + 0.25, 0, 1)
    assert detect_edited_frames(edited) == [f]
    new = retime(edited, takes["b"], TEXT)
    recs = [r for r in new.meta["retime"]["placed"] if r["kind"] == "edit"]
    assert [r["source_frame"] for r in recs] == [f] and new.meta["retime"]["edited_frames"] == [f]
    g = recs[0]["target_frame"]
    word = _target_word(new, "blue")
    assert word.start - 1e-6 <= g / new.fps <= word.end + 1e-6
    np.testing.assert_array_equal(new.weights[g], edited.weights[f])  # all 52 channels
    assert set(new.locks[g]) == set(ARKIT_NAMES)


def test_meta_edited_frames_without_detection(source, takes):
    marked = kmtalk.Animation.load(source.save(takes["dir"] / "marked.npz"))
    f = _word_frame(marked, "for")
    marked.meta["edited_frames"] = [f]
    new = retime(marked, takes["b"], TEXT, detect_edits=False)
    assert [r["source_frame"] for r in new.meta["retime"]["placed"] if r["kind"] == "edit"] == [f]


def test_lock_in_a_cut_word_is_reported_not_dropped(source, takes):
    new = retime(source, takes["short"], SHORT)
    info = new.meta["retime"]
    assert [u["word"] for u in info["unplaced"]] == ["big"]
    assert "big" in info["unplaced"][0]["reason"]
    assert len(info["placed"]) == 3
    for rec in info["placed"]:
        word = _target_word(new, rec["word"])
        assert word.start - 1e-6 <= rec["target_frame"] / new.fps <= word.end + 1e-6


def test_extra_locks_fps_and_errors(source, takes):
    new = retime(source, takes["b"], TEXT, fps=60, locks={"1.0s": {"browInnerUp": 0.8}})
    assert new.fps == 60 and new.n_frames == round(sf.info(takes["b"]).duration * 60)
    assert new.locks[60] == {"browInnerUp": pytest.approx(0.8)}
    heard = retime(source, takes["b"])  # no transcript: the new line is recognised, then re-timed
    assert heard.meta["transcript_free"] and heard.meta["recognised"] and heard.meta["retime"]["placed"]
    bare = kmtalk.Animation(fps=30, weights=source.weights)
    with pytest.raises(AnimationError, match="no phone timeline"):
        retime(bare, takes["b"], TEXT)


def test_other_language_falls_back_to_visemes():
    src_w = [Interval("mama", 0.0, 0.6)]
    src_p = [Interval("m", 0.0, 0.1, word=0), Interval("a", 0.1, 0.3, word=0),
             Interval("m", 0.3, 0.4, word=0), Interval("a", 0.4, 0.6, word=0)]
    tgt_w = [Interval("sil", 0.0, 0.5), Interval("mom", 0.5, 1.0)]
    tgt_p = [Interval("sil", 0.0, 0.5), Interval("m", 0.5, 0.6, word=1), Interval("ɑ", 0.6, 0.9, word=1),
             Interval("m", 0.9, 1.0, word=1)]
    m = match_phones(src_w, src_p, tgt_w, tgt_p, match_words=False)
    assert [(x.start, x.end) for x in m[:3]] == [(0.5, 0.6), (0.6, 0.9), (0.9, 1.0)]
    assert m[0].method == "phone" and m[1].method == "viseme" and not m[0].word_matched
    assert m[3].method == "collapsed" and m[3].start == m[3].end == 1.0
    # Same labels, word matching on: a replaced word still maps through its visemes.
    m2 = match_phones(src_w, src_p, tgt_w, tgt_p)
    assert m2[0] is not None and m2[0].start == 0.5


def test_dub_in_another_language(source, takes):
    """English source, Spanish dub (espeak-ng's Spanish voice; aligned by whatever ``language="es"`` uses)."""
    es = _espeak(takes["dir"] / "es.wav", "Bob compró un globo azul muy bonito para la fiesta", "es", 150)
    new = retime(source, es, "Bob compró un globo azul muy bonito para la fiesta", language="es")
    info = new.meta["retime"]
    assert info["match_words"] is False and info["unplaced"] == []
    placed = sorted(info["placed"], key=lambda r: r["source_frame"])
    assert len(placed) == 4
    frames = [r["target_frame"] for r in placed]
    assert frames == sorted(frames) and len(set(frames)) == 4  # order kept, nothing merged
    spoken = [w for w in new.words if not w.is_silence]
    assert spoken[0].start - 1e-6 <= frames[0] / new.fps and frames[-1] / new.fps <= spoken[-1].end + 1e-6
    for r in placed:
        for name, value in source.locks[r["source_frame"]].items():
            assert new.weights[r["target_frame"], ARKIT_INDEX[name]] == np.float32(value)


def test_cli_retime(source, takes, capsys):
    src = source.save(takes["dir"] / "src.npz")
    out = takes["dir"] / "dub.json"
    # The 215 wpm dub is much faster than the 140 wpm source: QC fails on isochrony, exit status 3.
    assert main(["retime", str(src), str(takes["b"]), "--text", TEXT, "-o", str(out), "--json", "--qc"]) == 3
    summary = json.loads(capsys.readouterr().out)
    assert summary["qc"]["isochrony_ok"] is False
    assert len(summary["placed"]) == 4 and summary["unplaced"] == []
    assert "av_offset_ms" in summary["qc"] and out.is_file()
