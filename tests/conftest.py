"""Shared fixtures: the real corpus indexed once per session with the real default model."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
MAIN_DOC = "yuhang-qianwan-plan-2023-2027"


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir shared by the session so the converted bulk encoder is made once."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, model_cache: Path):  # type: ignore[no-untyped-def]
    """Settings whose index holds the real corpus (built once, offline, with the default model)."""
    from policy_assistant.config import Settings
    from policy_assistant.service import PolicyService

    root = tmp_path_factory.mktemp("built")
    settings = Settings(index_dir=root / "indexes", data_dir=model_cache, corpus_dir=CORPUS, _env_file=None)  # type: ignore[call-arg]
    report = PolicyService(settings).ensure_index()
    assert report is not None and report.documents == 5 and not report.failed
    return settings


@pytest.fixture(scope="session")
def real_service(built_settings):  # type: ignore[no-untyped-def]
    """One service over the built index, shared by read-only tests."""
    from policy_assistant.service import PolicyService

    return PolicyService(built_settings)


@pytest.fixture()
def fresh_settings(tmp_path: Path, model_cache: Path) -> Iterator:  # type: ignore[type-arg]
    """Settings with an empty index folder of their own (for tests that write)."""
    from policy_assistant.config import Settings

    yield Settings(index_dir=tmp_path / "indexes", data_dir=model_cache, corpus_dir=CORPUS, _env_file=None)  # type: ignore[call-arg]
