"""The synthetic corpus generator end to end with the real espeak-ng, prior animator and files on disk."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from kmtalk.animator.prior import animate_prior
from kmtalk.errors import KmtalkError
from kmtalk.face.arkit import ARKIT_INDEX
from kmtalk.train.corpus import SentenceGenerator, generate_corpus, perturb_lexicon
from kmtalk.train.corpus.synthetic import make_line
from phoneme.keys import KeyMotion
from phoneme.lexicon import load_lexicon
from phoneme.types import Alignment


def test_two_lines_end_to_end(tmp_path):
    out = tmp_path / "corpus"
    lines = generate_corpus(out, 2, seed=5)
    rows = [json.loads(s) for s in (out / "manifest.jsonl").read_text("utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["000000", "000001"] == [ln.id for ln in lines]
    settings = json.loads((out / "corpus.json").read_text("utf-8"))
    assert settings["seed"] == 5 and all(v.startswith("en") for v in settings["voices"])
    for r in rows:
        x, sr = soundfile.read(out / r["wav"], dtype="float32")
        assert sr == 16000 and x.ndim == 1
        al = Alignment.load_json(out / r["alignment"])
        assert al.aligner == "espeak-ng" and al.duration == pytest.approx(len(x) / sr, abs=1e-4)
        assert next(w.label for w in al.spoken_words()).isalpha()
        curves = np.load(out / r["curves"], allow_pickle=False)
        assert curves.dtype == np.float32 and curves.shape == (r["n_frames"], 52)
        assert r["n_frames"] == round(r["duration"] * 30)
        assert curves.min() >= 0.0 and curves.max() <= 1.0 and curves[:, ARKIT_INDEX["jawOpen"]].max() > 0.1
        keys = [KeyMotion.from_dict(k) for k in json.loads((out / r["keys"]).read_text("utf-8"))]
        assert len(keys) == r["n_keys"] > 3
        # the targets are the prior's: at a bilabial key the lips meet over the jaw
        for k in keys:
            if k.kind == "bilabial_closure":
                assert curves[k.frame, ARKIT_INDEX["mouthClose"]] == curves[k.frame, ARKIT_INDEX["jawOpen"]]
        assert 130 <= r["rate"] <= 250 and 0.75 <= r["jaw"] <= 1.25 and 0.75 <= r["lip"] <= 1.25
    assert rows[0]["text"] != rows[1]["text"] or rows[0]["voice"] != rows[1]["voice"]
    with pytest.raises(KmtalkError, match="already holds a corpus"):
        generate_corpus(out, 1)


def test_command_line_is_reproducible_in_fresh_processes(tmp_path):
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        proc = subprocess.run([sys.executable, "-m", "kmtalk.train.corpus.synthetic",
                               "--out", str(out), "--lines", "2", "--seed", "11"],
                              capture_output=True, text=True, timeout=120, check=False)
        assert proc.returncode == 0, proc.stderr
        assert "wrote 2 lines" in proc.stdout
        outs.append(out)
    for rel in ("manifest.jsonl", "wav/000001.wav", "curves/000001.npy", "keys/000000.json"):
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel
    proc = subprocess.run([sys.executable, "-m", "kmtalk.train.corpus.synthetic",
                           "--out", str(outs[0]), "--lines", "1"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2 and "already holds a corpus" in proc.stderr


def test_perturbed_lexicon_jitters_timing_not_poses():
    base = json.loads(Path(load_lexicon("en").source).read_text("utf-8"))
    data = perturb_lexicon(np.random.default_rng(1))
    assert data["poses"] == base["poses"]
    changed = [p for p in base["phones"] if data["phones"][p]["anticipation"] != base["phones"][p]["anticipation"]]
    assert len(changed) > len(base["phones"]) // 2
    for entry in data["phones"].values():
        assert 0.05 <= entry["dominance"] <= 1.0 and 0.0 <= entry["release"] <= 0.5
    lex = load_lexicon(data)  # validates
    assert lex.name.endswith("+perturbed")
    # a perturbed lexicon changes the prior's curves, but only a little (same speech and timing)
    _, al, w0, _ = make_line("Maybe move the blue boat.")
    w1, _ = animate_prior(al, 30.0, lexicon=lex, n_frames=len(w0))
    w2, _ = animate_prior(al, 30.0, n_frames=len(w0))
    assert 0 < np.abs(w1 - w2).max() < 0.5 and np.abs(w1 - w2).mean() < 0.02


def test_sentence_generator_sources_and_seed():
    for source in ("sentences", "templates", "words"):
        gen = SentenceGenerator(mix={source: 1.0})
        texts = [gen.sentence(np.random.default_rng(i)) for i in range(5)]
        assert all(t and "{" not in t and t[0].isupper() for t in texts)
        assert texts == [gen.sentence(np.random.default_rng(i)) for i in range(5)]
    with pytest.raises(ValueError):
        SentenceGenerator(mix={"poems": 1.0})
