"""Viseme lexicon: phone (IPA) → viseme and coarticulation parameters, loaded from data.

The lexicon is a versioned JSON file in ``assets/lexicons/`` (``en.json`` is
the default). Each phone entry gives the viseme of the Oculus/MPEG-4 set of
15 and the parameters a Cohen–Massaro style dominance model needs:

``dominance``
    Peak strength of the phone's gesture, in (0, 1]. Bilabials are 1.0 (the
    lips *must* close); /h/ is 0.1 (it takes its neighbours' shape).
``anticipation``, ``release``
    Seconds before the phone's start over which its dominance rises, and
    after its end over which it decays (rounding is anticipated ~150 ms).
``articulator``
    Which channel group the phone controls: ``lips``, ``tongue``, ``jaw``
    (vowels: opening carried by the jaw) or ``none``.
``place``, ``rounded``, ``offglide``
    Place of articulation, lip rounding, and for diphthongs the viseme the
    mouth moves to at the end.

A lexicon is validated on load: an unknown viseme, a parameter out of range
or a phone of the required inventory that is missing is a
:class:`~phoneme.errors.LexiconError` that names it.

Examples
--------
>>> from phoneme.lexicon import load_lexicon
>>> lex = load_lexicon()
>>> lex.viseme("b"), lex.entry("uː").rounded
('PP', True)
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

from .assets import asset_path
from .errors import LexiconError
from .types import SILENCE, is_silence

__all__ = ["VISEMES", "ARTICULATORS", "PhoneEntry", "Lexicon", "load_lexicon", "normalize_phone",
           "base_phone"]

#: The 15 visemes of the Oculus/MPEG-4 set, in their conventional order.
VISEMES: tuple[str, ...] = (
    "sil", "PP", "FF", "TH", "DD", "kk", "CH", "SS", "nn", "RR", "aa", "E", "ih", "oh", "ou",
)
#: Channel groups a phone can control.
ARTICULATORS: frozenset[str] = frozenset({"lips", "tongue", "jaw", "none"})

_STRIP = {"ˈ", "ˌ", "ː", "ˑ", "\u0361", "\u035c", ".", "‿"}
# Secondary articulation and release marks: they do not change a phone's viseme.
_MODIFIERS = {"ʲ", "ʰ", "ʷ", "ˠ", "ˤ", "ⁿ", "ˡ", "̚", "ʼ", "˞"}
_FORMAT_VERSION = 1
_MAX_TIME = 0.5  # seconds; longer anticipation/release would be a data error


def base_phone(label: str) -> str:
    """Drop diacritics and secondary-articulation marks (``tʲ`` → ``t``, ``n̩`` → ``n``, ``ɛ̃`` → ``ɛ``).

    Examples
    --------
    >>> base_phone("tʲ"), base_phone("pʰ"), base_phone("ɛ̃")
    ('t', 'p', 'ɛ')
    """
    text = unicodedata.normalize("NFD", normalize_phone(label))
    kept = "".join(ch for ch in text if unicodedata.category(ch) != "Mn" and ch not in _MODIFIERS)
    return unicodedata.normalize("NFC", kept)


def normalize_phone(label: str) -> str:
    """Strip stress, length and tie marks from an IPA phone label.

    Parameters
    ----------
    label : str
        An IPA phone, possibly with stress (ˈ ˌ), length (ː) or tie bars.

    Returns
    -------
    str
        NFC-normalised label without those marks (``"sil"`` for silences).

    Examples
    --------
    >>> normalize_phone("ˈuː"), normalize_phone("t͡ʃ"), normalize_phone("sp")
    ('u', 'tʃ', 'sil')
    """
    if is_silence(label):
        return SILENCE
    text = unicodedata.normalize("NFC", label.strip())
    return "".join(ch for ch in text if ch not in _STRIP)


@dataclass(frozen=True)
class PhoneEntry:
    """Coarticulation parameters of one phone (see the module docstring)."""

    phone: str
    viseme: str
    place: str
    articulator: str
    dominance: float
    anticipation: float
    release: float
    rounded: bool = False
    offglide: str | None = None

    @property
    def is_vowel(self) -> bool:
        """True for vowels and diphthongs (their opening is carried by the jaw or lips)."""
        return self.place.startswith(("front", "back", "central", "open"))


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A validated viseme lexicon.

    Use :func:`load_lexicon` to read one; :meth:`entry` looks a phone up.
    Compared and hashed by identity (loaded lexicons are cached).
    """

    name: str
    language: str
    entries: Mapping[str, PhoneEntry]
    aliases: Mapping[str, str]
    source: str = ""
    poses: Mapping[str, Mapping[str, float]] | None = None
    coarticulation: Mapping[str, Any] | None = None

    def entry(self, phone: str) -> PhoneEntry:
        """Return the entry of ``phone`` (IPA; stress/length marks and aliases resolved).

        A phone that is still unknown is looked up without its diacritics
        (``tʲ`` as ``t``, ``pʰ`` as ``p``), which do not change its viseme.

        Raises
        ------
        LexiconError
            If the phone is not in the lexicon (it is never silently dropped).
        """
        if phone in self.entries:
            return self.entries[phone]
        if phone in self.aliases:
            return self.entries[self.aliases[phone]]
        key = normalize_phone(phone)
        key = self.aliases.get(key, key)
        if key not in self.entries:
            key = base_phone(key)
            key = self.aliases.get(key, key)
        try:
            return self.entries[key]
        except KeyError:
            raise LexiconError(
                f"phone {phone!r} is not in lexicon {self.name!r} ({self.source}); add it to the "
                "lexicon file or map it with an alias"
            ) from None

    def viseme(self, phone: str) -> str:
        """The viseme of ``phone``."""
        return self.entry(phone).viseme

    def __contains__(self, phone: object) -> bool:
        if not isinstance(phone, str):
            return False
        try:
            self.entry(phone)
        except LexiconError:
            return False
        return True

    @property
    def phones(self) -> list[str]:
        """Every phone the lexicon defines."""
        return list(self.entries)


def _entry(phone: str, raw: Any, where: str) -> PhoneEntry:
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: entry for phone {phone!r} must be an object")
    try:
        entry = PhoneEntry(
            phone=phone,
            viseme=str(raw["viseme"]),
            place=str(raw["place"]),
            articulator=str(raw["articulator"]),
            dominance=float(raw["dominance"]),
            anticipation=float(raw["anticipation"]),
            release=float(raw["release"]),
            rounded=bool(raw.get("rounded", False)),
            offglide=raw.get("offglide"),
        )
    except KeyError as exc:
        raise LexiconError(f"{where}: phone {phone!r} lacks the field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise LexiconError(f"{where}: phone {phone!r} has a malformed value ({exc})") from None
    if entry.viseme not in VISEMES:
        raise LexiconError(f"{where}: phone {phone!r} maps to unknown viseme {entry.viseme!r}; "
                           f"use one of {', '.join(VISEMES)}")
    if entry.offglide is not None and entry.offglide not in VISEMES:
        raise LexiconError(f"{where}: phone {phone!r} has unknown offglide viseme {entry.offglide!r}")
    if entry.articulator not in ARTICULATORS:
        raise LexiconError(f"{where}: phone {phone!r} has articulator {entry.articulator!r}; "
                           f"use one of {', '.join(sorted(ARTICULATORS))}")
    if not 0.0 < entry.dominance <= 1.0:
        raise LexiconError(f"{where}: phone {phone!r} dominance {entry.dominance} not in (0, 1]")
    for field in ("anticipation", "release"):
        value = getattr(entry, field)
        if not 0.0 <= value <= _MAX_TIME:
            raise LexiconError(f"{where}: phone {phone!r} {field} {value} s not in [0, {_MAX_TIME}]")
    return entry


def _poses(raw: Any, where: str) -> dict[str, dict[str, float]] | None:
    """Viseme poses: {viseme: {channel: weight in [0, 1]}} (channel names are checked by the animator)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: 'poses' must be an object of viseme -> {{channel: weight}}")
    poses: dict[str, dict[str, float]] = {}
    for viseme, pose in raw.items():
        if viseme == "description":
            continue
        if viseme not in VISEMES or not isinstance(pose, dict):
            raise LexiconError(f"{where}: poses: {viseme!r} is not a viseme with a {{channel: weight}} object")
        try:
            poses[viseme] = {str(k): float(v) for k, v in pose.items()}
        except (TypeError, ValueError):
            raise LexiconError(f"{where}: poses: viseme {viseme!r} has a non-numeric weight") from None
        bad = [k for k, v in poses[viseme].items() if not 0.0 <= v <= 1.0]
        if bad:
            raise LexiconError(f"{where}: poses: viseme {viseme!r} weight(s) {bad} not in [0, 1]")
    missing = [v for v in VISEMES if v not in poses]
    if missing:
        raise LexiconError(f"{where}: poses: viseme(s) {missing} have no pose")
    return poses


def _default_inventory(language: str) -> frozenset[str]:
    if language != "en":
        return frozenset()
    from .phones import ENGLISH_IPA

    return frozenset(ENGLISH_IPA)


def _parse(data: Any, where: str, required: Iterable[str] | None) -> Lexicon:
    if not isinstance(data, dict):
        raise LexiconError(f"{where}: a lexicon file must hold a JSON object")
    version = data.get("format_version")
    if version != _FORMAT_VERSION:
        raise LexiconError(f"{where}: format_version {version!r} is not supported "
                           f"(this kmtalk reads version {_FORMAT_VERSION})")
    phones = data.get("phones")
    if not isinstance(phones, dict) or not phones:
        raise LexiconError(f"{where}: the 'phones' table is missing or empty")
    entries = {unicodedata.normalize("NFC", p): _entry(p, raw, where) for p, raw in phones.items()}
    if SILENCE not in entries:
        raise LexiconError(f"{where}: the lexicon misses the silence phone {SILENCE!r}")
    aliases = {str(k): str(v) for k, v in (data.get("aliases") or {}).items()}
    for alias, target in aliases.items():
        if target not in entries:
            raise LexiconError(f"{where}: alias {alias!r} points to {target!r}, which is not defined")
    poses = _poses(data.get("poses"), where)
    language = str(data.get("language", "en"))
    needed = _default_inventory(language) if required is None else frozenset(required)
    lex = Lexicon(name=str(data.get("name", Path(where).stem)), language=language,
                  entries=entries, aliases=aliases, source=where, poses=poses,
                  coarticulation=data.get("coarticulation"))
    missing = sorted(p for p in needed if p not in lex)
    if missing:
        raise LexiconError(f"{where}: the lexicon misses phone(s) {', '.join(repr(p) for p in missing)} "
                           f"of the {language!r} inventory; add an entry for each")
    return lex


@lru_cache(maxsize=8)
def _load_cached(path: str, required: frozenset[str] | None) -> Lexicon:
    try:
        data = json.loads(Path(path).read_text("utf-8"))
    except OSError as exc:
        raise LexiconError(f"cannot read lexicon {path}: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LexiconError(f"lexicon {path} is not valid JSON: {exc}") from None
    return _parse(data, path, required)


def load_lexicon(
    lexicon: str | Path | Mapping[str, Any] | Lexicon | None = None,
    *,
    required: Iterable[str] | None = None,
) -> Lexicon:
    """Load and validate a viseme lexicon.

    Parameters
    ----------
    lexicon : str, path, dict or Lexicon, optional
        ``None`` or a bundled name (``"en"``) for a lexicon in
        ``assets/lexicons/``; a path to a user's JSON file; an already-parsed
        dict; or a :class:`Lexicon` (returned as is).
    required : iterable of str, optional
        Phones the lexicon must define. Default: the inventory of its
        language (for ``"en"``, :data:`phoneme.phones.ENGLISH_IPA`).

    Returns
    -------
    Lexicon

    Raises
    ------
    LexiconError
        Unreadable file, wrong ``format_version``, unknown viseme, values out
        of range, or a required phone missing (named in the message).

    Examples
    --------
    >>> lex = load_lexicon("en")
    >>> lex.entry("w").anticipation > lex.entry("t").anticipation
    True
    """
    if isinstance(lexicon, Lexicon):
        return lexicon
    req = None if required is None else frozenset(required)
    if isinstance(lexicon, Mapping):
        return _parse(dict(lexicon), "<dict>", req)
    if lexicon is None:
        lexicon = "en"
    path = Path(lexicon)
    if path.suffix != ".json" and not path.exists():
        path = asset_path("lexicons", f"{lexicon}.json")
    return _load_cached(str(path), req)
