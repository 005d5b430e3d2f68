"""Other languages: espeak-ng pronunciation mapped through the viseme lexicon, and a non-English line
animated end to end (real espeak-ng, real synthesis-DTW alignment, real prior, default rig).

Test speech is synthesised with espeak-ng in a fresh helper process (``synthesize_isolated``), so
it is the same audio whatever the rest of the suite made espeak say before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kmtalk
from kmtalk.train.metrics import lip_gap_mm
from phoneme import align
from phoneme.aligners.template_synthesis import synthesize_isolated
from phoneme.errors import AlignmentError, LexiconError, PronunciationError, TranscriptError
from phoneme.espeak import UnknownVoiceError, phonemize
from phoneme.lexicon import load_lexicon
from phoneme.multilingual import (
    espeak_voice,
    is_english,
    lexicon_phones,
    pronounce,
    split_ipa,
    transcript_words,
)

# Text in many of espeak-ng's languages, with sounds English lacks (nasal vowels, front rounded
# vowels, trills, palatals, clicks of the tongue aside): every phone espeak uses must map.
PARAGRAPHS = {
    "es": "El perro de San Roque no tiene rabo. Quiero agua, jamón, guitarra, llave, niño, yo, pingüino.",
    "de": "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich. Pfeffer, Bücher, ich, ach, Häuser.",
    "fr": "Portez ce vieux whisky au juge blond qui fume. Un bon vin blanc, le cœur, huit, grenouille, peu.",
    "it": "Quel vituperabile xenofobo zelante assaggia il whisky. Gnocchi, figlio, sciare, pizza, zucchero.",
    "pt": "Luís argüia à Júlia que brações, fé, chá, óxido, pôr. Filho, ninho, mãe, pão, coração, muito.",
    "pt-br": "Olá, como você está? Eu moro em São Paulo, perto do mar.",
    "ja": "こんにちは、おげんきですか。きょうは いい てんきですね。しんぶん、ちゃわん、ふじさん、ぎゅうにゅう、にっぽん。",
    "nl": "Pa's wijze lynx bezag vroom het fikse aquaduct. Schip, gracht, uit, huis, reus, eeuw.",
    "pl": "Pchnąć w tę łódź jeża lub ośm skrzyń fig. Szczęście, rzeka, źle, ćma, dżem.",
    "ru": "Съешь же ещё этих мягких французских булок да выпей чаю. Щука, жизнь, цирк.",
    "sv": "Flygande bäckasiner söka hwila på mjuka tuvor. Sju, kjol, skön, själ.",
    "tr": "Pijamalı hasta yağız şoföre çabucak güvendi. Ağaç, ığdır, öğretmen.",
    "cs": "Příliš žluťoučký kůň úpěl ďábelské ódy. Řeka, čtvrť, chléb.",
    "el": "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
    "fi": "Törkylempijävongahdus. Hyvää päivää, mitä kuuluu?",
    "hi": "नमस्ते, आप कैसे हैं? मेरा नाम राम है।",
    "vi": "Xin chào, bạn khỏe không?",
}


def test_language_codes():
    assert is_english("en") and is_english("en_GB") and is_english("English") and not is_english("es")
    assert espeak_voice("es") == "es" and espeak_voice("pt_BR") == "pt-br" and espeak_voice("en") == "en-us"
    with pytest.raises(UnknownVoiceError, match="no usable voice 'xx'"):
        espeak_voice("xx")


def test_transcript_words_in_other_scripts():
    assert transcript_words("¡Hola! ¿Cómo estás?", language="es") == ["hola", "cómo", "estás"]
    assert transcript_words("Je m'appelle Françoise — allez-vous bien ?", language="fr") == [
        "je", "m'appelle", "françoise", "allez-vous", "bien"]
    assert transcript_words("Die Straße in Köln, 25 Häuser.", language="de") == [
        "die", "straße", "in", "köln", "25", "häuser"]
    assert transcript_words("こんにちは、おげんきですか。", language="ja") == ["こんにちは", "おげんきですか"]
    assert transcript_words("नमस्ते, आप कैसे हैं?", language="hi") == ["नमस्ते", "आप", "कैसे", "हैं"]
    with pytest.raises(PronunciationError, match="kanji .*元気.*kana"):
        transcript_words("お元気ですか", language="ja")
    with pytest.raises(TranscriptError, match="no words"):
        transcript_words(" ¿?! ", language="es")


def test_split_ipa_keeps_affricates_diphthongs_and_marks():
    assert split_ipa("ˈt͡ʃao") == ["t͡ʃ", "a", "o"]
    assert split_ipa("ɡˈuːtən") == ["ɡ", "uː", "t", "ə", "n"]
    assert split_ipa("sɐ̃ʊ̃ pˈaʊlʊ") == ["s", "ɐ̃ʊ̃", "p", "aʊ", "l", "ʊ"]
    assert split_ipa("t͡sˈaɪ̯tʊŋ") == ["t͡s", "aɪ̯", "t", "ʊ", "ŋ"]
    assert split_ipa("ma˨˩") == ["m", "a"]
    with pytest.raises(LexiconError, match="'ʘ'"):
        split_ipa("ʘa")


def test_espeak_phone_names_to_lexicon_phones():
    assert lexicon_phones("ˈa") == [("a", 1)]
    assert lexicon_phones("ˌo") == [("o", 2)]
    assert lexicon_phones("ss") == [("sː", None)]  # Italian geminate
    assert lexicon_phones("ää") == [("äː", 0)]  # Japanese long vowel
    assert lexicon_phones("ə-") == [("ə", 0)]  # French linking hyphen
    assert lexicon_phones("aː6") == [("aː", 0)]  # Vietnamese tone number
    assert lexicon_phones("(en)") == []  # language switch: not a phone
    assert lexicon_phones("ju") == [("j", None), ("u", 0)]  # Russian ю: known only in pieces


def test_every_phone_espeak_uses_in_many_languages_maps():
    lex = load_lexicon()
    seen: set[str] = set()
    for lang, text in PARAGRAPHS.items():
        for word in pronounce(text, language=lang):
            assert word.phones, (lang, word)
            for phone, stress in zip(word.phones, word.stress):
                entry = lex.entry(phone)  # raises if unmapped
                assert (stress is not None) == entry.is_vowel, (lang, word.word, phone)
                seen.add(phone)
    # the inventory really is wider than English
    for phone in ("ɔ̃", "y", "ø", "ʁ", "ç", "x", "ɲ", "ʎ", "r", "β", "ɣ", "ɯ", "tɕ", "ɨ", "ɕ"):
        assert any(phone == p or phone in p for p in seen), phone


def test_known_pronunciations():
    def phones(text, lang):
        return [p for w in pronounce(text, language=lang) for p in w.phones]

    assert phones("perro", "es") == ["p", "e", "r", "o"]
    assert "ɔ̃" in phones("bonjour", "fr") and "ʁ" in phones("bonjour", "fr")
    assert "ç" in phones("ich", "de") and "y" in "".join(phones("über", "de"))
    assert phones("さくら", "ja") == ["s", "ä", "k", "ɯᵝ", "ɽ", "ä"]
    estas = pronounce("estás", language="es")[0]
    assert estas.phones == ("e", "s", "t", "a", "s") and estas.stress == (0, None, None, 1, None)
    assert estas.ipa == phonemize("estás", "es")


def test_unknown_phone_is_reported_with_its_word():
    data = json.loads(Path(load_lexicon().source).read_text("utf-8"))
    del data["phones"]["ʎ"]
    data["aliases"] = {k: v for k, v in data["aliases"].items() if v != "ʎ"}
    lex = load_lexicon(data)
    with pytest.raises(LexiconError, match="'ʎ'.*'llamo'.*\\(es\\)"):
        pronounce("me llamo Juan", language="es", lexicon=lex)


# ----------------------------------------------------------------------------- end to end

HOLA = "hola, ¿cómo estás?"


@pytest.fixture(scope="module")
def hola():
    """Spanish speech from a different espeak voice and rate than the aligner's template (es, matched rate)."""
    syn = synthesize_isolated(HOLA, voice="es+f3", rate=140, pitch=70, sample_rate=16000).padded(0.3, 0.4)
    return syn


def test_spanish_line_end_to_end(hola):
    anim = kmtalk.animate((hola.samples, hola.sample_rate), HOLA, language="es")
    assert anim.meta["aligner"] == "synthesis_dtw" and anim.meta["language"] == "es"
    assert [w.label for w in anim.words if w.label != "sil"] == ["hola", "cómo", "estás"]
    assert anim.weights.shape == (round(hola.duration * 30), 52)
    # words land where espeak's other voice said them
    for got, gold in zip([w for w in anim.words if w.label != "sil"], hola.words):
        assert abs(got.start - gold.start) < 0.06 and abs(got.end - gold.end) < 0.06, (got, gold)
    # the m of "cómo" closes the lips on the default head; the vowels open the jaw
    closures = [k for k in anim.keys if k.kind == "bilabial_closure"]
    assert [anim.phones[k.phone_index].label for k in closures] == ["m"]
    assert lip_gap_mm(anim.weights[[k.frame for k in closures]], kmtalk.default_rig()).max() < 1.0
    vowels = [k.frame for k in anim.keys if k.kind == "vowel_apex"]
    assert anim.channel("jawOpen")[vowels].mean() > 0.2
    assert anim.channel("jawOpen")[:5].max() < 0.25 * anim.channel("jawOpen")[vowels].mean()  # rest before speech
    # stress from espeak: the stressed syllables of hola, cómo, estás
    stressed = [p.label for p in anim.phones if p.stress == 1]
    assert stressed == ["o", "o", "a"]


def test_japanese_kana_line_end_to_end():
    text = "わたしは まいにち みずを のみます。"
    syn = synthesize_isolated(text, voice="ja", rate=150, pitch=40, sample_rate=22050).padded(0.2, 0.2)
    anim = kmtalk.animate((syn.samples, syn.sample_rate), text, language="ja", style="head", seed=1)
    assert [w.label for w in anim.words if w.label != "sil"] == ["わたしは", "まいにち", "みずを", "のみます"]
    assert sum(k.kind == "bilabial_closure" for k in anim.keys) >= 4  # m m m m
    assert anim.head_pose is not None


def test_align_routes_other_languages_to_synthesis_dtw(hola):
    a = align((hola.samples, hola.sample_rate), HOLA, language="es")
    assert a.aligner == "synthesis_dtw" and a.language == "es"
    with pytest.raises(AlignmentError, match="pronunciation overrides"):
        align((hola.samples, hola.sample_rate), HOLA, language="es", aligner="synthesis_dtw",
              pronunciations={"hola": "HH OW1 L AH0"})
    # Without a transcript: Whisper's multilingual model hears Spanish (kmtalk[asr]); without it, a clear error.
    from phoneme.whisper import missing_reason

    if missing_reason("base") is None:
        free = kmtalk.animate((hola.samples, hola.sample_rate), language="es")
        assert free.meta["recognizer"] == "whisper-base" and free.meta["language"] == "es"
        assert free.meta["recognised"].lower().startswith("hola")
    else:
        with pytest.raises(TranscriptError, match=r"kmtalk\[asr\]"):
            kmtalk.animate((hola.samples, hola.sample_rate), language="es")
