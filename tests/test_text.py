"""English text normalisation (phoneme.text.normalize_text), table-driven."""

from __future__ import annotations

import pytest

from phoneme.errors import KmtalkError, TranscriptError
from phoneme.text import normalize_text, normalize_tokens, number_words

_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]

CASES = [
    # plain words, casing, punctuation
    ("Hello, World!", "hello world"),
    ("  The QUICK brown fox...  ", "the quick brown fox"),
    (
        '"Quoted" (parens) [brackets] {braces}; semi: colon?',
        "quoted parens brackets braces semi colon",
    ),
    # apostrophes inside words stay; quotes around words go
    ("Don't stop", "don't stop"),
    ("rock'n'roll at one o'clock", "rock'n'roll at one o'clock"),
    ("Don’t — it’s fine", "don't it's fine"),
    ("the dogs' 'toys'", "the dogs toys"),
    # hyphens split words
    ("a well-known state-of-the-art thing", "a well known state of the art thing"),
    # disfluencies are words
    ("Um, uh, hmm... mm-hmm, I mean", "um uh hmm mm hmm i mean"),
    # cardinal numbers
    ("42", "forty two"),
    ("0", "zero"),
    ("7 cats and 105 dogs", "seven cats and one hundred five dogs"),
    ("1,000,000", "one million"),
    ("3,500 people", "three thousand five hundred people"),
    ("1,2,3", "one two three"),
    ("007", "zero zero seven"),
    ("-5 degrees", "minus five degrees"),
    # ordinals
    ("3rd", "third"),
    ("1st 2nd 22nd 101st", "first second twenty second one hundred first"),
    ("the 100th time", "the one hundredth time"),
    # years and decades
    ("1999", "nineteen ninety nine"),
    ("2005", "two thousand five"),
    ("2000", "two thousand"),
    ("1905", "nineteen oh five"),
    ("1900", "nineteen hundred"),
    ("in 2024 we", "in twenty twenty four we"),
    ("1990-1995", "nineteen ninety to nineteen ninety five"),
    ("the 1990s", "the nineteen nineties"),
    ("the '80s and 70s", "the eighties and seventies"),
    # decimals and percentages
    ("3.14", "three point one four"),
    ("0.5 and .5", "zero point five and point five"),
    ("50%", "fifty percent"),
    ("3.5 % more", "three point five percent more"),
    # currency
    ("$3.50", "three dollars fifty cents"),
    ("$1", "one dollar"),
    ("$0.99", "ninety nine cents"),
    ("$1.01", "one dollar one cent"),
    ("$1,000.50", "one thousand dollars fifty cents"),
    ("£5", "five pounds"),
    ("£1.20", "one pound twenty pence"),
    ("€5 or 5€", "five euros or five euros"),
    ("€4.99", "four euros ninety nine cents"),
    ("¥500", "five hundred yen"),
    ("$5 million", "five million dollars"),
    ("$2.5bn", "two point five billion dollars"),
    # times
    ("10:30", "ten thirty"),
    ("10:00", "ten o'clock"),
    ("at 10:05", "at ten oh five"),
    ("14:45", "fourteen forty five"),
    ("5pm", "five p m"),
    ("5 p.m. sharp", "five p m sharp"),
    ("10:30 a.m.", "ten thirty a m"),
    ("12:00 PM", "twelve p m"),
    # fractions, ranges, telephone numbers
    ("1/2", "one half"),
    ("3/4 cup", "three quarters cup"),
    ("2/3", "two thirds"),
    ("24/7", "twenty four seven"),
    ("5-10 minutes", "five to ten minutes"),
    ("call 555-1234", "call five five five one two three four"),
    # units after numbers
    ("5 km", "five kilometers"),
    ("1 km", "one kilometer"),
    ("5kg", "five kilograms"),
    ("30°C", "thirty degrees celsius"),
    ("100 mph", "one hundred miles per hour"),
    ("2.5 GB", "two point five gigabytes"),
    # abbreviations (assets/text/abbreviations.tsv)
    ("Mr. Smith and Mrs. Jones", "mister smith and missus jones"),
    ("Dr. Who", "doctor who"),
    ("Mulholland Dr.", "mulholland drive"),
    ("St. John lives on Main St.", "saint john lives on main street"),
    ("cats vs. dogs, etc.", "cats versus dogs et cetera"),
    ("e.g. this, i.e. that", "for example this that is that"),
    ("No. 5", "number five"),
    ("I said no.", "i said no"),
    ("Jan. 5", "january five"),
    ("He wed. She sat.", "he wed she sat"),
    # initialisms, symbols, mixed tokens
    ("the U.S.A. and the U.K.", "the u s a and the u k"),
    ("AT&T", "at and t"),
    ("#1 fan", "number one fan"),
    ("mail me@kmtalk.io", "mail me at kmtalk dot io"),
    ("2 + 2 = 4", "two plus two equals four"),
    ("COVID-19", "covid nineteen"),
    ("mp3 files", "mp three files"),
    ("3D", "three d"),
    # accents and Latin letters outside ASCII
    ("café naïve", "cafe naive"),
    ("Straße", "strasse"),
    ("Ærøskøbing", "aeroskobing"),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected.split()


def test_output_is_lowercase_ascii_words() -> None:
    words = normalize_text(" ".join(t for t, _ in CASES))
    for w in words:
        assert w == w.lower() and w.isascii() and w.replace("'", "").isalpha(), w


@pytest.mark.parametrize("text", ["", "   ", "...!?", "-- ** --", "\n\t"])
def test_no_words_is_a_transcript_error(text: str) -> None:
    with pytest.raises(TranscriptError, match="no words"):
        normalize_text(text)


@pytest.mark.parametrize("language", ["de", "fr-FR", "zh", "spanish"])
def test_other_languages_are_refused(language: str) -> None:
    with pytest.raises(TranscriptError, match="only English"):
        normalize_text("hallo welt", language=language)


@pytest.mark.parametrize("language", ["en", "en-US", "en_GB", "EN"])
def test_english_language_codes_are_accepted(language: str) -> None:
    assert normalize_text("Hi there", language=language) == ["hi", "there"]


@pytest.mark.parametrize("text", ["hello мир", "こんにちは world", "Ωmega"])
def test_non_latin_script_is_named(text: str) -> None:
    with pytest.raises(TranscriptError, match="English only") as err:
        normalize_text(text)
    assert isinstance(err.value, KmtalkError)


def test_not_a_string() -> None:
    with pytest.raises(TranscriptError, match="string"):
        normalize_text(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        ("42", False, "forty two"),
        ("1999", False, "one thousand nine hundred ninety nine"),
        ("1999", True, "nineteen ninety nine"),
        ("2099", True, "twenty ninety nine"),
        ("2100", True, "two thousand one hundred"),
        ("3.05", False, "three point zero five"),
        ("-7", False, "minus seven"),
        ("1234567890123456789", False, " ".join(_DIGITS[int(d)] for d in "1234567890123456789")),
    ],
)  # fmt: skip
def test_number_words(text: str, year: bool, expected: str) -> None:
    assert number_words(text, year=year) == expected.split()


def test_number_words_rejects_non_numbers() -> None:
    with pytest.raises(TranscriptError, match="not a number"):
        number_words("12a")


def test_normalize_tokens_keeps_the_written_form() -> None:
    tokens = normalize_tokens("On 3/4 of days, Dr. Who pays $3.50 — well-known!")
    assert tokens == [
        ("On", ["on"]),
        ("3/4", ["three", "quarters"]),
        ("of", ["of"]),
        ("days", ["days"]),
        ("Dr.", ["doctor"]),
        ("Who", ["who"]),
        ("pays", ["pays"]),
        ("$3.50", ["three", "dollars", "fifty", "cents"]),
        ("well", ["well"]),
        ("known", ["known"]),
    ]
    text = "It's 10:30pm, 42% off"
    assert [w for _, ws in normalize_tokens(text) for w in ws] == normalize_text(text)
