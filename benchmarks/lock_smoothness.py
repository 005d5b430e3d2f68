"""How smoothly the learned path flows into an editor's pin far from the free motion.

The case of ``tests/test_animate.py``'s lock test: LibriVox 0870 (shipped in
``tests/data``), locks ``{30: jawOpen 0.9 + mouthSmileLeft 0.5, 2.0 s: "ou",
70: mouthClose 0}``. For each model it animates the line with and without the
locks and reports, on jawOpen around frame 30 (frames 15–45):

* ``natural``: the largest frame-to-frame step of any channel without locks;
* ``into pin``: the step from frame 29 to the pinned frame 30;
* ``largest``: the largest jawOpen step around the pin, and its ratio to natural;
* whether the pin is met exactly.

Run (from the repository root; under a minute)::

    python benchmarks/lock_smoothness.py                                   # the default model
    python benchmarks/lock_smoothness.py --checkpoint kmtalk-arkit-whisper --checkpoint runs/x/checkpoint

To measure an older tree, put it first on ``PYTHONPATH`` (``git archive REV``).
No figure here is asserted by a test; results go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LINE = ROOT / "tests" / "data" / "speech" / "librivox" / "sense_and_sensibility_01_austen_64kb-0870"
LOCKS = {30: {"jawOpen": 0.9, "mouthSmileLeft": 0.5}, 2.0: "ou", 70: {"mouthClose": 0.0}}


def measure(checkpoint: str | None) -> dict:
    import kmtalk
    from kmtalk.face.arkit import ARKIT_INDEX

    wav, text = f"{LINE}.flac", Path(f"{LINE}.txt").read_text("utf-8").strip()
    jaw = ARKIT_INDEX["jawOpen"]
    locked = kmtalk.animate(wav, text, locks=LOCKS, checkpoint=checkpoint).weights
    free = kmtalk.animate(wav, text, checkpoint=checkpoint).weights
    natural = float(np.abs(np.diff(free[15:45], axis=0)).max())
    largest = float(np.abs(np.diff(locked[15:46, jaw])).max())
    into_pin = float(abs(locked[30, jaw] - locked[29, jaw]))
    return {"model": checkpoint or "default", "natural": natural, "into_pin": into_pin, "largest": largest,
            "ratio": largest / natural, "exact": bool(locked[30, jaw] == np.float32(0.9))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", action="append", help="a model folder or shipped name (repeatable)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    print(f"{'model':40s} {'natural':>8s} {'into pin':>9s} {'largest':>8s} {'x natural':>9s} exact")
    for ck in args.checkpoint or [None]:
        r = measure(ck)
        print(f"{r['model']:40s} {r['natural']:8.3f} {r['into_pin']:9.3f} {r['largest']:8.3f} {r['ratio']:9.2f} "
              f"{r['exact']}")


if __name__ == "__main__":
    main()
