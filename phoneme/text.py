"""English text normalisation: a transcript becomes the words a speaker says.

:func:`normalize_text` turns written English into lower-case spoken word
tokens: numbers, ordinals, years, decades, money, clock times, percentages,
decimals, simple fractions, units after numbers, abbreviations and symbols are
written out; punctuation is dropped; hyphens split words; apostrophes inside
words stay (``don't``, ``rock'n'roll``, ``o'clock``); disfluencies (``um``,
``uh``, ``hmm``) are words like any other.

The tables live in ``assets/text/`` (``abbreviations.tsv``, ``symbols.tsv``,
``currencies.tsv``, ``units.tsv``, ``latin_letters.tsv``); number words come
from the ``inflect`` package (a dependency of g2p-en), imported only when a
transcript holds a digit.

Reading conventions (US English, as CMUdict): no "and" inside numbers
("one hundred five"); four-digit numbers from 1000 to 2099 are read as years
("nineteen ninety nine", "two thousand five", "twenty twenty four") unless a
unit follows; ``10:00`` is "ten o'clock", ``10:05`` "ten oh five";
``am``/``pm`` are spoken as letters ("p m").

Examples
--------
>>> from phoneme.text import normalize_text
>>> normalize_text("Dr. Smith paid $3.50 at 10:30 on May 3rd, 1999!")
['doctor', 'smith', 'paid', 'three', 'dollars', 'fifty', 'cents', 'at', 'ten', 'thirty', 'on', 'may', 'third', 'nineteen', 'ninety', 'nine']
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from .assets import asset_path
from .errors import AssetError, TranscriptError

__all__ = ["normalize_text", "normalize_tokens", "number_words"]

# ---------------------------------------------------------------- tables


def _read_tsv(name: str, ncols: int) -> list[list[str]]:
    path = asset_path("text", name)
    rows = []
    with open(path, encoding="utf-8") as fh:
        # comment lines start with "# " (so that "#" itself can be a table entry)
        lines = [ln.rstrip("\n") for ln in fh if ln.strip() and not ln.startswith("# ")]
    for ln in lines[1:]:  # header
        cols = ln.split("\t")
        if len(cols) != ncols:
            raise AssetError(f"text/{name}: expected {ncols} tab-separated columns in {ln!r}")
        rows.append(cols)
    return rows


_WHEN = ("always", "before_capital", "after_capital", "before_number", "after_number")


@dataclass(frozen=True)
class _Tables:
    abbreviations: dict[str, list[tuple[str, str]]]
    symbols: dict[str, list[tuple[str, str]]]
    currencies: dict[str, tuple[str, str, str | None, str | None]]
    units: dict[str, tuple[str, str]]
    latin: dict[str, str]


def _conditional(name: str, lower: bool) -> dict[str, list[tuple[str, str]]]:
    table: dict[str, list[tuple[str, str]]] = {}
    for key, spoken, when in _read_tsv(name, 3):
        if when not in _WHEN:
            raise AssetError(f"text/{name}: unknown condition {when!r} for {key!r}")
        table.setdefault(key.lower() if lower else key, []).append((spoken, when))
    return table


@lru_cache(maxsize=1)
def _tables() -> _Tables:
    return _Tables(
        abbreviations=_conditional("abbreviations.tsv", lower=True),
        symbols=_conditional("symbols.tsv", lower=False),
        currencies={
            r[0]: (r[1], r[2], None if r[3] == "-" else r[3], None if r[4] == "-" else r[4])
            for r in _read_tsv("currencies.tsv", 5)
        },
        units={r[0]: (r[1], r[2]) for r in _read_tsv("units.tsv", 3)},
        latin={r[0]: r[1] for r in _read_tsv("latin_letters.tsv", 2)},
    )


# ---------------------------------------------------------------- number words

_INFLECT_LOCK = threading.Lock()
_INFLECT: Any = None


def _engine() -> Any:
    global _INFLECT
    with _INFLECT_LOCK:
        if _INFLECT is None:
            import inflect  # slow to import (~1.7 s); only needed for digits

            _INFLECT = inflect.engine()
        return _INFLECT


_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_MAX_CARDINAL_DIGITS = 15


def _split(words: str) -> list[str]:
    return [w for w in re.split(r"[\s,\-]+", words) if w]


def _cardinal(n: int) -> list[str]:
    if n < 0:
        return ["minus", *_cardinal(-n)]
    if len(str(n)) > _MAX_CARDINAL_DIGITS:
        return [_DIGITS[int(d)] for d in str(n)]
    return _split(_engine().number_to_words(n, andword="", zero="zero"))


def _ordinal(n: int) -> list[str]:
    return _split(_engine().ordinal(_engine().number_to_words(n, andword="")))


def _year(n: int) -> list[str]:
    hi, lo = divmod(n, 100)
    if n % 1000 == 0 or 2000 < n < 2010:
        return _cardinal(n)
    if lo == 0:
        return [*_cardinal(hi), "hundred"]
    if lo < 10:
        return [*_cardinal(hi), "oh", *_cardinal(lo)]
    return [*_cardinal(hi), *_cardinal(lo)]


def _plural(words: list[str]) -> list[str]:
    return [*words[:-1], _engine().plural_noun(words[-1])]


def number_words(text: str, *, year: bool = False) -> list[str]:
    """Spell a written number (digits, optional thousands commas and decimals).

    Parameters
    ----------
    text : str
        ``"42"``, ``"1,000"``, ``"3.14"``, ``".5"``, ``"-7"``, ``"007"``.
    year : bool
        Read a four-digit integer from 1000 to 2099 as a year.

    Returns
    -------
    list of str
        Lower-case words. A leading zero (``"007"``) or more than 15 digits
        reads digit by digit; decimals read digit by digit after "point".

    Raises
    ------
    TranscriptError
        If ``text`` is not a number.

    Examples
    --------
    >>> number_words("42"), number_words("1999", year=True), number_words("3.05")
    (['forty', 'two'], ['nineteen', 'ninety', 'nine'], ['three', 'point', 'zero', 'five'])
    """
    s = text.strip().replace(",", "")
    m = re.fullmatch(r"([-+]?)(\d*)(?:\.(\d+))?", s)
    if not m or not (m.group(2) or m.group(3)):
        raise TranscriptError(f"{text!r} is not a number")
    sign, whole, frac = m.groups()
    out = ["minus"] if sign == "-" else []
    if whole:
        if len(whole) > 1 and whole.startswith("0"):
            out += [_DIGITS[int(d)] for d in whole]
        elif year and frac is None and len(whole) == 4 and 1000 <= int(whole) <= 2099:
            out += _year(int(whole))
        else:
            out += _cardinal(int(whole))
    if frac is not None:
        out += ["point", *(_DIGITS[int(d)] for d in frac)]
    return out


# ---------------------------------------------------------------- tokenizer

_CUR = "[$£€¥₹₩₽]"
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_AMPM = r"[aApP]\.?[mM]\.?(?![^\W\d_])"
_LET = r"[^\W\d_]"


@lru_cache(maxsize=1)
def _token_re() -> re.Pattern[str]:
    units = sorted(_tables().units, key=len, reverse=True)
    unit_alt = "|".join(re.escape(u) for u in units)
    parts = [
        (
            rf"(?P<money>(?P<cur>{_CUR})\s?(?P<amt>{_NUM})"
            rf"(?:\s?(?P<scale>thousand|million|billion|trillion|bn|[kKmMbB])(?!{_LET}))?)"
        ),
        rf"(?P<money_after>(?P<amt2>{_NUM})\s?(?P<cur2>{_CUR}))",
        (
            rf"(?P<time>(?<![\d:])(?P<hh>\d{{1,2}}):(?P<mm>\d{{2}})(?::(?P<ss>\d{{2}}))?(?![\d:])"
            rf"(?:\s?(?P<ampm>{_AMPM}))?)"
        ),
        rf"(?P<clock>(?<![\d.,])(?P<ch>\d{{1,2}})\s?(?P<campm>{_AMPM}))",
        r"(?P<telephone>(?<![\d-])(?:\d{3}-)?\d{3}-\d{4}(?![\d-]))",
        rf"(?P<ordinal>(?<![\d.,])(?P<ordn>\d+)(?:st|nd|rd|th|ST|ND|RD|TH)(?!{_LET}))",
        rf"(?P<decade>(?:(?<![\w'])'(?P<dec2>\d{{2}})|(?<![\d.,])(?P<dec>\d{{2}}|\d{{4}}))s(?!{_LET}))",
        r"(?P<fraction>(?<![\d/])(?P<fn>\d{1,3})/(?P<fd>\d{1,3})(?![\d/]))",
        rf"(?P<number>(?P<num>{_NUM})(?:\s?(?P<unit>{unit_alt})(?![\w/]))?)",
        rf"(?P<initialism>(?<![\w.])(?:{_LET}\.){{2,}})",
        rf"(?P<word>(?P<wtext>{_LET}+(?:'{_LET}+)*)(?P<dot>\.)?)",
        r"(?P<sym>[^\w\s])",
    ]
    return re.compile("|".join(parts))


_NUMERIC = frozenset(
    {
        "telephone",
        "money",
        "money_after",
        "time",
        "clock",
        "ordinal",
        "decade",
        "fraction",
        "number",
    }
)


class _Tok(NamedTuple):
    kind: str
    m: re.Match[str]

    @property
    def text(self) -> str:
        return self.m.group(0)


_PREP = str.maketrans(
    {
        "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
        "“": '"', "”": '"', "„": '"',
        "–": "-", "‑": "-", "‐": "-", "−": "-", "—": " ", "―": " ", "⁄": "/",
    }
)  # fmt: skip


def _prepare(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_PREP)


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.lastgroup or "", m) for m in _token_re().finditer(text)] if text else []


# ---------------------------------------------------------------- expansion


def _ascii_word(word: str, original: str) -> str:
    latin = _tables().latin
    word = "".join(latin.get(c, c) for c in word)
    word = "".join(
        c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)
    ).lower()
    if not re.fullmatch(r"[a-z]+(?:'[a-z]+)*", word):
        raise TranscriptError(
            f"the transcript word {original!r} is not written in the Latin alphabet; "
            "normalize_text handles English only (other languages will come via espeak-ng)"
        )
    return word


def _unit_words(unit: str, value: str) -> list[str]:
    singular, plural = _tables().units[unit]
    try:
        one = float(value.replace(",", "")) == 1.0 and "." not in value
    except ValueError:
        one = False
    return (singular if one else plural).split()


def _money(cur: str, amt: str, scale: str | None) -> list[str]:
    major, majors, minor, minors = _tables().currencies[cur]
    if scale:
        scale_word = {"k": "thousand", "m": "million", "b": "billion", "bn": "billion"}.get(
            scale.lower(), scale.lower()
        )
        return [*number_words(amt), scale_word, *majors.split()]
    whole, _, frac = amt.replace(",", "").partition(".")
    if minor is None or len(frac) > 2:
        value = number_words(amt)
        one = value == ["one"]
        return [*value, *(major if one else majors).split()]
    units = int(whole) if whole else 0
    cents = int(frac.ljust(2, "0")) if frac else 0
    out: list[str] = []
    if units or not cents:
        out += [*_cardinal(units), *(major if units == 1 else majors).split()]
    if cents:
        out += [*_cardinal(cents), *(minor if cents == 1 else (minors or minor)).split()]
    return out


def _time(hh: str, mm: str, ss: str | None, ampm: str | None) -> list[str]:
    h, m = int(hh), int(mm)
    if h > 24 or m > 59 or (ss is not None and int(ss) > 59):
        out = [*number_words(hh), *number_words(mm)]
        return out + (number_words(ss) if ss else [])
    out = _cardinal(h)
    if m == 0 and ss is None:
        out += [] if ampm else ["o'clock"]
    else:
        out += ["oh", *_cardinal(m)] if m < 10 else _cardinal(m)
    if ss is not None:
        s = int(ss)
        out += ["oh", *_cardinal(s)] if s < 10 else _cardinal(s)
    return out + _ampm(ampm)


def _ampm(text: str | None) -> list[str]:
    if not text:
        return []
    letters = [c.lower() for c in text if c.isalpha()]
    return letters


def _fraction(num: int, den: int) -> list[str]:
    if 0 < num < den <= 10:
        if den == 2:
            name = "half" if num == 1 else "halves"
        elif den == 4:
            name = "quarter" if num == 1 else "quarters"
        else:
            name = _ordinal(den)[-1]
            name = name if num == 1 else _engine().plural_noun(name)
        return [*(["one"] if num == 1 else _cardinal(num)), name]
    return [*_cardinal(num), *_cardinal(den)]


def _capitalised(tok: _Tok | None) -> bool:
    return tok is not None and tok.kind in ("word", "initialism") and tok.text[:1].isupper()


def _condition(when: str, prev: _Tok | None, nxt: _Tok | None) -> bool:
    if when == "always":
        return True
    if when == "before_capital":
        return _capitalised(nxt)
    if when == "after_capital":
        return _capitalised(prev)
    if when == "before_number":
        return nxt is not None and nxt.kind in _NUMERIC
    return prev is not None and prev.kind in _NUMERIC  # after_number


def _pick(rows: list[tuple[str, str]] | None, prev: _Tok | None, nxt: _Tok | None) -> str | None:
    for spoken, when in rows or ():
        if _condition(when, prev, nxt):
            return spoken
    return None


def _expand(tok: _Tok, prev: _Tok | None, nxt: _Tok | None) -> list[str]:
    g = tok.m.group
    kind = tok.kind
    tables = _tables()
    if kind == "money":
        return _money(g("cur"), g("amt"), g("scale"))
    if kind == "money_after":
        return _money(g("cur2"), g("amt2"), None)
    if kind == "time":
        return _time(g("hh"), g("mm"), g("ss"), g("ampm"))
    if kind == "clock":
        return [*_cardinal(int(g("ch"))), *_ampm(g("campm"))]
    if kind == "telephone":  # 555-1234: digit by digit
        return [_DIGITS[int(c)] for c in tok.text if c.isdigit()]
    if kind == "ordinal":
        return _ordinal(int(g("ordn")))
    if kind == "decade":
        digits = g("dec2") or g("dec")
        return _plural(number_words(digits, year=len(digits) == 4))
    if kind == "fraction":
        return _fraction(int(g("fn")), int(g("fd")))
    if kind == "number":
        num, unit = g("num"), g("unit")
        words = number_words(num, year=unit is None and "," not in num)
        return words + (_unit_words(unit, num) if unit else [])
    if kind == "initialism":
        spoken = _pick(tables.abbreviations.get(tok.text.lower()), prev, nxt)
        if spoken is not None:
            return spoken.split()
        return [_ascii_word(c, tok.text) for c in tok.text if c != "."]
    if kind == "word":
        word, dot = g("wtext"), g("dot")
        key = word.lower()
        spoken = None
        if dot:
            spoken = _pick(tables.abbreviations.get(key + "."), prev, nxt)
        if spoken is None:
            spoken = _pick(tables.abbreviations.get(key), prev, nxt)
        out = spoken.split() if spoken is not None else [_ascii_word(word, word)]
        if dot and nxt is not None and nxt.kind == "word" and nxt.m.start() == tok.m.end():
            out.append("dot")  # kmtalk.io, example.com
        return out
    # a single symbol
    sym = tok.text
    if sym == "-":
        adjacent_next = nxt is not None and nxt.m.start() == tok.m.end()
        adjacent_prev = prev is not None and prev.m.end() == tok.m.start()
        if adjacent_next and nxt.kind in _NUMERIC:
            if adjacent_prev and prev.kind in _NUMERIC:
                return ["to"]  # 1990-1995, 5-10
            if not adjacent_prev:
                return ["minus"]  # -5
        return []
    spoken = _pick(tables.symbols.get(sym), prev, nxt)
    if spoken is not None:
        return spoken.split()
    if unicodedata.category(sym).startswith("L"):
        raise TranscriptError(
            f"the transcript character {sym!r} is not English; normalize_text handles "
            "English only (other languages will come via espeak-ng)"
        )
    return []


def _check_language(language: str) -> None:
    lang = str(language).strip().lower().replace("_", "-")
    if lang not in ("en", "eng", "english") and not lang.startswith("en-"):
        raise TranscriptError(
            f"language {language!r}: only English text normalisation is built in "
            "(language='en'); other languages will come later via espeak-ng — until then, "
            "write the transcript out as spoken words yourself"
        )


def normalize_text(text: str, *, language: str = "en") -> list[str]:
    """Turn a written transcript into the lower-case words a speaker says.

    Parameters
    ----------
    text : str
        The transcript as written: any casing, punctuation, numbers, symbols.
    language : str
        Only English (``"en"``, ``"en-US"``, ``"en_GB"``...) is built in.

    Returns
    -------
    list of str
        Spoken word tokens: lower-case ASCII letters, apostrophes kept inside
        words (``"don't"``, ``"o'clock"``).

    Raises
    ------
    TranscriptError
        If the text has no words, is not a string, holds letters outside the
        Latin alphabet, or ``language`` is not English.

    Examples
    --------
    >>> normalize_text("It's 5pm -- 42% of well-known users said 'um, no'.")
    ["it's", 'five', 'p', 'm', 'forty', 'two', 'percent', 'of', 'well', 'known', 'users', 'said', 'um', 'no']
    >>> normalize_text("Rock'n'roll in the '90s cost £5, or €4.99!")
    ["rock'n'roll", 'in', 'the', 'nineties', 'cost', 'five', 'pounds', 'or', 'four', 'euros', 'ninety', 'nine', 'cents']
    """
    return [w for _, spoken in normalize_tokens(text, language=language) for w in spoken]


def normalize_tokens(text: str, *, language: str = "en") -> list[tuple[str, list[str]]]:
    """Like :func:`normalize_text`, but keep each written token with its spoken words.

    Useful to show the transcript as written (subtitles, editors) while
    aligning the spoken words. Tokens that say nothing (punctuation) are left out.

    Parameters
    ----------
    text : str
        The transcript as written.
    language : str
        Only English is built in.

    Returns
    -------
    list of (str, list of str)
        ``(written, spoken_words)`` in order; the written form is after Unicode
        (NFKC) normalisation and with typographic quotes made plain.

    Raises
    ------
    TranscriptError
        As :func:`normalize_text`.

    Examples
    --------
    >>> normalize_tokens("Dr. Who, $5!")
    [('Dr.', ['doctor']), ('Who', ['who']), ('$5', ['five', 'dollars'])]
    """
    _check_language(language)
    if not isinstance(text, str):
        raise TranscriptError(f"the transcript must be a string, got {type(text).__name__}")
    toks = _tokens(_prepare(text))
    out: list[tuple[str, list[str]]] = []
    for i, tok in enumerate(toks):
        prev = toks[i - 1] if i > 0 else None
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        spoken = _expand(tok, prev, nxt)
        if spoken:
            out.append((tok.text, spoken))
    if not out:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise TranscriptError(
            f"the transcript {shown!r} has no words to speak; give the words spoken in the audio"
        )
    return out
