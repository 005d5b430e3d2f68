"""completion.encoders: the conv log-mel encoder and the local-path-only pretrained speech encoder."""

from __future__ import annotations

import copy
import sys

import numpy as np
import pytest
import torch

from completion.checkpoint import load_checkpoint, save_checkpoint
from completion.encoders import ConvMelEncoder, PretrainedSpeechEncoder
from completion.features import frames_for
from completion.model import KMTalkConfig, KMTalkModel
from phoneme.errors import AudioError, BackendUnavailableError, CheckpointError


def test_conv_encoder_shapes_at_any_rate_multiple_of_100():
    torch.manual_seed(0)
    enc = ConvMelEncoder(out_dim=24, channels=16)
    assert enc(torch.zeros(2, 16000), 16000).shape == (2, 101, 24)
    assert enc(torch.zeros(1, 48000), 48000).shape == (1, 101, 24)
    with pytest.raises(AudioError, match="16000"):
        enc(torch.zeros(1, 22050), 22050)


def test_conv_encoder_is_local_slices_equal_the_whole():
    """Encoding a long signal once and slicing equals encoding a slice (away from its ends): the
    property that lets inference encode a file once and cut windows from it."""
    torch.manual_seed(0)
    enc = ConvMelEncoder(out_dim=16, channels=16, layers=3, kernel=5).eval()
    x = torch.randn(1, 32000) * 0.1
    with torch.no_grad():
        whole = enc(x, 16000)
        part = enc(x[:, 8000:24000], 16000)  # frames 50..150 of the whole
    reach = 3 * 2 + 2 + 2  # conv receptive field + STFT window overlap, in frames
    assert torch.allclose(whole[0, 50 + reach:150 - reach], part[0, reach:100 - reach], atol=1e-4)


def test_utterance_norm_uses_the_real_frames_only(speech_dir):
    """norm='utterance' (per-band mean/variance over the real frames): each band of the encoder's
    input has mean 0 and spread 1 over the utterance, and zero padding after it (given its length)
    changes nothing but the frames whose convolutions reach into the padding."""
    from completion.encoders import _normalize_bands
    from completion.features import log_mel
    from phoneme.audio import load_audio

    y, _ = load_audio(min((speech_dir / "librivox").glob("*.flac")), sample_rate=16000)
    x = torch.from_numpy(y[:48000])[None]
    mel = log_mel(x)
    z = _normalize_bands(mel, None)
    varied = mel.std(dim=1, unbiased=False)[0] > 0.5  # bands that vary more than the floor on the spread
    assert z.mean(dim=1).abs().max() < 1e-4 and varied.sum() > 40
    assert (z.std(dim=1, unbiased=False)[0, varied] - 1).abs().max() < 1e-3
    torch.manual_seed(0)
    enc = ConvMelEncoder(out_dim=16, channels=16, layers=3, kernel=5, norm="utterance").eval()
    with torch.no_grad():
        alone = enc(x, 16000)
        padded = enc(torch.cat([x, torch.zeros(1, 16000)], 1), 16000, lengths=torch.tensor([48000]))
        unaware = enc(torch.cat([x, torch.zeros(1, 16000)], 1), 16000)
    n = alone.shape[1] - 10
    assert torch.allclose(padded[:, :n], alone[:, :n], atol=0.01)  # (the STFT edge frame differs a little)
    assert not torch.allclose(unaware[:, :n], alone[:, :n], atol=0.1)  # the padding would shift the statistics
    with pytest.raises(ValueError, match="norm"):
        ConvMelEncoder(norm="global")


@pytest.fixture(scope="module")
def tiny_wav2vec2(tmp_path_factory):
    """A real wav2vec 2.0 model with tiny random weights, saved with save_pretrained to a local folder."""
    transformers = pytest.importorskip("transformers")
    cfg = transformers.Wav2Vec2Config(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
        conv_dim=(16,) * 7, conv_kernel=(10, 3, 3, 3, 3, 2, 2), conv_stride=(5, 2, 2, 2, 2, 2, 2),
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, vocab_size=10)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("w2v2")
    transformers.Wav2Vec2Model(cfg).save_pretrained(folder)
    return folder


def test_pretrained_encoder_from_a_local_folder(tiny_wav2vec2):
    enc = PretrainedSpeechEncoder.from_local_path(tiny_wav2vec2)
    assert enc.out_dim == 32 and not any(p.requires_grad for p in enc.backbone.parameters())
    x = torch.randn(2, 16000 + 333) * 0.1
    y = enc(x, 16000)
    assert y.shape == (2, frames_for(16333, 160), 32) and torch.isfinite(y).all()
    # 50 Hz backbone frames interpolated to 100 Hz: consecutive output frames vary smoothly
    with torch.no_grad():
        raw = enc.backbone((x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True)).last_hidden_state
    assert abs(y.shape[1] - 2 * raw.shape[1]) <= 4
    # output frame 10 (t = 0.1 s) lies between backbone frames 4 and 5 (centres 0.0925 s, 0.1125 s)
    assert torch.allclose(y[:, 10], 0.625 * raw[:, 4] + 0.375 * raw[:, 5], atol=1e-5)
    with pytest.raises(AudioError, match="16000"):
        enc(torch.zeros(1, 48000), 48000)
    layer = PretrainedSpeechEncoder.from_local_path(tiny_wav2vec2, layer=1)
    assert not torch.allclose(layer(x, 16000), y)


def test_model_with_pretrained_encoder_saves_without_the_backbone(tiny_wav2vec2, tmp_path):
    cfg = KMTalkConfig.small(encoder="pretrained", encoder_path=str(tiny_wav2vec2), audio_dim=32)
    model = KMTalkModel(cfg)
    folder = save_checkpoint(model, tmp_path / "ck")
    from safetensors import safe_open
    with safe_open(str(folder / "model.safetensors"), "pt") as f:
        names = list(f.keys())
    assert names and not any(n.startswith("encoder.backbone.") for n in names)
    again = load_checkpoint(folder)
    for k, v in model.state_dict().items():
        assert torch.equal(v, again.state_dict()[k]), k
    # the backbone folder is gone: loading says so
    cfg_text = (folder / "config.json").read_text().replace(str(tiny_wav2vec2), str(tmp_path / "nowhere"))
    (folder / "config.json").write_text(cfg_text)
    with pytest.raises(CheckpointError, match="no pretrained speech model"):
        load_checkpoint(folder)


def test_missing_folder_or_config_is_a_checkpoint_error(tmp_path):
    with pytest.raises(CheckpointError, match="local path only"):
        PretrainedSpeechEncoder.from_local_path(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="config.json"):
        PretrainedSpeechEncoder.from_local_path(tmp_path / "empty")


def test_a_hub_id_is_never_downloaded(tmp_path, monkeypatch):
    """A hub-style id is treated as a (missing) local path: no network access is attempted."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointError, match="never from the hub"):
        PretrainedSpeechEncoder.from_local_path("facebook/wav2vec2-base")


def test_without_transformers_it_is_backend_unavailable(tiny_wav2vec2, monkeypatch):
    """Simulates an install without the optional 'transformers' package (it is installed here) by
    blocking its import; the real loader code runs up to the import."""
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(BackendUnavailableError, match="pip install transformers"):
        PretrainedSpeechEncoder.from_local_path(tiny_wav2vec2)


def test_a_broken_model_folder_is_a_checkpoint_error(tmp_path):
    pytest.importorskip("transformers")
    (tmp_path / "config.json").write_text('{"model_type": "wav2vec2", "hidden_size": 8}')
    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 10)
    with pytest.raises(CheckpointError, match="cannot load"):
        PretrainedSpeechEncoder.from_local_path(tmp_path)


def test_encoders_are_deterministic():
    torch.manual_seed(3)
    enc = ConvMelEncoder(out_dim=8, channels=8).eval()
    x = torch.from_numpy(np.random.default_rng(0).normal(size=(1, 8000)).astype(np.float32))
    assert torch.equal(enc(x, 16000), enc(x, 16000))


# --- Whisper encoder (the asr extra; CI installs it) ---------------------------------------------
def _whisper_encoder(**kw):
    from phoneme.whisper import missing_reason

    if missing_reason("tiny.en") is not None:
        pytest.skip(missing_reason("tiny.en"))
    from completion.encoders import WhisperEncoder

    torch.manual_seed(0)
    return WhisperEncoder(**kw).eval()


def _flac(speech_dir, stem):
    import soundfile as sf

    x, sr = sf.read(speech_dir / "librivox" / f"sense_and_sensibility_01_austen_64kb-{stem}.flac", dtype="float32")
    assert sr == 16000
    return torch.from_numpy(x)[None]


def test_whisper_encoder_shapes_and_rate(speech_dir):
    enc = _whisper_encoder(out_dim=24, channels=16)
    x = _flac(speech_dir, "0870")
    assert enc(x, 16000).shape == (1, frames_for(x.shape[-1], 160), 24)
    # beyond Whisper's 30 s context the row is encoded in windows and stays one frame per 10 ms
    long = torch.cat([x] * 5, dim=1)[:, :16000 * 33]
    states = enc.states(long, 16000)
    assert states.shape == (1, frames_for(long.shape[-1], 160), 384)
    assert torch.isfinite(states).all()
    with pytest.raises(AudioError, match="16000"):
        enc(torch.zeros(1, 44100), 44100)


def test_whisper_states_sit_on_the_audio_clock(speech_dir):
    """0.5 s of silence in front of real speech moves the states' change pattern by 50 frames (100 Hz):
    the 50 -> 100 Hz interpolation puts each state at its own time."""
    enc = _whisper_encoder(out_dim=8, channels=8)
    x = _flac(speech_dir, "0870")
    a = enc.states(x, 16000)[0].diff(dim=0).norm(dim=-1).numpy()
    b = enc.states(torch.cat([torch.zeros(1, 8000), x], dim=1), 16000)[0].diff(dim=0).norm(dim=-1).numpy()
    corr = [np.corrcoef(a[:len(a) - 60], b[lag:lag + len(a) - 60])[0, 1] for lag in range(100)]
    assert abs(int(np.argmax(corr)) - 50) <= 2 and max(corr) > 0.8


def test_model_with_whisper_encoder_stores_only_the_projection(speech_dir, tmp_path):
    _whisper_encoder(out_dim=8, channels=8)  # skips without the extra
    model = KMTalkModel(KMTalkConfig.small(encoder="whisper", encoder_path="tiny.en")).eval()
    save_checkpoint(model, tmp_path / "ck")
    weights = next(p for p in (tmp_path / "ck").iterdir() if p.suffix == ".safetensors")
    assert weights.stat().st_size < 2_000_000  # Whisper's 8M parameters are not in it
    again = load_checkpoint(tmp_path / "ck").eval()
    x = _flac(speech_dir, "0880")
    with torch.no_grad():
        assert torch.equal(model.encode_audio(x, 16000), again.encode_audio(x, 16000))
    # the fine-tune (kmtalk finetune, the aperture stage) deep-copies the model: the CTranslate2 model is
    # shared from phoneme.whisper's cache, not copied (it cannot be), and the copy's projection is its own
    twin = copy.deepcopy(model)
    with torch.no_grad():
        assert torch.equal(twin.encode_audio(x, 16000), model.encode_audio(x, 16000))
        next(twin.parameters()).add_(1.0)
        assert not torch.equal(twin.encode_audio(x, 16000), model.encode_audio(x, 16000))


def test_whisper_encoder_without_the_extra_is_backend_unavailable(monkeypatch):
    """The asr extra is installed here, so its absence is simulated (the one mock in this file)."""
    import importlib.util

    from completion.encoders import WhisperEncoder

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "faster_whisper" else real(name, *a))
    with pytest.raises(BackendUnavailableError, match="asr"):
        WhisperEncoder()
