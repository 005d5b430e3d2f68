"""Pronunciation in any language espeak-ng speaks, as IPA phones that the viseme lexicon knows.

English has its own front end (:mod:`phoneme.text`, :mod:`phoneme.g2p`:
CMUdict, then a neural G2P). For every other language the transcript is
split into words (:func:`transcript_words`), espeak-ng says how each is
pronounced (:func:`phoneme.espeak.phonemize` with a phoneme separator) and
each espeak phoneme is turned into lexicon phones (:func:`lexicon_phones`):

* stress marks (ˈ ˌ) become the vowel's ``stress`` (1 primary, 2 secondary,
  0 for an unstressed vowel, ``None`` for a consonant);
* tone numbers and tone letters (Mandarin ``o2``, Vietnamese ``aː6``) and
  espeak's linking hyphen (French ``ə-``) are dropped — they do not change
  the mouth shape;
* a doubled letter (Italian ``ss``, Japanese ``ää``) is a long phone (``sː``);
* espeak's language-switch markers (``(en)``, ``(fr)``) are not phones;
* a name the lexicon does not know as a whole is split by
  :func:`split_ipa` into the longest pieces it does know (Russian ``ju`` →
  ``j u``); length marks, tie bars and diacritics are handled by
  :meth:`phoneme.lexicon.Lexicon.entry`.

A phone the lexicon cannot map is **never dropped**: it is a
:class:`~phoneme.errors.LexiconError` that names the phone and the word.

Japanese: espeak-ng reads kana (hiragana and katakana), not kanji; a
transcript with kanji is a :class:`~phoneme.errors.PronunciationError` that
names them.

Examples
--------
>>> from phoneme.multilingual import pronounce
>>> [(p.word, p.phones) for p in pronounce("¿Cómo estás?", language="es")]
[('cómo', ('k', 'o', 'm', 'o')), ('estás', ('e', 's', 't', 'a', 's'))]
>>> pronounce("estás", language="es")[0].stress
(0, None, None, 1, None)
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .errors import LexiconError, PronunciationError, TranscriptError
from .lexicon import Lexicon, load_lexicon

__all__ = [
    "WordPronunciation",
    "espeak_voice",
    "is_english",
    "lexicon_phones",
    "pronounce",
    "split_ipa",
    "transcript_words",
    "word_phones",
]

log = logging.getLogger(__name__)

_STRESS = {"ˈ": 1, "ˌ": 2}
# Characters that attach to the phone before them: length, secondary articulation, release marks.
_ATTACH = frozenset("ːˑʲʰʷˠˤⁿˡʼ˞ᵝ̚")
_TIE = frozenset("\u0361\u035c")
# Tone letters and digits (tones do not change the viseme), syllable and linking marks.
_IGNORED = frozenset("˥˦˧˨˩0123456789.‿-|‖'’")
_SWITCH = re.compile(r"^\(([a-z]{2,3}(?:-[a-z0-9]+)*)\)$", re.IGNORECASE)
_MAX_UNIT = 3  # segments in the longest lexicon unit tried when splitting (e.g. "ɐ̃ʊ̃")
_SEPARATOR = "\x01"


def is_english(language: str) -> bool:
    """True for English language codes (``en``, ``en-US``, ``en_GB``, ``eng``, ``english``).

    Examples
    --------
    >>> is_english("en-GB"), is_english("es")
    (True, False)
    """
    lang = str(language).strip().lower().replace("_", "-")
    return lang in ("en", "eng", "english") or lang.startswith("en-")


def espeak_voice(language: str) -> str:
    """The espeak-ng voice for a language code (``"es"``, ``"pt-BR"``, ``"ja"``), checked to be installed.

    Plain English (``"en"``) is espeak's ``"en-us"``.

    Raises
    ------
    UnknownVoiceError
        No installed espeak-ng voice speaks it (the message lists close matches).
    BackendUnavailableError
        espeak-ng's library is not installed.

    Examples
    --------
    >>> espeak_voice("pt_BR")
    'pt-br'
    """
    from .espeak import _library as _lib
    from .espeak.voices import select_voice

    voice = str(language).strip().lower().replace("_", "-")
    if voice in ("en", "eng", "english"):
        voice = "en-us"  # espeak's plain "en" is British; kmtalk's English is General American first
    with _lib.LOCK:
        select_voice(voice)
    return voice


# ----------------------------------------------------------------------------- words


def _is_word_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "LMN"


def _kanji(text: str) -> list[str]:
    return sorted({ch for ch in text if "CJK UNIFIED IDEOGRAPH" in unicodedata.name(ch, "")})


def transcript_words(text: str, *, language: str) -> list[str]:
    """Split a transcript in any language into lower-case words (letters, marks, digits).

    Apostrophes and hyphens inside a word stay (``m'appelle``, ``allez-vous``);
    punctuation, symbols and spaces separate words. Numbers stay as written
    (espeak-ng says them in the language). Text without spaces (Japanese
    kana) gives one word per run between punctuation marks.

    Raises
    ------
    TranscriptError
        No words, or not a string.
    PronunciationError
        Japanese with kanji (espeak-ng reads kana only).

    Examples
    --------
    >>> transcript_words("Hola, ¿cómo estás?", language="es")
    ['hola', 'cómo', 'estás']
    >>> transcript_words("Je m'appelle Françoise — allez-vous bien?", language="fr")
    ['je', "m'appelle", 'françoise', 'allez-vous', 'bien']
    """
    if not isinstance(text, str):
        raise TranscriptError(f"the transcript must be a string, got {type(text).__name__}")
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    lang = str(language).strip().lower().replace("_", "-")
    if lang == "ja" or lang.startswith("ja-"):
        kanji = _kanji(text)
        if kanji:
            raise PronunciationError(
                f"the Japanese transcript holds kanji ({''.join(kanji[:10])}); espeak-ng reads kana "
                "only: write those words in hiragana or katakana"
            )
    words: list[str] = []
    cur: list[str] = []
    for i, ch in enumerate(text + " "):
        if _is_word_char(ch):
            cur.append(ch)
            continue
        inner = ch in "'-" and cur and i + 1 < len(text) and _is_word_char(text[i + 1])
        if inner:
            cur.append(ch)
            continue
        if cur:
            words.append("".join(cur).lower())
            cur = []
    if not words:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise TranscriptError(f"the transcript {shown!r} has no words; give the words spoken in the audio")
    return words


# ----------------------------------------------------------------------------- IPA segments


@dataclass
class _Segment:
    text: str  # base letter(s) with diacritics, length and tie marks
    stress: int | None = None
    tied: bool = False  # ends with a tie bar: joins the next segment


def _segments(ipa: str) -> list[_Segment]:
    """Split IPA text into base letters with their marks; stress marks go with the next segment."""
    segs: list[_Segment] = []
    pending: int | None = None
    for ch in unicodedata.normalize("NFD", ipa):
        if ch in _STRESS:
            pending = _STRESS[ch]
        elif ch in _TIE:
            if segs:
                segs[-1].text += ch
                segs[-1].tied = True
        elif unicodedata.category(ch).startswith("M") or ch in _ATTACH:
            if segs:
                segs[-1].text += ch
        elif ch in _IGNORED or ch.isspace() or ch == _SEPARATOR:
            continue
        elif segs and segs[-1].tied:
            segs[-1].text += ch
            segs[-1].tied = False
        else:
            segs.append(_Segment(ch, pending))
            pending = None
    for s in segs:
        s.text = unicodedata.normalize("NFC", s.text)
    return segs


def _base(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if not unicodedata.category(c).startswith("M") and c not in _ATTACH)


def _collapse_doubles(segs: list[_Segment]) -> list[_Segment]:
    """``s s`` → ``sː`` (espeak writes long and geminate phones by doubling the letter)."""
    out: list[_Segment] = []
    for s in segs:
        if out and s.text == out[-1].text and len(_base(s.text)) == 1:
            out[-1] = _Segment(out[-1].text + "ː", out[-1].stress or s.stress)
        else:
            out.append(s)
    return out


def _group(segs: list[_Segment], lexicon: Lexicon) -> list[tuple[str, int | None]] | None:
    """Greedy longest match of consecutive segments against the lexicon; None if a piece is unknown."""
    out: list[tuple[str, int | None]] = []
    i = 0
    while i < len(segs):
        for j in range(min(len(segs), i + _MAX_UNIT), i, -1):
            unit = "".join(s.text for s in segs[i:j])
            if unit in lexicon:
                stress = next((s.stress for s in segs[i:j] if s.stress is not None), None)
                out.append((unit, stress))
                i = j
                break
        else:
            return None
    return out


def split_ipa(ipa: str, *, lexicon: Lexicon | str | None = None) -> list[str]:
    """Split an IPA transcription into the lexicon's phones.

    Diacritics, length marks (ː) and tie bars stay with their letter;
    affricates and diphthongs the lexicon knows (``tʃ``, ``t͡s``, ``aɪ``,
    ``ɐ̃ʊ̃``) stay one phone (longest match first); stress marks, tone
    marks, syllable dots and spaces are dropped.

    Raises
    ------
    LexiconError
        A letter the lexicon does not know (named in the message).

    Examples
    --------
    >>> split_ipa("ˈt͡ʃao"), split_ipa("ɡˈuːtən"), split_ipa("sɐ̃ʊ̃")
    (['t͡ʃ', 'a', 'o'], ['ɡ', 'uː', 't', 'ə', 'n'], ['s', 'ɐ̃ʊ̃'])
    """
    lex = load_lexicon(lexicon)
    segs = _segments(ipa)
    grouped = _group(segs, lex)
    if grouped is None:
        unknown = [s.text for s in segs if s.text not in lex]
        raise LexiconError(f"IPA {ipa!r}: phone(s) {', '.join(map(repr, unknown))} not in lexicon "
                           f"{lex.name!r}; add them to its phones or aliases")
    return [p for p, _ in grouped]


def lexicon_phones(
    name: str,
    *,
    lexicon: Lexicon | str | None = None,
    word: str = "",
    language: str = "",
) -> list[tuple[str, int | None]]:
    """Turn one espeak-ng phoneme name into lexicon phones with their stress.

    Parameters
    ----------
    name : str
        An espeak phoneme in IPA, e.g. ``"ˈa"``, ``"ɔ̃"``, ``"ss"``, ``"ə-"``, ``"(en)"``.
    lexicon : Lexicon or str, optional
        Default: the bundled lexicon.
    word, language : str
        Where the phoneme came from, for the error message.

    Returns
    -------
    list of (str, int or None)
        Usually one phone; none for a language-switch marker; several when
        the lexicon knows the name only in pieces. Stress: 1/2 for a stressed
        vowel, 0 for another vowel, None for a consonant.

    Raises
    ------
    LexiconError
        A phone the lexicon cannot map (named, with the word).

    Examples
    --------
    >>> lexicon_phones("ˈa"), lexicon_phones("ss"), lexicon_phones("(en)"), lexicon_phones("ju")
    ([('a', 1)], [('sː', None)], [], [('j', None), ('u', 0)])
    """
    lex = load_lexicon(lexicon)
    raw = name.strip()
    if not raw or _SWITCH.match(raw):
        return []
    segs = _collapse_doubles(_segments(raw))
    if not segs:
        return []
    whole = "".join(s.text for s in segs)
    if whole in lex:
        stress = next((s.stress for s in segs if s.stress is not None), None)
        grouped: list[tuple[str, int | None]] | None = [(whole, stress)]
    else:
        grouped = _group(segs, lex)
    if grouped is None:
        unknown = [s.text for s in segs if s.text not in lex] or [whole]
        where = f" in the word {word!r}" if word else ""
        lang = f" ({language})" if language else ""
        raise LexiconError(
            f"espeak-ng phone {raw!r}{where}{lang}: {', '.join(map(repr, unknown))} is not in lexicon "
            f"{lex.name!r} ({lex.source}); add it to the lexicon's phones or map it with an alias"
        )
    out = []
    for phone, stress in grouped:
        vowel = lex.entry(phone).is_vowel
        out.append((phone, (stress or 0) if vowel else None))
    return out


# ----------------------------------------------------------------------------- words → phones


@dataclass(frozen=True)
class WordPronunciation:
    """One word's pronunciation.

    Attributes
    ----------
    word : str
        The word (lower case, as :func:`transcript_words` gives it).
    phones : tuple of str
        Lexicon phones (IPA without stress marks).
    stress : tuple of (int or None)
        Per phone: 1/2 stressed vowel, 0 unstressed vowel, None consonant.
    ipa : str
        espeak-ng's IPA for the word, as it wrote it.
    """

    word: str
    phones: tuple[str, ...]
    stress: tuple[int | None, ...]
    ipa: str


def pronounce(
    text: str | Sequence[str],
    *,
    language: str,
    lexicon: Lexicon | str | None = None,
) -> list[WordPronunciation]:
    """Pronounce a transcript (or a list of words) in ``language`` with espeak-ng.

    Parameters
    ----------
    text : str or sequence of str
        The transcript (split with :func:`transcript_words`) or its words.
    language : str
        A language code espeak-ng has a voice for (``"es"``, ``"de"``,
        ``"fr"``, ``"it"``, ``"pt"``, ``"ja"`` …; see
        :func:`phoneme.espeak.list_voices`). English works too (espeak's
        pronunciation, not CMUdict's).
    lexicon : Lexicon or str, optional
        The lexicon every phone must be in (default: bundled).

    Returns
    -------
    list of WordPronunciation
        One per word, in order. Each word is pronounced on its own
        (cross-word effects such as French liaison are not applied).

    Raises
    ------
    LexiconError
        An espeak phone the lexicon cannot map (names the phone and the word).
    PronunciationError
        espeak-ng says nothing for a word, or Japanese kanji.
    UnknownVoiceError
        No espeak-ng voice for ``language``.

    Examples
    --------
    >>> [p.phones for p in pronounce(["Köln", "Straße"], language="de")]
    [('k', 'œ', 'l', 'n'), ('ʃ', 't', 'ɾ', 'ɑː', 's', 'ə')]
    """
    from .espeak import phonemize

    words = transcript_words(text, language=language) if isinstance(text, str) else [str(w) for w in text]
    voice = espeak_voice(language)
    lex = load_lexicon(lexicon)
    out: list[WordPronunciation] = []
    for word in words:
        ipa = phonemize(word, voice, separator=_SEPARATOR)
        phones: list[tuple[str, int | None]] = []
        for chunk in re.split(rf"[{_SEPARATOR}\s]+", ipa):
            phones += lexicon_phones(chunk, lexicon=lex, word=word, language=language)
        if not phones:
            raise PronunciationError(f"espeak-ng ({voice}) gives no pronunciation for the word {word!r}")
        out.append(WordPronunciation(word, tuple(p for p, _ in phones), tuple(s for _, s in phones),
                                     ipa.replace(_SEPARATOR, "")))
    log.debug("pronounced %d %s words with espeak-ng", len(out), language)
    return out


def word_phones(pronunciations: Iterable[WordPronunciation]) -> list[str]:
    """All phones of a sequence of pronunciations, in order (a convenience for tests and tools).

    Examples
    --------
    >>> word_phones(pronounce("sí", language="es"))
    ['s', 'i']
    """
    return [p for w in pronunciations for p in w.phones]
