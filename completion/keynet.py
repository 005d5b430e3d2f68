"""The key-motion network: the face at each key-motion frame.

For every :class:`~phoneme.keys.KeyMotion` the network reads

- the phone and viseme of the key's phone and of its neighbours ±2 in the
  alignment (ids into the vocabularies of :class:`KeyVocab`),
- those five phones' durations and where in its phone the key sits,
- the key's kind (closure, contact, rounding, protrusion, vowel apex, rest)
  and weight,
- a window of audio features around the key (±``audio_window`` frames at 100 Hz),
- the style embedding,

and returns the face at that frame as motion-space coordinates ``[B, K, D]``.
:class:`KeyFeatures` turns an alignment and its keys into the id/float tensors
(it uses only :mod:`phoneme` types).

Examples
--------
>>> import torch
>>> from phoneme.types import Alignment, Interval
>>> from phoneme.keys import select_keys
>>> from completion.keynet import KeyFeatures, KeyMotionNet, KeyVocab
>>> a = Alignment(words=[Interval("ma", 0, .4)],
...               phones=[Interval("m", 0, .1, word=0), Interval("ɑ", .1, .4, word=0)], duration=.4)
>>> vocab = KeyVocab.from_lexicon()
>>> feats = KeyFeatures.build(a, select_keys(a, fps=30), fps=30, vocab=vocab)
>>> feats.phone_ids.shape, feats.mask.tolist()
(torch.Size([1, 2, 5]), [[True, True]])
>>> net = KeyMotionNet(vocab, audio_dim=16, motion_dim=52, style_dim=8)
>>> net(feats, torch.zeros(1, 41, 16), torch.zeros(1, 8)).shape
torch.Size([1, 2, 52])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import torch
from torch import nn

from phoneme.errors import LexiconError
from phoneme.keys import KEY_KINDS, KeyMotion
from phoneme.lexicon import VISEMES, Lexicon, base_phone, load_lexicon, normalize_phone
from phoneme.types import SILENCE, Alignment, is_silence

from .features import FEATURE_RATE

__all__ = ["CONTEXT", "PAD_ID", "UNK_ID", "KeyFeatures", "KeyMotionNet", "KeyVocab"]

#: Id of padding (no neighbour / no key) in every vocabulary; ``UNK_ID`` for an unknown label.
PAD_ID = 0
UNK_ID = 1
#: Neighbours on each side of the key's phone.
CONTEXT = 2


@dataclass(frozen=True)
class KeyVocab:
    """Inventories the key network embeds: phones (IPA), visemes and key kinds.

    Ids are ``index + 2`` (0 is padding, 1 unknown). Stored in the model config
    so a checkpoint keeps its vocabulary.

    Examples
    --------
    >>> v = KeyVocab(phones=("sil", "m", "ɑ"), visemes=("sil", "PP", "aa"), kinds=("rest",))
    >>> v.phone_id("m"), v.phone_id("q"), v.n_phones
    (3, 1, 5)
    """

    phones: tuple[str, ...]
    visemes: tuple[str, ...] = VISEMES
    kinds: tuple[str, ...] = KEY_KINDS
    lexicon: str = "en"

    @classmethod
    def from_lexicon(cls, lexicon: Lexicon | str | None = None) -> KeyVocab:
        """Vocabulary of a viseme lexicon (default: the bundled English one)."""
        lex = load_lexicon(lexicon)
        name = lexicon if isinstance(lexicon, str) else (lex.source or "en") if lexicon is not None else "en"
        return cls(phones=tuple(lex.phones), visemes=VISEMES, kinds=KEY_KINDS, lexicon=name)

    @property
    def n_phones(self) -> int:
        return len(self.phones) + 2

    @property
    def n_visemes(self) -> int:
        return len(self.visemes) + 2

    @property
    def n_kinds(self) -> int:
        return len(self.kinds) + 2

    def _index(self) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        cache = self.__dict__.get("_cache")
        if cache is None:
            cache = ({p: i + 2 for i, p in enumerate(self.phones)},
                     {v: i + 2 for i, v in enumerate(self.visemes)},
                     {k: i + 2 for i, k in enumerate(self.kinds)})
            object.__setattr__(self, "_cache", cache)
        return cache

    def phone_id(self, label: str) -> int:
        """Id of an IPA phone (stress/length marks and diacritics dropped when needed)."""
        table = self._index()[0]
        if is_silence(label):
            label = SILENCE
        for key in (label, normalize_phone(label), base_phone(label)):
            if key in table:
                return table[key]
        return UNK_ID

    def viseme_id(self, viseme: str) -> int:
        return self._index()[1].get(viseme, UNK_ID)

    def kind_id(self, kind: str) -> int:
        return self._index()[2].get(kind, UNK_ID)

    def to_dict(self) -> dict[str, object]:
        return {"phones": list(self.phones), "visemes": list(self.visemes), "kinds": list(self.kinds),
                "lexicon": self.lexicon}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> KeyVocab:
        return cls(phones=tuple(data["phones"]), visemes=tuple(data["visemes"]),  # type: ignore[arg-type]
                   kinds=tuple(data["kinds"]), lexicon=str(data.get("lexicon", "en")))  # type: ignore[arg-type]


@dataclass
class KeyFeatures:
    """Per-key inputs of :class:`KeyMotionNet`, batched and padded to ``K`` keys.

    Attributes
    ----------
    phone_ids, viseme_ids : LongTensor [B, K, 5]
        The key's phone at the centre (index 2), neighbours ±1, ±2 around it.
    durations : Tensor [B, K, 5]
        Those phones' durations in seconds (0 where there is no neighbour).
    position : Tensor [B, K]
        Where in its phone the key lies (0 start … 1 end).
    kind_ids : LongTensor [B, K]
    weight : Tensor [B, K]
    frames : LongTensor [B, K]
        Output frame of each key.
    times : Tensor [B, K]
        ``frames / fps`` in seconds (where to read the audio).
    mask : BoolTensor [B, K]
        True for real keys, False for padding.
    """

    phone_ids: torch.Tensor
    viseme_ids: torch.Tensor
    durations: torch.Tensor
    position: torch.Tensor
    kind_ids: torch.Tensor
    weight: torch.Tensor
    frames: torch.Tensor
    times: torch.Tensor
    mask: torch.Tensor

    @property
    def n_keys(self) -> int:
        return int(self.mask.shape[1])

    def to(self, device: torch.device | str) -> KeyFeatures:
        """Move every tensor to ``device``."""
        return KeyFeatures(**{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    @classmethod
    def build(cls, alignment: Alignment, keys: Sequence[KeyMotion], fps: float, vocab: KeyVocab,
              *, lexicon: Lexicon | str | None = None) -> KeyFeatures:
        """Features of one utterance (``B = 1``).

        Parameters
        ----------
        alignment : Alignment
            The timed phones the keys were selected from.
        keys : sequence of KeyMotion
            From :func:`phoneme.keys.select_keys` (same alignment and ``fps``).
        fps : float
        vocab : KeyVocab
        lexicon : Lexicon or str, optional
            Gives the neighbours' visemes (default: ``vocab.lexicon``).
        """
        lex = load_lexicon(lexicon if lexicon is not None else vocab.lexicon)
        phones = alignment.phones
        k = len(keys)
        pid = torch.zeros(1, k, 2 * CONTEXT + 1, dtype=torch.long)
        vid = torch.zeros_like(pid)
        dur = torch.zeros(1, k, 2 * CONTEXT + 1)
        pos = torch.zeros(1, k)
        kind = torch.zeros(1, k, dtype=torch.long)
        weight = torch.zeros(1, k)
        frames = torch.zeros(1, k, dtype=torch.long)
        visemes: dict[int, int] = {}

        def viseme_of(index: int) -> int:
            if index not in visemes:
                label = phones[index].label
                try:
                    visemes[index] = vocab.viseme_id(SILENCE if is_silence(label) else lex.entry(label).viseme)
                except LexiconError:  # an unknown phone: the network sees "unknown"
                    visemes[index] = UNK_ID
            return visemes[index]

        for i, key in enumerate(keys):
            for j, off in enumerate(range(-CONTEXT, CONTEXT + 1)):
                n = key.phone_index + off
                if 0 <= n < len(phones):
                    pid[0, i, j] = vocab.phone_id(phones[n].label)
                    vid[0, i, j] = viseme_of(n)
                    dur[0, i, j] = phones[n].duration
            if 0 <= key.phone_index < len(phones):
                ph = phones[key.phone_index]
                pos[0, i] = min(max((key.time - ph.start) / ph.duration, 0.0), 1.0) if ph.duration > 0 else 0.5
            vid[0, i, CONTEXT] = vocab.viseme_id(key.viseme)
            kind[0, i] = vocab.kind_id(key.kind)
            weight[0, i] = float(key.weight)
            frames[0, i] = int(key.frame)
        return cls(pid, vid, dur, pos, kind, weight, frames, frames.to(torch.float32) / float(fps),
                   torch.ones(1, k, dtype=torch.bool))

    @classmethod
    def collate(cls, items: Sequence[KeyFeatures]) -> KeyFeatures:
        """Stack single- or multi-utterance features into one batch, padding ``K`` (mask False).

        Examples
        --------
        >>> import torch
        >>> from completion.keynet import KeyFeatures
        >>> def one(k):
        ...     z = torch.zeros(1, k, dtype=torch.long)
        ...     return KeyFeatures(z[..., None].repeat(1, 1, 5), z[..., None].repeat(1, 1, 5),
        ...                        torch.zeros(1, k, 5), z.float(), z, z.float(), z, z.float(),
        ...                        torch.ones(1, k, dtype=torch.bool))
        >>> KeyFeatures.collate([one(2), one(4)]).mask.sum(dim=1).tolist()
        [2, 4]
        """
        if not items:
            raise ValueError("collate needs at least one KeyFeatures")
        k_max = max(it.n_keys for it in items)
        out = {}
        for f in fields(cls):
            parts = []
            for it in items:
                t = getattr(it, f.name)
                pad = k_max - t.shape[1]
                if pad:
                    shape = (t.shape[0], pad, *t.shape[2:])
                    t = torch.cat([t, torch.zeros(shape, dtype=t.dtype, device=t.device)], dim=1)
                parts.append(t)
            out[f.name] = torch.cat(parts, dim=0)
        return cls(**out)


class KeyMotionNet(nn.Module):
    """Small MLP from per-key context to the face at the key (see the module docstring).

    Parameters
    ----------
    vocab : KeyVocab
    audio_dim : int
        Size of the audio features it reads.
    motion_dim : int
        Output channels ``D`` (the motion space's ``dim``).
    style_dim : int
        Size of the style embedding.
    hidden : int, default 256
    phone_dim, viseme_dim, kind_dim : int
        Embedding sizes.
    audio_window : int, default 8
        Audio frames (10 ms) read on each side of the key.
    audio_proj : int, default 16
        Channels each audio frame is projected to before flattening the window.
    dropout : float, default 0.1
    """

    def __init__(self, vocab: KeyVocab, *, audio_dim: int, motion_dim: int, style_dim: int,
                 hidden: int = 256, phone_dim: int = 32, viseme_dim: int = 16, kind_dim: int = 8,
                 audio_window: int = 8, audio_proj: int = 16, dropout: float = 0.1) -> None:
        super().__init__()
        self.audio_window = audio_window
        n_ctx = 2 * CONTEXT + 1
        self.phone = nn.Embedding(vocab.n_phones, phone_dim, padding_idx=PAD_ID)
        self.viseme = nn.Embedding(vocab.n_visemes, viseme_dim, padding_idx=PAD_ID)
        self.kind = nn.Embedding(vocab.n_kinds, kind_dim, padding_idx=PAD_ID)
        self.audio = nn.Linear(audio_dim, audio_proj)
        n_in = (n_ctx * (phone_dim + viseme_dim + 1) + 2 + kind_dim
                + (2 * audio_window + 1) * audio_proj + style_dim)
        self.mlp = nn.Sequential(
            nn.Linear(n_in, hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden, motion_dim),
        )

    def forward(self, keys: KeyFeatures, audio: torch.Tensor, style: torch.Tensor,
                audio_frames: torch.Tensor | None = None) -> torch.Tensor:
        """Face at each key.

        Parameters
        ----------
        keys : KeyFeatures
            ``B`` utterances, ``K`` keys each (padded).
        audio : Tensor [B, T_audio, audio_dim]
            Audio features at 100 Hz (frame ``j`` at ``j / 100`` s).
        style : Tensor [B, style_dim]
            Style embedding.
        audio_frames : LongTensor [B], optional
            Real audio frames per utterance (windows are clamped inside them; default all).

        Returns
        -------
        Tensor [B, K, motion_dim]
            Padded keys give values too; ignore them with ``keys.mask``.
        """
        b, k = keys.mask.shape
        if k == 0:
            return audio.new_zeros(b, 0, self.mlp[-1].out_features)
        ta = audio.shape[1]
        centre = torch.round(keys.times * FEATURE_RATE).long()
        offsets = torch.arange(-self.audio_window, self.audio_window + 1, device=audio.device)
        last = (audio_frames.to(audio.device).long() - 1 if audio_frames is not None
                else torch.full((b,), ta - 1, device=audio.device))
        idx = torch.minimum((centre[..., None] + offsets).clamp(min=0), last[:, None, None])  # [B, K, W]
        a = self.audio(audio)  # [B, Ta, P]
        win = torch.gather(a, 1, idx.reshape(b, -1, 1).expand(-1, -1, a.shape[-1])).reshape(b, k, -1)
        dur = torch.log1p(keys.durations.to(a.dtype) / 0.1)
        parts = [
            self.phone(keys.phone_ids).flatten(2),
            self.viseme(keys.viseme_ids).flatten(2),
            dur,
            keys.position.to(a.dtype)[..., None],
            keys.weight.to(a.dtype)[..., None],
            self.kind(keys.kind_ids),
            win,
            style.to(a.dtype)[:, None, :].expand(b, k, -1),
        ]
        return self.mlp(torch.cat(parts, dim=-1))

