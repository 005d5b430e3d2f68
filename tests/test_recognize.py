"""pocketsphinx recognition (the transcript-free path) on real speech."""

from __future__ import annotations

import pytest

from phoneme.errors import AudioError
from phoneme.recognize import recognize


def test_recognition_does_not_depend_on_earlier_calls(video_dir):
    """The decoder is shared; its running cepstral mean must not carry over between calls."""
    a, b = video_dir / "retalking_1.wav", video_dir / "hdtf_WDA_KatieHill_000.wav"
    first = recognize(a, recognizer="pocketsphinx")
    recognize(b, recognizer="pocketsphinx")
    again = recognize(a, recognizer="pocketsphinx")
    assert again.text == first.text
    assert [(w.label, w.start, w.end) for w in again.words] == [(w.label, w.start, w.end) for w in first.words]
    assert first.text.split()[:3] == ["my", "biggest", "weaknesses"]  # real words, in the right place
    assert first.words[0].start < 0.5 and 0 < first.confidence <= 1


def test_unusable_audio_is_refused(tmp_path):
    with pytest.raises(AudioError):
        recognize(tmp_path / "missing.wav")
