"""``.csv`` in the layout of Epic's Live Link Face app, which Unreal/MetaHuman tools import.

The layout (see ``docs/exports.md`` for the sources it was checked against):

- a header row ``Timecode,BlendshapeCount,`` then the 52 ARKit blendshapes in
  the app's column order and capitalisation (:data:`LIVELINK_BLENDSHAPES`:
  ``EyeBlinkLeft, EyeLookDownLeft, …, JawForward, JawRight, JawLeft, …,
  TongueOut`` — *not* Apple's order), then the 9 rotation columns
  :data:`LIVELINK_ROTATIONS` (``HeadYaw, HeadPitch, HeadRoll, LeftEyeYaw, …``);
- one row per frame: the timecode ``HH:MM:SS:FF.mmm`` (``FF`` the frame within
  the second at the animation's rate, ``.mmm`` thousandths of a frame), the
  count ``61`` (52 + 9), then the values.

kmtalk writes head yaw/pitch/roll from :attr:`Animation.head_pose` in radians
(zeros without a head pose) and zeros for the eye rotations. Values are
written with the fewest digits that read back to the same float32.

:func:`read_livelink_csv` reads such files — the app's own recordings
included — into a :class:`LiveLinkTake`.

Examples
--------
>>> import numpy as np, tempfile, os
>>> from kmtalk.face.animation import Animation
>>> w = np.zeros((3, 52), np.float32); w[:, 24] = [0.0, 0.5, 1.0]
>>> path = os.path.join(tempfile.mkdtemp(), "take.csv")
>>> _ = write_livelink_csv(Animation(fps=30, weights=w), path)
>>> open(path).read().splitlines()[2][:40]
'00:00:00:01.000,61,0,0,0,0,0,0,0,0,0,0,0'
>>> take = read_livelink_csv(path, fps=30)
>>> take.weights[:, 24].tolist(), take.times.tolist()
([0.0, 0.5, 1.0], [0.0, 0.03333333333333333, 0.06666666666666667])
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...atomic import atomic_write
from ...errors import AnimationError
from ...face.animation import Animation
from ...face.arkit import ARKIT_NAMES, LIVE_LINK_FACE_BLENDSHAPES, arkit_table

__all__ = [
    "COUNT_COLUMN",
    "LIVELINK_BLENDSHAPES",
    "LIVELINK_ROTATIONS",
    "LIVELINK_HEADER",
    "LiveLinkTake",
    "write_livelink_csv",
    "read_livelink_csv",
    "read_livelink_animation",
    "format_timecode",
    "parse_timecode",
    "livelink_rotations",
]

#: The 52 blendshape columns of a Live Link Face CSV, in the app's order and capitalisation
#: (from ``assets/rig/arkit52.json`` via :mod:`kmtalk.face.arkit`).
LIVELINK_BLENDSHAPES: tuple[str, ...] = LIVE_LINK_FACE_BLENDSHAPES
#: The 9 rotation columns after the blendshapes (head, then left and right eye).
LIVELINK_ROTATIONS: tuple[str, ...] = tuple(arkit_table()["live_link_face_csv"]["rotation_columns"])
#: Spelling of the count column in the app's own recordings. Headers reproduced byte for byte
#: from real captures spell it ``BlendshapeCount`` (lower-case s), while several importers that
#: rebuilt the header from the UDP protocol write ``BlendShapeCount``; readers (ours included)
#: match it case-insensitively, so we write what the app writes. See docs/exports.md.
COUNT_COLUMN: str = arkit_table()["live_link_face_csv"]["count_column"]
#: The full header row, as the app writes it.
LIVELINK_HEADER: tuple[str, ...] = (
    ("Timecode", COUNT_COLUMN) + LIVELINK_BLENDSHAPES + LIVELINK_ROTATIONS
)

_COUNT = len(LIVELINK_BLENDSHAPES) + len(LIVELINK_ROTATIONS)  # 61, the value of BlendshapeCount
_TIMECODE = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})[:;](\d+)(?:\.(\d+))?\s*$")
_STANDARD_RATES = (24, 25, 30, 48, 50, 60, 100, 120)


def _arkit_index() -> list[int]:
    """For each Live Link blendshape column, the index of the same shape in ARKit order."""
    lower = {n.lower(): i for i, n in enumerate(ARKIT_NAMES)}
    return [lower[n.lower()] for n in LIVELINK_BLENDSHAPES]


def livelink_rotations(head_pose: np.ndarray | None, n_frames: int) -> np.ndarray:
    """The 9 Live Link rotation values per frame (:data:`LIVELINK_ROTATIONS` order) from a head pose.

    ``head_pose`` columns are kmtalk's ``pitch, yaw, roll`` (radians; see
    :mod:`kmtalk.face.headpose`); Live Link wants ``HeadYaw, HeadPitch, HeadRoll``
    then the eyes (left yaw/pitch/roll, right yaw/pitch/roll), which kmtalk
    leaves at 0. Shared by the CSV writer and the UDP sender
    (:mod:`kmtalk.stream.livelink`).

    Parameters
    ----------
    head_pose : ndarray [T, 6] (or [T, 3], or [6] for one frame), or None
    n_frames : int

    Returns
    -------
    ndarray, float32 [n_frames, 9]

    Examples
    --------
    >>> livelink_rotations(np.array([[0.1, 0.2, 0.3, 0, 0, 0]]), 1)[0, :4].tolist()
    [0.20000000298023224, 0.10000000149011612, 0.30000001192092896, 0.0]
    """
    rot = np.zeros((n_frames, len(LIVELINK_ROTATIONS)), np.float32)
    if head_pose is not None:
        hp = np.asarray(head_pose, np.float32).reshape(n_frames, -1)
        rot[:, 0], rot[:, 1], rot[:, 2] = hp[:, 1], hp[:, 0], hp[:, 2]
    return rot


def format_timecode(frame: int, fps: float, start: float = 0.0) -> str:
    """The Live Link Face timecode ``HH:MM:SS:FF.mmm`` of a frame.

    Parameters
    ----------
    frame : int
        Frame index.
    fps : float
        Frame rate; ``FF`` counts frames within the second at this rate.
    start : float
        Seconds of the first frame (e.g. a time-of-day start).

    Examples
    --------
    >>> format_timecode(45, 30), format_timecode(3, 60, start=3600)
    ('00:00:01:15.000', '01:00:00:03.000')
    """
    t = start + frame / fps
    whole = math.floor(t + 1e-9)
    in_frames = max(0.0, (t - whole) * fps)
    ff = math.floor(in_frames + 1e-6)
    sub = min(999, int(round((in_frames - ff) * 1000))) if in_frames - ff > 1e-6 else 0
    hh, rem = divmod(whole, 3600)
    mm, ss = divmod(rem, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}.{sub:03d}"


def parse_timecode(text: str, rate: float) -> float:
    """Seconds of a ``HH:MM:SS:FF[.fff]`` timecode whose frames count at ``rate`` per second.

    Examples
    --------
    >>> parse_timecode("00:00:01:15.500", 30)
    1.5166666666666666
    """
    m = _TIMECODE.match(text)
    if not m:
        raise AnimationError(f"timecode {text!r} is not HH:MM:SS:FF or HH:MM:SS:FF.fff")
    hh, mm, ss, ff = (int(g) for g in m.groups()[:4])
    sub = float("0." + m.group(5)) if m.group(5) else 0.0
    return hh * 3600 + mm * 60 + ss + (ff + sub) / rate


def _fmt(v: float) -> str:
    return np.format_float_positional(np.float32(v), unique=True, trim="-")


def write_livelink_csv(
    anim: "Animation", path: str | os.PathLike[str], *, start: float = 0.0
) -> Path:
    """Write ``anim`` as a Live Link Face CSV.

    Parameters
    ----------
    anim : Animation
        The animation.
    path : str or PathLike
        Destination ``.csv``.
    start : float
        Timecode of the first frame in seconds (default 0, i.e. ``00:00:00:00.000``).

    Returns
    -------
    pathlib.Path
    """
    index = _arkit_index()
    w = anim.weights[:, index]
    rot = livelink_rotations(anim.head_pose, anim.n_frames)
    path = Path(path)
    with atomic_write(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh, lineterminator="\n")
            out.writerow(LIVELINK_HEADER)
            for i in range(anim.n_frames):
                out.writerow(
                    [
                        format_timecode(i, anim.fps, start),
                        _COUNT,
                        *map(_fmt, w[i]),
                        *map(_fmt, rot[i]),
                    ]
                )
    return path


@dataclass
class LiveLinkTake:
    """A Live Link Face CSV read back.

    Attributes
    ----------
    times : np.ndarray
        [T] seconds of each row, relative to the first row.
    weights : np.ndarray
        [T, 52] float32 in ARKit (Apple) order — ``kmtalk.face.arkit.ARKIT_NAMES`` —
        not the file's column order. Values as in the file (not clipped).
    head : np.ndarray or None
        [T, 3] ``HeadYaw, HeadPitch, HeadRoll`` as written (radians in files
        kmtalk writes), None when the file has no head columns.
    eyes : np.ndarray or None
        [T, 6] ``LeftEyeYaw, LeftEyePitch, LeftEyeRoll, RightEyeYaw, RightEyePitch, RightEyeRoll``.
    fps : float
        The rate the rows were recorded at (from the row spacing).
    timecodes : list of str
        The raw timecodes.
    """

    times: np.ndarray
    weights: np.ndarray
    head: np.ndarray | None
    eyes: np.ndarray | None
    fps: float
    timecodes: list[str]

    def to_animation(self, fps: float | None = None, *, clip: bool = True) -> "Animation":
        """Resample onto a regular grid at ``fps`` (default :attr:`fps`) as an :class:`Animation`.

        Rows are linearly interpolated at frames ``0 .. floor(span * fps)`` of
        the new rate (so dropped or duplicated rows are tolerated; rows that
        fall on a frame within a microsecond are taken as they are). The head
        rotation becomes ``head_pose`` (no translation). ``clip`` clips
        weights to [0, 1].
        """
        fps = float(fps or self.fps)
        t = self.times - self.times[0]
        order = np.argsort(t, kind="stable")
        pos = t[order] * fps  # row positions in output frames
        near = np.abs(pos - np.round(pos)) < 1e-6 * fps
        pos[near] = np.round(pos[near])
        grid = np.arange(int(math.floor(pos[-1] + 1e-9)) + 1, dtype=np.float64)

        def interp(values: np.ndarray) -> np.ndarray:
            v = values[order].astype(np.float64)
            return np.stack([np.interp(grid, pos, v[:, c]) for c in range(v.shape[1])], 1)

        head_pose = None
        if self.head is not None and np.any(self.head):
            h = interp(self.head)  # yaw, pitch, roll
            head_pose = np.zeros((len(grid), 6), np.float32)
            head_pose[:, 0], head_pose[:, 1], head_pose[:, 2] = h[:, 1], h[:, 0], h[:, 2]
        return Animation(
            fps=fps,
            weights=interp(self.weights),
            head_pose=head_pose,
            clip=clip,
            meta={"source": "livelink_csv"},
        )


def read_livelink_csv(path: str | os.PathLike[str], *, fps: float | None = None) -> LiveLinkTake:
    """Read a Live Link Face CSV (the app's recordings or kmtalk's exports).

    Columns are found by name, case-insensitively (``EyeBlinkLeft`` or
    ``eyeBlinkLeft``; ``BlendshapeCount`` or ``BlendShapeCount``), so column
    order does not matter.

    Parameters
    ----------
    path : str or PathLike
        The ``.csv`` file.
    fps : float, optional
        The timecode frame rate (``FF`` counts frames at this rate). When
        None it is inferred: the largest ``FF`` + 1 when the take spans more
        than one second, else the smallest standard rate (24, 25, 30, 48,
        50, 60, 100, 120) above the largest ``FF``. Pass it for
        non-integer rates such as 29.97.

    Returns
    -------
    LiveLinkTake

    Raises
    ------
    AnimationError
        Missing file, missing blendshape columns, unreadable numbers or timecodes.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if r and any(c.strip() for c in r)]
    except (OSError, UnicodeDecodeError) as exc:
        raise AnimationError(f"cannot read Live Link CSV {path}: {exc}") from exc
    if len(rows) < 2:
        raise AnimationError(
            f"{path} has no data rows (expected a header row then one row per frame)"
        )
    header = [h.strip().lower() for h in rows[0]]
    col = {h: i for i, h in enumerate(header)}
    if "timecode" not in col:
        raise AnimationError(f"{path} is not a Live Link Face CSV: no Timecode column")
    missing = [n for n in LIVELINK_BLENDSHAPES if n.lower() not in col]
    if missing:
        raise AnimationError(
            f"{path} lacks blendshape columns {missing[:6]}"
            + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
        )
    data_rows = rows[1:]

    def numbers(names: tuple[str, ...]) -> np.ndarray:
        idx = [col[n.lower()] for n in names]
        try:
            return np.array([[float(r[i]) for i in idx] for r in data_rows], dtype=np.float64)
        except (ValueError, IndexError) as exc:
            raise AnimationError(
                f"{path}: a row has a missing or non-numeric value ({exc})"
            ) from exc

    ll = numbers(LIVELINK_BLENDSHAPES)
    weights = np.zeros((len(data_rows), len(ARKIT_NAMES)), np.float32)
    weights[:, _arkit_index()] = ll
    has_rot = all(n.lower() in col for n in LIVELINK_ROTATIONS[:3])
    head = numbers(LIVELINK_ROTATIONS[:3]).astype(np.float32) if has_rot else None
    has_eyes = all(n.lower() in col for n in LIVELINK_ROTATIONS[3:])
    eyes = numbers(LIVELINK_ROTATIONS[3:]).astype(np.float32) if has_eyes else None

    timecodes = [r[col["timecode"]].strip() for r in data_rows]
    parts = []
    for tc in timecodes:
        m = _TIMECODE.match(tc)
        if not m:
            raise AnimationError(f"{path}: timecode {tc!r} is not HH:MM:SS:FF.fff")
        parts.append(m)
    if fps is None:
        max_ff = max(int(m.group(4)) for m in parts)
        seconds = {m.group(1, 2, 3) for m in parts}
        if len(seconds) > 2:  # at least one whole second seen
            rate = float(max_ff + 1)
        else:
            rate = float(next((r for r in _STANDARD_RATES if r > max_ff), max_ff + 1))
    else:
        rate = float(fps)
        if not rate > 0:
            raise AnimationError(f"fps must be positive, got {fps!r}")
    abs_times = np.array([parse_timecode(tc, rate) for tc in timecodes])
    times = abs_times - abs_times[0]
    steps = np.diff(times)
    steps = steps[steps > 0]
    row_fps = float(1.0 / np.median(steps)) if len(steps) else rate
    if abs(row_fps - rate) < 1e-3 * rate:
        row_fps = rate
    return LiveLinkTake(
        times=times, weights=weights, head=head, eyes=eyes, fps=row_fps, timecodes=timecodes
    )


def read_livelink_animation(path: str | os.PathLike[str], *, fps: float | None = None,
                            timecode_fps: float | None = None) -> "Animation":
    """Read a Live Link Face CSV as an :class:`Animation`.

    :func:`read_livelink_csv` (``timecode_fps`` is its ``fps``: the timecode
    rate, inferred when None), then :meth:`LiveLinkTake.to_animation` at
    ``fps`` (default: the take's own rate).

    Raises
    ------
    AnimationError
        As :func:`read_livelink_csv`.
    """
    return read_livelink_csv(path, fps=timecode_fps).to_animation(fps)
