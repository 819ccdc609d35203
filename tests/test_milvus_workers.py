"""Several service processes share one Milvus and one registry: `serve --workers 2` and a second `serve`
(as on another machine) against a Milvus server; an upload through one is searchable through all.

The server here is Milvus Lite's own gRPC server (`milvus-lite server`), which speaks the cluster's
protocol: the services reach it by `http://127.0.0.1:PORT`, exactly as they would reach a cluster.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus is not installed: pip install 'policy-assistant[milvus]'")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed: pip install 'policy-assistant[milvus]'")

import httpx  # noqa: E402

from conftest import CORPUS, _private_copy  # noqa: E402

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen, log: Path, seconds: float = 240) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + seconds
    while True:
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{url} not ready:\n{log.read_text(errors='replace')[-3000:]}"
        time.sleep(0.5)


@pytest.fixture()
def processes() -> Iterator[list[subprocess.Popen]]:  # type: ignore[type-arg]
    procs: list[subprocess.Popen] = []  # type: ignore[type-arg]
    yield procs
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


def test_workers_and_instances_share_one_index(built_settings, tmp_path: Path, processes) -> None:  # type: ignore[no-untyped-def]
    settings = _private_copy(built_settings, tmp_path)
    milvus_port = _free_port()
    mlog = tmp_path / "milvus.log"
    processes.append(subprocess.Popen(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "milvus-data"),
         "--host", "127.0.0.1", "--port", str(milvus_port)],
        stdout=mlog.open("wb"), stderr=subprocess.STDOUT,
    ))
    deadline = time.monotonic() + 60
    while True:  # the gRPC port accepts connections once the server is up
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", milvus_port)) == 0:
                break
        assert time.monotonic() < deadline and processes[0].poll() is None, mlog.read_text(errors="replace")
        time.sleep(0.2)

    env = {k: v for k, v in os.environ.items() if not k.startswith("PA_")}
    env.update({
        "PA_STORE": "milvus", "PA_MILVUS_URI": f"http://127.0.0.1:{milvus_port}",
        "PA_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.db'}",
        "PA_INDEX_DIR": str(settings.index_dir), "PA_DATA_DIR": str(settings.data_dir), "PA_CORPUS_DIR": str(CORPUS),
        "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    })
    cli = [sys.executable, "-m", "policy_assistant.cli"]
    migrated = subprocess.run([*cli, "migrate", "--to", "milvus", "--json"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=600)
    assert migrated.returncode == 0, migrated.stderr[-3000:]

    urls = []
    for workers in (2, 1):  # a two-worker service, and a second service as on another machine
        port = _free_port()
        log = tmp_path / f"serve-{port}.log"
        processes.append(subprocess.Popen(
            [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env, cwd=tmp_path, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        ))
        urls.append((f"http://127.0.0.1:{port}", processes[-1], log))
    for url, proc, log in urls:
        _wait(f"{url}/healthz", proc, log)

    first, second = urls[0][0], urls[1][0]
    text = "关于多进程共享索引测试的通知\n\n一、目标\n到2028年，建成共享索引示范村15个。\n"
    r = httpx.post(f"{first}/v1/documents?wait=true", files={"file": ("共享测试.txt", text.encode(), "text/plain")}, timeout=600)
    assert r.status_code == 201, r.text
    doc_id = r.json()["document"]["doc_id"]
    for url in (first, second):
        for _ in range(8):  # requests land on either worker of the first service
            hits = httpx.get(f"{url}/v1/search", params={"q": "共享索引示范村", "k": 1}, timeout=60).json()
            top = hits["hits"][0] if isinstance(hits, dict) else hits[0]
            assert top["doc_id"] == doc_id
    r = httpx.delete(f"{second}/v1/documents/{doc_id}", timeout=600)
    assert r.status_code == 200, r.text
    for _ in range(8):
        docs = httpx.get(f"{first}/v1/documents", timeout=60).json()["documents"]
        assert doc_id not in {d["doc_id"] for d in docs}
