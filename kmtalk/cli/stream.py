"""``kmtalk stream``: play a file through :class:`kmtalk.Stream` in chunks, optionally to Unreal Live Link over UDP."""

from __future__ import annotations

import argparse
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import AudioError, KmtalkError
from .animate import _style
from .common import emit, read_transcript, write_animation

HELP = "stream a file through the live animator in chunks (optionally to Unreal Live Link over UDP)"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "stream", help=HELP,
        description=HELP.capitalize() + ". The file is cut into chunks and pushed as a live source "
        "would push them; frames go out as soon as they are final. With --realtime the chunks arrive "
        "at the pace of the audio and the frames are sent at their playout times (frame time + latency).",
        epilog="examples:\n  kmtalk stream line.wav --text 'Bob fed five blue balloons.' --udp 127.0.0.1:11111 --realtime\n"
               "  kmtalk stream line.wav --chunk 0.01 --lookahead 0.2 --json      (no UDP: just measure)\n"
               "  kmtalk stream line.wav --text-file line.txt -o streamed.csv     (keep what was streamed)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("audio", type=Path, help="speech audio (WAV, FLAC, OGG or MP3; any rate)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--text", help="the transcript, in quotes (default: none, the speech is recognised live)")
    group.add_argument("--text-file", type=Path, metavar="FILE", help="a UTF-8 text file holding the transcript")
    p.add_argument("--udp", metavar="HOST:PORT", help="send Live Link Face packets there (Unreal listens on 11111)")
    p.add_argument("--subject", default="kmtalk", help="Live Link subject name (default: kmtalk)")
    p.add_argument("--realtime", action="store_true",
                   help="push chunks at the pace of the audio and send frames at their playout times")
    p.add_argument("--chunk", type=float, default=0.02, metavar="S", help="chunk length in seconds (default: 0.02)")
    p.add_argument("--lookahead", type=float, default=0.3, metavar="S",
                   help="seconds of newer audio a frame waits for before it is final (default: 0.3)")
    p.add_argument("--hop", type=float, metavar="S",
                   help="seconds between updates (default: one frame for the prior, 0.1 for the learned model)")
    p.add_argument("--fps", type=float, default=30.0, help="frames per second (default: 30)")
    p.add_argument("--style", metavar="SPEC", action="append",
                   help="repeatable: 'jaw=1.2,lip=0.8', 'emotion:happy=0.5', 'head' (see docs/styles.md)")
    p.add_argument("--method", choices=("auto", "prior", "learned"), default="auto",
                   help="auto (default): the trained model when one is available, else the prior")
    p.add_argument("--checkpoint", type=Path, metavar="DIR|NAME",
                   help="a trained model folder for --method learned, or a shipped model's name (kmtalk-arkit-whisper)")
    p.add_argument("--seed", type=int, default=0, help="seed of random styles such as 'head' (default: 0)")
    p.add_argument("-o", "--output", type=Path,
                   help="also write what was streamed (.npz, .csv, .json, .glb … as kmtalk animate)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise KmtalkError(f"--udp expects HOST:PORT such as 127.0.0.1:11111, got {text!r}")
    return host.strip("[]"), int(port)


def _read(path: Path) -> tuple[np.ndarray, int]:
    """The file's samples at its own rate (mono float), so the stream resamples as a live source would."""
    import soundfile

    from phoneme.audio import load_audio

    try:
        rate = int(soundfile.info(str(path)).samplerate)
    except (RuntimeError, soundfile.SoundFileError, OSError) as exc:
        if not path.exists():
            raise AudioError(f"audio file {str(path)!r} does not exist") from None
        raise AudioError(f"cannot read audio {str(path)!r}: {exc}") from None
    return load_audio(path, sample_rate=rate)


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    ms = np.asarray(values) * 1000.0
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p99_ms": round(float(np.percentile(ms, 99)), 3),
            "max_ms": round(float(ms.max()), 3)}


def run(args: argparse.Namespace) -> int:
    from ..stream import Stream
    from ..stream.livelink import LiveLinkSender

    if not 0.001 <= args.chunk <= 1.0:
        raise KmtalkError(f"--chunk must be between 0.001 and 1 s, got {args.chunk}")
    target = _address(args.udp) if args.udp else None
    samples, rate = _read(args.audio)
    stream = Stream(read_transcript(args), sample_rate=rate, fps=args.fps, lookahead=args.lookahead, hop=args.hop,
                    method=args.method, checkpoint=args.checkpoint, style=_style(args.style), seed=args.seed)
    sender = LiveLinkSender(*target, subject=args.subject, fps=args.fps) if target else None
    step = max(int(round(args.chunk * rate)), 1)
    chunks = [samples[i:i + step] for i in range(0, samples.size, step)]
    # frames are played out at their time plus the worst-case latency (chunk included)
    delay = stream.latency + args.chunk
    pending: deque = deque()
    stats: dict[str, Any] = {"sent": 0, "bytes": 0, "late": 0, "max_late_ms": 0.0}
    start = time.monotonic()

    def send_due(until: float | None) -> None:
        """Send queued frames whose playout time has come (sleeping until ``until`` in real-time mode)."""
        while pending:
            due = start + pending[0].time + delay if args.realtime else 0.0
            if until is not None and due > until:
                break
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            elif args.realtime and -wait > 1e-3:
                stats["late"] += 1
                stats["max_late_ms"] = max(stats["max_late_ms"], -wait * 1000.0)
            frame = pending.popleft()
            if sender is not None:
                stats["bytes"] += sender.send(frame)
                stats["sent"] += 1
        if until is not None and args.realtime:
            wait = until - time.monotonic()
            if wait > 0:
                time.sleep(wait)

    try:
        for k, chunk in enumerate(chunks):
            if args.realtime:
                send_due(start + (k * step + chunk.size) / rate)  # the chunk is complete at this time
            pending.extend(stream.push(chunk))
            if not args.realtime:
                send_due(None)
        pending.extend(stream.close())
        send_due(None)
    finally:
        if sender is not None:
            sender.close()
    wall = time.monotonic() - start
    anim = stream.animation()
    written = write_animation(anim, args.output) if args.output is not None else []
    compute = float(np.sum(stream.stats.chunk_seconds)) + (stream.stats.update_seconds[-1]
                                                           if stream.stats.update_seconds else 0.0)
    summary = {
        "audio": str(args.audio), "sample_rate": rate, "duration": round(samples.size / rate, 4),
        "frames": anim.n_frames, "fps": args.fps, "method": stream.method,
        "transcript_free": stream.transcript is None,
        "chunk_s": args.chunk, "chunks": len(chunks), "lookahead_s": stream.lookahead, "hop_s": stream.hop,
        "latency_s": round(delay, 4), "realtime": bool(args.realtime), "wall_s": round(wall, 3),
        "udp": None if target is None else f"{target[0]}:{target[1]}", "subject": args.subject,
        "packets": stats["sent"], "bytes": stats["bytes"],
        "late_frames": stats["late"], "max_late_ms": round(stats["max_late_ms"], 2),
        "compute_per_chunk": _percentiles(stream.stats.chunk_seconds),
        "compute_per_update": _percentiles(stream.stats.update_seconds),
        "real_time_factor": round(compute / max(samples.size / rate, 1e-9), 4),
        "output": [str(p) for p in written],
    }
    text = (f"streamed {anim.n_frames} frames at {args.fps:g} fps ({stream.method}) from {len(chunks)} chunks of "
            f"{args.chunk * 1000:g} ms; latency ≤ {delay * 1000:.0f} ms; compute per chunk p50 "
            f"{summary['compute_per_chunk']['p50_ms']} ms, p99 {summary['compute_per_chunk']['p99_ms']} ms")
    if target:
        text += f"\nsent {stats['sent']} Live Link packets to {target[0]}:{target[1]} (subject {args.subject!r})"
        if args.realtime and stats["late"]:
            text += f"; {stats['late']} frames late (up to {stats['max_late_ms']:.0f} ms)"
    if written:
        text += f"\nwrote {written[0]}"
    emit(args, summary, text)
    return 0
