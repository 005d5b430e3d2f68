"""Styles: specs, registry (in code and through a real entry point), composition order, determinism,
and what each built-in must guarantee — on real speech (pocketsphinx alignment of a LibriVox line),
the real prior animator and the default rig."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import kmtalk
from kmtalk.animator.prior import animate_prior, load_prior_tables
from kmtalk.animator.styles import (
    BLINK_INTERVAL_S,
    EMBEDDING_SIZE,
    BaseStyle,
    PriorParams,
    ReferenceStyle,
    StyleContext,
    StyleEmbedding,
    available_styles,
    get_style,
    parse_styles,
    register_style,
    style_embedding,
    stylize,
)
from kmtalk.errors import KmtalkError
from kmtalk.face.arkit import ARKIT_INDEX
from kmtalk.train.metrics import lip_gap_mm
from phoneme.audio import load_audio
from phoneme.loudness import frame_loudness
from phoneme.types import Alignment, Interval

LIBRI = "sense_and_sensibility_01_austen_64kb-0870"


@pytest.fixture(scope="module")
def line(speech_dir):
    wav = speech_dir / "librivox" / f"{LIBRI}.flac"
    text = (speech_dir / "librivox" / f"{LIBRI}.txt").read_text().strip()
    neutral = kmtalk.animate(wav, text, method="prior")  # the styles' logic, on the prior
    alignment = Alignment(words=neutral.words, phones=neutral.phones, duration=neutral.duration,
                          aligner="pocketsphinx")
    return wav, alignment, neutral


def _styled(line, style, **kw):
    wav, alignment, _ = line
    return kmtalk.animate(wav, alignment=alignment, style=style, **{"method": "prior", **kw})


def _closure_frames(anim):
    return [k.frame for k in anim.keys if k.kind == "bilabial_closure"]


# ----------------------------------------------------------------------------- specs and registry


def test_specs_in_every_accepted_form():
    assert [s.spec() for s in parse_styles(["articulation:lip=1.3", "emotion:happy=0.5", "head"])] == [
        "articulation:lip=1.3", "emotion:happy=0.5", "head"]
    assert [s.spec() for s in parse_styles("emotion:sad=0.4 ; head:nod=0.5,sway=0")] == [
        "emotion:sad=0.4", "head:nod=0.5,sway=0"]
    assert [s.spec() for s in parse_styles({"jaw": 1.2, "lip": 0.8})] == ["articulation:jaw=1.2,lip=0.8"]
    assert [s.spec() for s in parse_styles({"name": "emotion", "angry": 0.3})] == ["emotion:angry=0.3"]
    assert parse_styles("emotion:surprised")[0].levels == {"surprised": 1.0}
    assert parse_styles(None) == [] and parse_styles([]) == []
    custom = get_style("head", nod=0)
    assert parse_styles([custom, "head"])[0] is custom


@pytest.mark.parametrize("spec, message", [
    ("emotoin:happy=0.5", "unknown style 'emotoin'; did you mean emotion"),
    ("emotion:joy=0.5", "unknown emotion 'joy'; known: happy, sad, angry, surprised"),
    ("emotion:happy=1.5", r"must be an intensity in \[0, 1\]"),
    ("emotion", "needs at least one emotion"),
    ("articulation:jaw=4", r"must be in \[0, 3\]"),
    ("articulation:tongue=2", "check its parameters"),
    ("head:blink=2", r"must be in \[0, 1\]"),
    ("reference", "needs exactly one of"),
    (":happy=1", "has no style name"),
    ({"brow": 1}, "unknown style axis 'brow'; known: jaw, lip"),
    ({"jaw": "wide"}, "must be a number"),
    ([["head"]], "cannot be nested"),
    (42, "style must be a spec string"),
])
def test_bad_specs_are_errors_that_say_what_to_fix(spec, message):
    with pytest.raises(KmtalkError, match=message):
        parse_styles(spec)


def test_builtins_are_registered():
    assert {"articulation", "emotion", "head", "reference"} <= set(available_styles())


class _SetChannel(BaseStyle):
    """Test style: sets one channel to a constant (to see the order in which styles apply)."""

    name = "set_channel"

    def __init__(self, *, channel: str = "cheekPuff", value: float = 0.5) -> None:
        super().__init__(channel=channel, value=value)
        self.channel, self.value = channel, float(value)

    def apply(self, weights, context):
        out = weights.copy()
        out[:, ARKIT_INDEX[self.channel]] = self.value
        return out


def test_in_code_registration_and_order_of_composition(line):
    register_style("set_channel", _SetChannel, replace=True)
    with pytest.raises(KmtalkError, match="already registered"):
        register_style("set_channel", _SetChannel)
    puff = ARKIT_INDEX["cheekPuff"]
    a = _styled(line, ["set_channel:value=0.2", "set_channel:value=0.7"])
    b = _styled(line, ["set_channel:value=0.7", "set_channel:value=0.2"])
    assert np.allclose(a.weights[:, puff], 0.7) and np.allclose(b.weights[:, puff], 0.2)
    assert a.meta["styles"] == ["set_channel:channel=cheekPuff,value=0.2",
                                "set_channel:channel=cheekPuff,value=0.7"]
    # articulation styles multiply, and equal the JALI axes given directly
    both = _styled(line, ["articulation:lip=1.5", "articulation:lip=0.5,jaw=1.2"])
    assert both.meta["style"] == {"jaw": 1.2, "lip": 0.75}
    assert np.array_equal(both.weights, _styled(line, {"jaw": 1.2, "lip": 0.75}).weights)


def test_style_from_an_installed_package_entry_point(tmp_path, monkeypatch, line):
    """A real distribution on sys.path declares a style under the kmtalk.styles entry-point group."""
    (tmp_path / "kmx_brows.py").write_text(textwrap.dedent("""
        import numpy as np
        from kmtalk.face.arkit import ARKIT_INDEX
        from kmtalk.animator.styles import BaseStyle

        class RaisedBrows(BaseStyle):
            name = "raised_brows"
            def __init__(self, *, amount=0.6):
                super().__init__(amount=amount)
                self.amount = float(amount)
            def apply(self, weights, context):
                out = weights.copy()
                c = ARKIT_INDEX["browInnerUp"]
                out[:, c] = np.maximum(out[:, c], self.amount)
                return out
    """))
    info = tmp_path / "kmx_brows-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: kmx-brows\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[kmtalk.styles]\nraised_brows = kmx_brows:RaisedBrows\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "raised_brows" in available_styles()
    anim = _styled(line, "raised_brows:amount=0.4")
    assert np.all(anim.channel("browInnerUp") >= np.float32(0.4))
    (info / "entry_points.txt").write_text("[kmtalk.styles]\nbroken = kmx_missing_module:Nope\n")
    with pytest.raises(KmtalkError, match="cannot be loaded"):
        get_style("broken")


def test_a_style_returning_garbage_is_named(line):
    class Bad(BaseStyle):
        name = "bad"

        def apply(self, weights, context):
            return weights[:-1]

    with pytest.raises(KmtalkError, match="style 'bad': apply\\(\\) must return finite values of shape"):
        _styled(line, Bad())


# ----------------------------------------------------------------------------- determinism


def test_same_seed_same_animation_other_seed_other_motion(line):
    spec = ["emotion:happy=0.5", "head"]
    a, b = _styled(line, spec, seed=3), _styled(line, spec, seed=3)
    assert np.array_equal(a.weights, b.weights) and np.array_equal(a.head_pose, b.head_pose)
    c = _styled(line, spec, seed=4)
    assert not np.array_equal(a.head_pose, c.head_pose)
    assert not np.array_equal(a.channel("eyeBlinkLeft"), c.channel("eyeBlinkLeft"))
    # without styles there is no head pose, and the curves are the plain prior's
    plain = _styled(line, None)
    assert plain.head_pose is None and np.array_equal(plain.weights, line[2].weights)


# ----------------------------------------------------------------------------- emotion


@pytest.mark.parametrize("emotion", ["happy", "sad", "angry", "surprised"])
def test_emotion_overlay_leaves_closures_closed(line, emotion):
    neutral = line[2]
    anim = _styled(line, f"emotion:{emotion}=1")
    frames = _closure_frames(anim)
    assert len(frames) >= 5
    gap = lip_gap_mm(anim.weights[frames], kmtalk.default_rig())
    assert np.all(gap < 1.0), gap
    for ch in ("jawOpen", "mouthClose", "mouthFunnel", "mouthLowerDownLeft", "mouthUpperUpRight"):
        assert np.array_equal(anim.channel(ch), neutral.channel(ch)), ch
    changed = [n for n in kmtalk.ARKIT_NAMES if not np.allclose(anim.channel(n), neutral.channel(n))]
    assert changed and all(n.startswith(("brow", "eye", "cheek", "nose", "mouthSmile", "mouthFrown",
                                         "mouthDimple", "mouthPress")) for n in changed), changed


def test_emotion_intensity_scales_the_overlay(line):
    smile = [_styled(line, f"emotion:happy={v}").channel("mouthSmileLeft").mean() for v in (0.25, 0.5, 1.0)]
    base = line[2].channel("mouthSmileLeft").mean()
    assert base < smile[0] < smile[1] < smile[2]


# ----------------------------------------------------------------------------- locks


def test_locks_exact_after_styles(line):
    neutral = line[2]
    blink_frame = 60
    locks = {40: {"mouthSmileLeft": 0.0, "browInnerUp": 0.9}, blink_frame: {"eyeBlinkLeft": 0.0},
             120: "PP"}
    anim = _styled(line, ["emotion:happy=1", "emotion:surprised=1", "head:blink=1"], locks=locks, seed=1)
    assert anim.weights[40, ARKIT_INDEX["mouthSmileLeft"]] == np.float32(0.0)
    assert anim.weights[40, ARKIT_INDEX["browInnerUp"]] == np.float32(0.9)
    assert anim.weights[blink_frame, ARKIT_INDEX["eyeBlinkLeft"]] == np.float32(0.0)
    pp = kmtalk.resolve_locks({120: "PP"}, n_frames=neutral.n_frames, fps=neutral.fps)
    cols = np.flatnonzero(pp.mask[0])
    assert np.array_equal(anim.weights[120, cols], pp.values[0, cols])
    # the closures of the line stay exact too
    frames = _closure_frames(anim)
    assert np.all(lip_gap_mm(anim.weights[frames], kmtalk.default_rig()) < 1.0)


# ----------------------------------------------------------------------------- head


def _long_context(seed: int, seconds: float = 120.0) -> StyleContext:
    """A synthetic line: 0.4 s words, a 0.3 s pause every 3 to 5 words, a stressed vowel in each word."""
    rng = np.random.default_rng(100 + seed)
    words, phones, t = [], [], 0.5
    words.append(Interval("sil", 0, t))
    phones.append(Interval("sil", 0, t))
    while t < seconds - 4:
        for _ in range(int(rng.integers(3, 6))):
            k = len(words)
            words.append(Interval("word", t, t + 0.4))
            phones += [Interval("t", t, t + 0.1, word=k), Interval("æ", t + 0.1, t + 0.3, word=k, stress=1),
                       Interval("n", t + 0.3, t + 0.4, word=k)]
            t += 0.4
        words.append(Interval("sil", t, t + 0.3))
        phones.append(Interval("sil", t, t + 0.3))
        t += 0.3
    words.append(Interval("sil", t, seconds))
    phones.append(Interval("sil", t, seconds))
    a = Alignment(words=words, phones=phones, duration=seconds)
    return StyleContext(fps=30, n_frames=int(seconds * 30), alignment=a, entropy=(seed, 0, 1))


def test_blinks_every_2_to_6_s_and_more_at_pauses():
    head = get_style("head")
    intervals, at_pause, total, pause_share = [], 0, 0, []
    for seed in range(8):
        ctx = _long_context(seed)
        times = np.array(head.blink_times(ctx))
        intervals += np.diff(times).tolist()
        starts = np.array([p.start for p in ctx.pauses()])
        near = np.array([np.any((t - starts >= 0) & (t - starts <= 0.1)) for t in times])
        at_pause += int(near.sum())
        total += len(times)
        pause_share.append(len(starts) * 0.1 / ctx.duration)  # time share of those windows
    lo, hi = BLINK_INTERVAL_S
    assert min(intervals) >= lo - 1e-9 and max(intervals) <= hi + 1e-9
    assert 2.5 < np.mean(intervals) < 5.0
    # blinks cluster at phrase boundaries far above chance
    assert at_pause / total > max(0.35, 5 * np.mean(pause_share))


def test_blinks_close_the_eyes_on_real_speech(line):
    anim = _styled(line, "head:nod=0,sway=0", seed=2)
    lid = anim.channel("eyeBlinkLeft")
    onsets = np.flatnonzero((lid[1:] >= 0.99) & (lid[:-1] < 0.99))
    assert len(onsets) >= 1 and np.array_equal(lid, anim.channel("eyeBlinkRight"))
    assert anim.head_pose is None  # no nod, no sway: no head motion
    assert np.all(lid[: int(0.3 * anim.fps)] == 0)  # no blink in the first 0.3 s


def test_nods_fall_on_stressed_syllables(line):
    _wav, alignment, _ = line
    anim = _styled(line, "head:sway=0", seed=5)
    pitch = anim.head_pose[:, 0].astype(np.float64)
    assert np.all(anim.head_pose[:, 1:] == 0) and pitch.max() > np.radians(1.0)
    peaks = [k for k in range(1, len(pitch) - 1)
             if pitch[k] > np.radians(0.5) and pitch[k] >= pitch[k - 1] and pitch[k] > pitch[k + 1]]
    stressed = np.array([p.start for p in alignment.phones if p.stress == 1])
    assert peaks
    for k in peaks:  # every nod peaks 0-0.2 s after the start of a stressed vowel
        lag = k / anim.fps - stressed
        assert np.any((lag >= -0.02) & (lag <= 0.2)), (k, lag)
    swayed = _styled(line, "head", seed=5)
    assert np.abs(swayed.head_pose[:, 1]).max() > np.radians(0.2)  # yaw drifts with sway on


# ----------------------------------------------------------------------------- reference


def test_reference_embedding_and_matching_ranges(line, tmp_path):
    _wav, _alignment, neutral = line
    lively = _styled(line, {"jaw": 1.6, "lip": 1.4})
    emb = style_embedding(lively)
    assert emb.vector().shape == (EMBEDDING_SIZE,) and np.isfinite(emb.vector()).all()
    again = StyleEmbedding.from_dict(emb.to_dict())
    assert np.array_equal(again.vector(), emb.vector())
    assert emb.jaw_range > style_embedding(neutral).jaw_range

    path = lively.save(tmp_path / "lively.npz")
    matched = _styled(line, f"reference:path={path}")
    assert matched.meta["styles"] == [f"reference:path={path}"]
    got = style_embedding(matched)
    assert got.jaw_range == pytest.approx(emb.jaw_range, rel=0.05)
    assert got.lip_range == pytest.approx(emb.lip_range, rel=0.05)
    half = _styled(line, ReferenceStyle(lively, strength=0.5))
    assert 1.0 < half.meta["style"]["lip"] < matched.meta["style"]["lip"]


def test_reference_hands_the_embedding_to_the_animator(line):
    """A learned animator gets the embedding in PriorParams; here a recording stand-in animator."""
    wav, alignment, neutral = line
    seen = []
    tables = load_prior_tables()
    samples, sr = load_audio(wav, sample_rate=16000)
    loud = frame_loudness(samples, sr, 30.0, n_frames=neutral.n_frames)

    def animator(params: PriorParams):
        seen.append(params)
        return animate_prior(alignment, 30.0, jaw=params.jaw, lip=params.lip, n_frames=neutral.n_frames,
                             loudness_db=loud)

    ref = ReferenceStyle(style_embedding(neutral))
    out = stylize([ref], animate=animator, alignment=alignment, fps=30.0, n_frames=neutral.n_frames,
                  tables=tables, loudness_db=loud)
    assert seen[-1].embedding is ref.embedding and out.params.embedding is ref.embedding
    # the line is its own reference: nothing to scale
    assert out.params.jaw == pytest.approx(1.0, abs=0.05) and out.params.lip == pytest.approx(1.0, abs=0.05)


def test_reference_needs_a_second_of_motion():
    short = kmtalk.Animation(fps=30, weights=np.zeros((15, 52), np.float32))
    with pytest.raises(kmtalk.errors.AnimationError, match="at least 1 s"):
        style_embedding(short)
