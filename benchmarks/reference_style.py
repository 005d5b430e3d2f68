"""The ``reference`` style on the learned path: does it match a reference's jaw and lip ranges?

Two references are animated by the prior on LibriVox line 0870 of ../shared/data/speech
with JALI axes 1.25/1.2 (lively) and 0.8/0.8 (subdued) and saved. The model then animates
the same line alone and with ``style="reference:path=REF"``. Reported: the jaw range (95th
percentile of jawOpen) and lip range (95th percentile of the mean lip-group activity) of
each (:func:`kmtalk.animator.styles.reference.style_embedding`), and the axes the style chose.

Run::

    python benchmarks/reference_style.py RUN/checkpoint     # ≈ 10 s
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import SPEECH  # $KMTALK_DATA, else ../shared/data

LIBRI = SPEECH / "librivox"
LINE = "sense_and_sensibility_01_austen_64kb-0870"
REFERENCES = ((1.25, 1.2), (0.8, 0.8))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    args = parser.parse_args(argv)

    import kmtalk
    from kmtalk.animator.styles.reference import style_embedding

    wav, text = LIBRI / f"{LINE}.wav", (LIBRI / f"{LINE}.txt").read_text().strip()
    alone = style_embedding(kmtalk.animate(wav, text, method="learned", checkpoint=args.checkpoint))
    print(f"learned alone: jaw/lip range {alone.jaw_range:.3f}/{alone.lip_range:.3f}")
    with tempfile.TemporaryDirectory() as tmp:
        for jaw, lip in REFERENCES:
            ref = kmtalk.animate(wav, text, method="prior", style={"jaw": jaw, "lip": lip})
            path = ref.save(Path(tmp) / f"ref_{jaw}_{lip}.npz")
            want = style_embedding(ref)
            styled = kmtalk.animate(wav, text, method="learned", checkpoint=args.checkpoint,
                                    style=f"reference:path={path}")
            got = style_embedding(styled)
            print(f"reference (prior, axes {jaw}/{lip}): ranges {want.jaw_range:.3f}/{want.lip_range:.3f}; "
                  f"learned + reference {got.jaw_range:.3f}/{got.lip_range:.3f} "
                  f"(off by {got.jaw_range / want.jaw_range - 1:+.1%}/{got.lip_range / want.lip_range - 1:+.1%}; "
                  f"axes {styled.meta['style']['jaw']:.2f}/{styled.meta['style']['lip']:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
