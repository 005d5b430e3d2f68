"""Shared fixtures: paths to the real data the tests read.

Small speech ships in ``tests/data`` (see its README) and is always there. The
large data (talking-head videos, benchmark inputs) is not in the repository:
it is found at ``$KMTALK_DATA``, else at ``../shared/data`` beside the
repository. Tests that need it skip, saying how to get it, when it is absent;
with ``KMTALK_REQUIRE_DATA=1`` (set by ``.ci/run`` where the data exists) the
skip is a failure instead, so CI cannot silently run fewer tests.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = Path(__file__).resolve().parent / "data"
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()  # the default when KMTALK_DATA is unset


def data_root() -> Path:
    """Where the large data is looked for: ``$KMTALK_DATA`` if set, else ``../shared/data``."""
    env = os.environ.get("KMTALK_DATA")
    return Path(env).expanduser().resolve() if env else SHARED_DATA


def require_data(sub: str = "") -> Path:
    """The data folder (or its ``sub`` folder); skip the test, or fail under KMTALK_REQUIRE_DATA=1, if absent."""
    path = data_root() / sub if sub else data_root()
    if path.is_dir():
        return path
    reason = (f"large test data not found at {path}: set KMTALK_DATA=/path/to/data (a folder with "
              f"video-dev/, video-train/, speech/; see tests/data/README.md) or place it at ../shared/data")
    if os.environ.get("KMTALK_REQUIRE_DATA") == "1":
        pytest.fail(f"KMTALK_REQUIRE_DATA=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The large data folder (``$KMTALK_DATA``, else ``../shared/data``); skips when absent."""
    return require_data()


@pytest.fixture(scope="session")
def speech_dir() -> Path:
    """Small real speech shipped in ``tests/data/speech`` (FLAC audio, transcripts, reference alignments)."""
    return TEST_DATA / "speech"


@pytest.fixture(scope="session")
def video_dir() -> Path:
    """``video-dev/`` of the large data; skips when absent."""
    return require_data("video-dev")


@pytest.fixture(scope="session")
def video_train_dir() -> Path:
    """``video-train/`` of the large data; skips when absent."""
    return require_data("video-train")
