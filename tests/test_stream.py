"""Live streaming (``kmtalk.Stream``, :mod:`phoneme.live`, Live Link over UDP, ``kmtalk stream``).

Everything runs for real: pocketsphinx decodes the example speech live, the
shipped model and the prior animate, frames go through a real UDP socket on
127.0.0.1 and are decoded by PyLiveLinkFace (an independent reader of the Live
Link Face app's packets, a test dependency only), and the CLI runs as a
subprocess. Speed figures are not asserted here (benchmarks/stream.py).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soxr

import kmtalk
from kmtalk.animator.prior import load_prior_tables
from kmtalk.errors import AudioError, KmtalkError, TranscriptError
from kmtalk.face.arkit import ARKIT_INDEX, ARKIT_NAMES
from kmtalk.stream import Stream, decode_packet, encode_packet, stream_frames
from kmtalk.stream.livelink import LiveLinkSender
from phoneme.audio import load_audio
from phoneme.live import LiveAligner, LiveRecognizer

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "assets" / "examples" / "hello.wav"
TEXT = (ROOT / "assets" / "examples" / "hello.txt").read_text("utf-8").strip()
BILABIAL = {"p", "b", "m"}


@pytest.fixture(scope="module")
def speech() -> tuple[np.ndarray, int]:
    return load_audio(HELLO)


def run_stream(x: np.ndarray, chunk: int, **options) -> tuple[Stream, list, list[list]]:
    """Push ``x`` in chunks of ``chunk`` samples; returns the stream, all frames and the frames of each push."""
    s = Stream(**options)
    per_push = [s.push(x[i:i + chunk]) for i in range(0, len(x), chunk)]
    per_push.append(s.close())
    return s, [f for p in per_push for f in p], per_push


def weights(frames) -> np.ndarray:
    return np.stack([f.weights for f in frames])


def assert_closures_exact(frames) -> int:
    """Every frame made inside a /p b m/ has the lips closed exactly; returns how many there were."""
    co = load_prior_tables().lexicon.coarticulation
    opening = [ARKIT_INDEX[n] for n in co["closure"]["open_channels"]]
    jaw, close = ARKIT_INDEX["jawOpen"], ARKIT_INDEX["mouthClose"]
    n = 0
    for f in frames:
        if f.phone in BILABIAL:
            n += 1
            assert f.weights[close] == f.weights[jaw], (f.index, f.phone)
            assert f.weights[jaw] <= co["closure"]["max_jaw"] + 1e-6, (f.index, f.phone)
            assert np.all(f.weights[opening] == 0.0), (f.index, f.phone)
    return n


# ---------------------------------------------------------------------------- phoneme.live
def test_live_aligner_final_phones_match_the_offline_aligner(speech):
    from phoneme import align

    x, sr = speech
    live = LiveAligner(TEXT)
    for i in range(0, len(x), 320):
        live.feed(x[i:i + 320])
    final = [p for p in live.finish() if not p.is_silence]
    assert live.recoveries == 0
    offline = align((x, sr), TEXT).spoken_phones()
    assert [p.label for p in final] == [p.label for p in offline]
    starts = np.abs(np.array([p.start for p in final]) - np.array([p.start for p in offline]))
    assert np.median(starts) <= 0.02 and starts.max() < 0.1


def test_live_aligner_restarts_on_long_audio_and_keeps_the_phone_sequence(speech):
    x, _ = speech
    long = np.concatenate([x] * 5)
    live = LiveAligner(" ".join([TEXT] * 5), max_words=12)
    restarts = 0
    for i in range(0, len(long), 1600):
        live.feed(long[i:i + 1600])
        restarts += live.restart(settled=max(live.duration - 1.5, 0.0))
    phones = live.finish()
    assert restarts >= 3  # a 12-word grammar over 45 words must move on
    words = [p.word for p in phones if not p.is_silence]
    assert words == sorted(words) and set(words) == set(range(45))  # every word, in order, none lost at a cut
    assert phones[-1].end == pytest.approx(len(long) / 16000)
    assert all(a.end == pytest.approx(b.start) for a, b in zip(phones, phones[1:]))


def test_live_recognizer_hears_speech_and_silence():
    x, _ = load_audio(HELLO)
    live = LiveRecognizer()
    live.feed(np.zeros(8000, np.float32))
    assert all(p.is_silence for p in live.phones())
    for i in range(0, len(x), 1600):
        live.feed(x[i:i + 1600])
    phones = live.finish()
    assert sum(not p.is_silence for p in phones) >= 10
    assert phones[-1].end == pytest.approx(0.5 + len(x) / 16000)


# ---------------------------------------------------------------------------- chunking and rates
@pytest.mark.parametrize("chunk_ms", [10, 37, 100])
def test_frames_do_not_depend_on_the_chunk_size(speech, chunk_ms):
    x, sr = speech
    _, ref, _ = run_stream(x, 320, transcript=TEXT, method="prior")
    _, frames, _ = run_stream(x, sr * chunk_ms // 1000, transcript=TEXT, method="prior")
    np.testing.assert_array_equal(weights(frames), weights(ref))
    assert [f.phone for f in frames] == [f.phone for f in ref]


@pytest.mark.parametrize("rate,dtype,stereo", [(44100, np.int16, False), (22050, np.float32, False),
                                               (48000, np.float32, True)])
def test_any_sample_rate_dtype_and_layout(speech, rate, dtype, stereo):
    x, sr = speech
    y = soxr.resample(x, sr, rate, quality="HQ")
    if dtype == np.int16:
        y = np.round(y * 32767).astype(np.int16)
    if stereo:
        y = np.stack([y, y], axis=1)
    _, ref, _ = run_stream(x, 320, transcript=TEXT, method="prior")
    _, frames, _ = run_stream(y, rate // 50, transcript=TEXT, method="prior", sample_rate=rate,
                              channels=2 if stereo else 1)
    assert len(frames) == len(ref) == round(len(x) / sr * 30)
    jaw = ARKIT_INDEX["jawOpen"]
    r = np.corrcoef(weights(frames)[:, jaw], weights(ref)[:, jaw])[0, 1]
    assert r > 0.9


def test_telephone_band_audio_still_streams(speech):
    """8 kHz audio has no band above 4 kHz; the live aligner may lose the words (docs/streaming.md) but the
    stream keeps its contract: every frame once, closures exact where it placed a bilabial."""
    x, sr = speech
    y = soxr.resample(x, sr, 8000, quality="HQ")
    s, frames, _ = run_stream(y, 160, transcript=TEXT, method="prior", sample_rate=8000)
    assert [f.index for f in frames] == list(range(round(len(y) / 8000 * 30)))
    assert assert_closures_exact(frames) >= 1
    assert s.decoder.recoveries >= 1  # the lost path was noticed and the aligner restarted


def test_bad_chunks_and_options_are_clear_errors(speech):
    s = Stream(TEXT, method="prior")
    with pytest.raises(AudioError):
        s.push(np.zeros(160, np.complex64))
    with pytest.raises(AudioError):
        s.push(np.zeros((160, 2), np.float32))  # a mono stream given two channels
    with pytest.raises(AudioError):
        s.push(np.array([0.0, np.nan], np.float32))
    s.close()
    with pytest.raises(KmtalkError):
        s.push(np.zeros(160, np.float32))
    with pytest.raises(KmtalkError):
        Stream(TEXT, lookahead=5.0)
    with pytest.raises(KmtalkError):
        Stream(TEXT, method="magic")
    with pytest.raises(TranscriptError):
        Stream("hola", language="es")
    with pytest.raises(TranscriptError):
        Stream("...")
    with pytest.raises(AudioError):
        Stream(TEXT, sample_rate=100)


# ---------------------------------------------------------------------------- emission
@pytest.mark.parametrize("lookahead", [0.1, 0.3])
def test_frames_in_order_once_and_within_the_lookahead(speech, lookahead):
    x, sr = speech
    s = Stream(TEXT, method="prior", lookahead=lookahead)
    seen: list[int] = []
    fed = 0
    for i in range(0, len(x), 480):  # 30 ms chunks
        new = s.push(x[i:i + 480])
        fed += len(x[i:i + 480])
        now = fed / sr
        seen += [f.index for f in new]
        # nothing newer than the look-ahead allows...
        assert all(f.time <= now - lookahead + 1e-9 for f in new)
        # ...and nothing older is held back longer than one update (hop = one frame here)
        owed = int(np.floor((now - lookahead - s.hop) * s.fps + 1e-9)) + 1
        assert len(seen) >= owed
    seen += [f.index for f in s.close()]
    assert seen == list(range(round(len(x) / sr * 30)))


def test_emitted_frames_are_final(speech):
    """Frames out before time t never depend on audio after t: cutting the audio there changes none of them."""
    x, sr = speech
    _, full, _ = run_stream(x, 320, transcript=TEXT, method="prior")
    cut = int(1.7 * sr)
    s = Stream(TEXT, method="prior")
    early = [f for i in range(0, cut, 320) for f in s.push(x[i:min(i + 320, cut)])]
    assert len(early) > 30
    np.testing.assert_array_equal(weights(early), weights(full[:len(early)]))
    # a stream fed silence after the cut instead of the rest of the line sent the same frames first
    for i in range(0, len(x) - cut, 320):
        s.push(np.zeros(320, np.float32))
    s.close()
    np.testing.assert_array_equal(s.animation().weights[:len(early)], weights(full[:len(early)]))
    assert not np.array_equal(s.animation().weights, weights(full))  # ...and differs after them


@pytest.mark.parametrize("method", ["prior", "learned"])
def test_closures_exact_on_every_bilabial_frame(speech, method):
    x, _ = speech
    s, frames, _ = run_stream(x, 320, transcript=TEXT, method=method)
    assert s.method == method
    n = assert_closures_exact(frames)
    assert n >= 10  # "Bob ... blue balloons ... movie mouse": four b, two m, most over more than a frame
    anim = s.animation()
    assert anim.n_frames == len(frames)
    # the phones as they were known when emitted hold every bilabial of the line
    assert [p.label for p in anim.phones if p.label in BILABIAL] == ["b", "b", "b", "b", "m", "m"]


def test_background_worker_gives_the_same_frames(speech):
    """The learned model animates in a worker thread by default; the frames equal the synchronous run's."""
    x, _ = speech
    s, frames, _ = run_stream(x, 320, transcript=TEXT, method="learned")
    assert s.background is True
    _, sync, _ = run_stream(x, 320, transcript=TEXT, method="learned", background=False)
    np.testing.assert_array_equal(weights(frames), weights(sync))
    assert [f.index for f in frames] == list(range(96)) and s.n_emitted == 96


def test_streamed_curves_follow_the_offline_ones(speech):
    """Same audio, same method: the streamed lip aperture tracks offline ``animate`` (benchmarks give r)."""
    from kmtalk.train.metrics import lip_aperture

    x, _ = speech
    rig = kmtalk.default_rig()
    off = kmtalk.animate(str(HELLO), TEXT, method="prior")
    _, frames, _ = run_stream(x, 320, transcript=TEXT, method="prior")
    r = np.corrcoef(lip_aperture(weights(frames), rig), lip_aperture(off.weights, rig))[0, 1]
    assert r > 0.85


def test_transcript_free_stream_moves_the_mouth(speech):
    x, _ = speech
    s, frames, _ = run_stream(x, 640, method="prior")
    assert s.transcript is None and len(frames) == 96
    jaw = weights(frames)[:, ARKIT_INDEX["jawOpen"]]
    assert jaw[:5].max() < 0.05 and jaw.max() > 0.2  # rest in the leading pause, open while speaking
    assert s.animation().meta["transcript_free"] is True


def test_styles_continue_across_windows(speech):
    x, _ = speech
    style = ["emotion:happy=0.5", "head"]
    _, frames, _ = run_stream(x, 320, transcript=TEXT, method="prior", style=style, seed=3)
    head = np.stack([f.head_pose for f in frames])
    assert head.shape == (96, 6) and np.abs(head[:, :3]).max() > 1e-3
    # sway and nods stay smooth across updates: no frame-to-frame step larger than offline animate's steepest
    off = kmtalk.animate(str(HELLO), TEXT, method="prior", style=style, seed=3)
    steepest = np.abs(np.diff(off.head_pose[:, :3], axis=0)).max()
    assert np.abs(np.diff(head[:, :3], axis=0)).max() <= 1.1 * steepest
    smile = weights(frames)[:, ARKIT_INDEX["mouthSmileLeft"]]
    off_smile = off.weights[:, ARKIT_INDEX["mouthSmileLeft"]]
    assert np.median(smile) > 0.25  # the overlay holds throughout, as offline
    assert np.median(smile) == pytest.approx(np.median(off_smile), abs=0.02)
    assert_closures_exact(frames)
    again = [f.head_pose for f in run_stream(x, 1600, transcript=TEXT, method="prior", style=style, seed=3)[1]]
    np.testing.assert_array_equal(np.stack(again), head)  # same seed, same motion, whatever the chunks


def test_generator_yields_every_frame_once():
    x, _ = load_audio(HELLO)
    chunks = (x[i:i + 800] for i in range(0, len(x), 800))
    frames = list(stream_frames(chunks, TEXT, method="prior"))
    assert [f.index for f in frames] == list(range(96))
    d = frames[40].as_dict()
    assert set(d["weights"]) == set(ARKIT_NAMES) and d["index"] == 40


# ---------------------------------------------------------------------------- Live Link over UDP
def test_packet_layout_matches_pylivelinkface():
    from pylivelinkface.pylivelinkface import FaceBlendShape, PyLiveLinkFace

    w = np.linspace(0, 1, 52, dtype=np.float32)
    pose = np.array([0.1, -0.2, 0.05, 0, 0, 0], np.float32)  # pitch, yaw, roll
    data = encode_packet(w, frame=1234, fps=30, subject="npc", head_pose=pose)
    ok, face = PyLiveLinkFace.decode(data)
    assert ok and face.name == "npc" and face._frames == 1234 and face.fps == 30 and face._denominator == 1
    for i, name in enumerate(ARKIT_NAMES):
        assert face.get_blendshape(FaceBlendShape[name[0].upper() + name[1:]]) == pytest.approx(w[i], abs=0)
    assert face.get_blendshape(FaceBlendShape.HeadYaw) == pytest.approx(-0.2)
    assert face.get_blendshape(FaceBlendShape.HeadPitch) == pytest.approx(0.1)
    assert face.get_blendshape(FaceBlendShape.HeadRoll) == pytest.approx(0.05)
    ours = decode_packet(data)
    assert ours.subject == "npc" and ours.frame == 1234 and np.array_equal(ours.weights, w)
    assert decode_packet(encode_packet(w, frame=0, fps=29.97)).fps == pytest.approx(29.97, abs=1e-3)
    with pytest.raises(KmtalkError):
        encode_packet(w[:40], frame=0, fps=30)
    with pytest.raises(KmtalkError):
        encode_packet(w, frame=0, fps=30, device_id="short")
    with pytest.raises(KmtalkError):
        decode_packet(data[:30])


def _receiver(n_expected: int | None = None, timeout: float = 3.0):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(timeout)
    got: list[bytes] = []

    def loop() -> None:
        try:
            while n_expected is None or len(got) < n_expected:
                got.append(sock.recvfrom(4096)[0])
        except TimeoutError:
            pass
        finally:
            sock.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return sock.getsockname()[1], got, thread


def test_stream_frames_over_udp_loopback_decoded_by_pylivelinkface(speech):
    from pylivelinkface.pylivelinkface import FaceBlendShape, PyLiveLinkFace

    x, _ = speech
    _, frames, _ = run_stream(x, 320, transcript=TEXT, method="prior", style=["head"], seed=1)
    port, got, thread = _receiver(len(frames))
    with LiveLinkSender("127.0.0.1", port, subject="kmtalk-test") as out:
        for f in frames:
            out.send(f)
    thread.join(10)
    assert len(got) == len(frames)  # loopback does not drop 96 small datagrams
    for data, f in zip(got, frames):
        ok, face = PyLiveLinkFace.decode(data)
        assert ok and face.name == "kmtalk-test" and face._frames == f.index
        values = np.asarray(face._blend_shapes, np.float32)
        np.testing.assert_array_equal(values[:52], f.weights)
        assert values[FaceBlendShape.JawOpen.value] == f.weights[ARKIT_INDEX["jawOpen"]]
        assert values[FaceBlendShape.HeadYaw.value] == np.float32(f.head_pose[1])
        assert values[FaceBlendShape.HeadPitch.value] == np.float32(f.head_pose[0])
        assert np.all(values[55:] == 0)  # eyes


# ---------------------------------------------------------------------------- CLI
def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kmtalk", "stream", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, check=False)


def test_cli_streams_a_file_to_udp(tmp_path):
    from pylivelinkface.pylivelinkface import FaceBlendShape, PyLiveLinkFace

    port, got, thread = _receiver(96, timeout=60)
    out = tmp_path / "streamed.csv"
    r = _cli(str(HELLO), "--text", TEXT, "--udp", f"127.0.0.1:{port}", "--method", "prior", "--chunk", "0.01",
             "--json", "-o", str(out))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    thread.join(10)
    assert summary["frames"] == 96 and summary["packets"] == 96 and len(got) == 96
    assert summary["chunks"] == 322 and summary["latency_s"] == pytest.approx(0.3 + 1 / 30 + 0.01, abs=1e-3)
    faces = [PyLiveLinkFace.decode(d)[1] for d in got]
    jaw = np.array([f.get_blendshape(FaceBlendShape.JawOpen) for f in faces])
    take = kmtalk.io.exporters.livelink.read_livelink_csv(out, fps=30)
    np.testing.assert_allclose(jaw, take.weights[:, ARKIT_INDEX["jawOpen"]], atol=1e-6)


def test_cli_realtime_paces_the_frames():
    port, got, thread = _receiver(96, timeout=60)
    r = _cli(str(HELLO), "--text", TEXT, "--udp", f"127.0.0.1:{port}", "--method", "prior", "--realtime", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    thread.join(10)
    assert len(got) == 96 and summary["realtime"] is True
    assert summary["wall_s"] >= 3.2  # played at the pace of the 3.2 s line, not as fast as possible


def test_cli_help_and_user_errors(tmp_path):
    assert _cli("--help").returncode == 0
    bad = _cli(str(HELLO), "--udp", "nowhere")
    assert bad.returncode == 2 and "HOST:PORT" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    missing = _cli(str(tmp_path / "none.wav"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert _cli(str(HELLO), "--chunk", "0").returncode == 2
