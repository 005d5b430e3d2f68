"""Shared fixtures: paths to the real data in ../shared/data (never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-speech / real-video folder; tests that need it fail loudly if it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared data folder not found at {SHARED_DATA} (expected ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def speech_dir(shared_data: Path) -> Path:
    return shared_data / "speech"


@pytest.fixture(scope="session")
def video_dir(shared_data: Path) -> Path:
    return shared_data / "video-dev"


@pytest.fixture(scope="session")
def video_train_dir(shared_data: Path) -> Path:
    return shared_data / "video-train"
