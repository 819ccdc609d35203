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


# ----- API and page fixtures ---------------------------------------------------------------------


def _private_copy(built_settings, root: Path):  # type: ignore[no-untyped-def]
    """Settings over a copy of the built index and an empty data dir (the model cache is linked, not copied)."""
    import shutil

    shutil.copytree(built_settings.index_dir, root / "indexes", ignore=shutil.ignore_patterns(".lock", ".tmp-*"))
    data = root / "data"
    data.mkdir()
    models = built_settings.data_dir / "models"
    if models.exists():
        (data / "models").symlink_to(models, target_is_directory=True)
    return built_settings.model_copy(update={"index_dir": root / "indexes", "data_dir": data})


@pytest.fixture(scope="module")
def writable_settings(built_settings, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A private copy of the built index, for tests that upload or delete documents."""
    return _private_copy(built_settings, tmp_path_factory.mktemp("writable"))


class LiveServer:
    """A running `policy-assistant serve`: its base URL and the folders it writes to."""

    def __init__(self, url: str, index_dir: Path, data_dir: Path, log: Path) -> None:
        self.url = url
        self.index_dir = index_dir
        self.data_dir = data_dir
        self.log = log


@pytest.fixture(scope="session")
def live_server(built_settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    """`policy-assistant serve` in a subprocess on a free loopback port, over a private index copy.

    No ``PA_*`` variable of the caller's environment leaks in (no API keys, no LLM).
    """
    import socket
    import subprocess
    import sys
    import time

    import httpx

    root = tmp_path_factory.mktemp("live")
    settings = _private_copy(built_settings, root)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PA_")}
    env.update({
        "PA_INDEX_DIR": str(settings.index_dir), "PA_DATA_DIR": str(settings.data_dir), "PA_CORPUS_DIR": str(CORPUS),
        "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    })
    log = root / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "policy_assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve not ready after 180 s:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield LiveServer(url, settings.index_dir, settings.data_dir, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
