"""Killing a Milvus-backed service in the middle of an upload leaves no half-document: after a restart the
document is either wholly searchable or not at all, and the rows of the interrupted write are gone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus is not installed: pip install 'policy-assistant[milvus]'")
pytest.importorskip("milvus_lite", reason="milvus-lite is not installed: pip install 'policy-assistant[milvus]'")

from conftest import _private_copy  # noqa: E402

# Runs in a subprocess (Milvus Lite: one process per .db file). Modes:
#   upload  - migrate the FAISS index, then upload with a slow insert: after the first batch of rows
#             it writes MARKER and sleeps until killed.
#   inspect - what the stores hold before start-up recovery, recovery, then the same upload again.
SCRIPT = r'''
import json, sys, time
from pathlib import Path
from policy_assistant.config import Settings
from policy_assistant.index import milvus_store
from policy_assistant.index.shared import migrate_from_faiss
from policy_assistant.service import PolicyService

mode, marker, doc_file = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
settings = Settings()
data = doc_file.read_bytes()

def rows(store, doc_id):
    res = store.client.query(store.collection, filter=f'doc_id == "{doc_id}"', output_fields=["count(*)"])
    return int(res[0]["count(*)"])

if mode == "upload":
    migrate_from_faiss(settings)
    milvus_store.INSERT_BATCH = 3
    original = milvus_store.MilvusStore._insert_batch
    def slow_insert(self, batch):
        original(self, batch)
        marker.write_text(json.dumps({"doc_id": batch[0]["doc_id"], "rows": len(batch)}))
        time.sleep(600)
    milvus_store.MilvusStore._insert_batch = slow_insert
    PolicyService(settings).upload(doc_file.name, data)
else:
    doc_id = json.loads(marker.read_text())["doc_id"]
    svc = PolicyService(settings)
    store = svc.store
    before = {"pending": len(store.registry.pending()), "rows": rows(store.vectors(), doc_id),
              "registered": doc_id in {d.doc_id for d in svc.documents()},
              "hits": [h.chunk.doc_id for h in svc.search("崩溃恢复示范点", k=10)]}
    svc.ensure_index()  # start-up: recovery
    after = {"pending": len(store.registry.pending()), "rows": rows(store.vectors(), doc_id),
             "registered": doc_id in {d.doc_id for d in svc.documents()},
             "hits": [h.chunk.doc_id for h in svc.search("崩溃恢复示范点", k=10)]}
    doc, report = svc.upload(doc_file.name, data)
    chunks = [c for c in svc.snapshot.chunks if c.doc_id == doc.doc_id]
    again = {"doc_id": doc.doc_id, "chunks": len(chunks), "rows": rows(store.vectors(), doc.doc_id),
             "total_rows": store.vectors().count(), "total_chunks": len(svc.snapshot.chunks),
             "hits": [h.chunk.doc_id for h in svc.search("崩溃恢复示范点", k=10)]}
    print(json.dumps({"before": before, "after": after, "again": again}))
'''


def _document() -> str:
    parts = ["关于开展崩溃恢复测试工作的通知", ""]
    for i, label in enumerate("一二三四五六七八", 1):
        parts.append(f"{label}、第{i}项重点任务")
        parts.append(f"到2030年，建设崩溃恢复示范点{i * 3}个以上，由区测试局{i}处负责。" + "完善工作机制，强化督促检查。" * 12)
    return "\n".join(parts) + "\n"


def test_killed_upload_leaves_no_half_document(built_settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings = _private_copy(built_settings, tmp_path)
    script = tmp_path / "crash_script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    doc = tmp_path / "崩溃测试通知.txt"
    doc.write_text(_document(), encoding="utf-8")
    marker = tmp_path / "inserted.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PA_")}
    env.update({
        "PA_STORE": "milvus", "PA_INDEX_DIR": str(settings.index_dir), "PA_DATA_DIR": str(settings.data_dir),
        "PA_MILVUS_URI": str(tmp_path / "milvus.db"), "PA_DATABASE_URL": f"sqlite:///{tmp_path / 'registry.db'}",
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    })
    log = (tmp_path / "upload.log").open("wb")
    proc = subprocess.Popen([sys.executable, str(script), "upload", str(marker), str(doc)],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert proc.poll() is None, (tmp_path / "upload.log").read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the upload never reached the vector store"
            time.sleep(0.2)
        time.sleep(0.5)  # let the first batch settle on disk as a crash would find it
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    out = subprocess.run([sys.executable, str(script), "inspect", str(marker), str(doc)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    doc_id = json.loads(marker.read_text())["doc_id"]
    before, after, again = result["before"], result["after"], result["again"]
    # the crash left rows of the new version in Milvus, journalled, but never made the document live
    assert before["pending"] >= 1 and before["rows"] >= 1 and not before["registered"]
    assert doc_id not in before["hits"]
    # start-up recovery removed them
    assert after == {"pending": 0, "rows": 0, "registered": False, "hits": after["hits"]}
    assert doc_id not in after["hits"]
    # the same upload then goes through whole
    assert again["doc_id"] == doc_id and again["rows"] == again["chunks"] >= 4
    assert again["total_rows"] == again["total_chunks"]
    assert again["hits"] and again["hits"][0] == doc_id
