"""Shared fixtures: one real index (real model, real Chroma) built once per test session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.config import Settings  # noqa: E402
from assistant.pipeline import Pipeline, load_pipeline  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent


@cache
def session_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="assistant-tests-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def make_settings(**changes) -> Settings:
    """The default settings with the store in a temporary folder (the model cache is shared)."""
    base = replace(Settings.from_env(), seeds_dir=PROJECT / "seeds", vectorstore_dir=session_dir() / "vectorstore")
    return replace(base, **changes)


@cache
def shared_pipeline() -> Pipeline:
    return load_pipeline(make_settings(), progress=False)


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return shared_pipeline()


@pytest.fixture(scope="session")
def documents(pipeline):
    return pipeline.documents
