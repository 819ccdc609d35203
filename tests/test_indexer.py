"""Indexer: incremental ingest, no re-embedding of unchanged documents, bad files skipped, atomic swap."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import CORPUS
from policy_assistant.config import Settings
from policy_assistant.errors import IndexNotReady
from policy_assistant.index.snapshot import Snapshot
from policy_assistant.service import PolicyService

REGULATION = "zj-rural-sewage-regulation-2019.txt"


def _small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / REGULATION, folder / REGULATION)
    (folder / "gbk-notice.txt").write_bytes("关于开展测试工作的通知\n\n一、工作目标\n到2025年，建成示范点12个以上。\n".encode("gb18030"))
    return folder


def _settings(tmp_path: Path, base: Settings) -> Settings:
    return base.model_copy(update={"index_dir": tmp_path / "idx"})


def test_ingest_then_unchanged_reingest_embeds_nothing(tmp_path: Path, fresh_settings: Settings) -> None:
    svc = PolicyService(_settings(tmp_path, fresh_settings))
    folder = _small_corpus(tmp_path)
    first = svc.ingest([folder])
    assert first.documents == 2 and first.embedded == first.chunks > 0 and not first.failed
    version = svc.store.current_version()
    again = svc.ingest([folder])
    assert not again.changed and again.embedded == 0
    assert svc.store.current_version() == version  # nothing published


def test_changed_document_reembeds_only_new_chunks(tmp_path: Path, fresh_settings: Settings) -> None:
    svc = PolicyService(_settings(tmp_path, fresh_settings))
    folder = _small_corpus(tmp_path)
    svc.ingest([folder])
    notice = folder / "gbk-notice.txt"
    notice.write_bytes(notice.read_bytes() + "二、保障措施\n由区农业农村局负责组织实施。\n".encode("gb18030"))
    report = svc.ingest([folder])
    assert report.updated == ["gbk-notice"]
    assert 0 < report.embedded <= 2
    assert any(o.owner == "区农业农村局" for o in svc.snapshot.owners)


def test_removed_file_leaves_the_index(tmp_path: Path, fresh_settings: Settings) -> None:
    svc = PolicyService(_settings(tmp_path, fresh_settings))
    folder = _small_corpus(tmp_path)
    svc.ingest([folder])
    (folder / "gbk-notice.txt").unlink()
    report = svc.ingest([folder])
    assert report.removed == ["gbk-notice"]
    assert [d.doc_id for d in svc.documents()] == ["zj-rural-sewage-regulation-2019"]


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path: Path, fresh_settings: Settings) -> None:
    svc = PolicyService(_settings(tmp_path, fresh_settings))
    folder = _small_corpus(tmp_path)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage")
    (folder / "empty.txt").write_bytes(b"")
    other = tmp_path / "virus.exe"
    other.write_bytes(b"MZ\x90\x00")
    report = svc.ingest([folder, other])
    failed = {Path(f).name: msg for f, msg in report.failed}
    assert set(failed) == {"broken.pdf", "empty.txt", "virus.exe"}
    assert "empty" in failed["empty.txt"].lower() or "空" in failed["empty.txt"]
    assert report.documents == 2
    assert svc.search("污水处理设施建设标准", k=1)[0].chunk.doc_id == "zj-rural-sewage-regulation-2019"


def test_crash_mid_ingest_leaves_the_old_index_answering(tmp_path: Path, fresh_settings: Settings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(tmp_path, fresh_settings)
    svc = PolicyService(settings)
    folder = _small_corpus(tmp_path)
    svc.ingest([folder])
    old_version = svc.store.current_version()

    real_save = Snapshot.save

    def crash_after_some_files(self: Snapshot, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        (path / "documents.json").write_text("[]")
        raise KeyboardInterrupt("simulated crash while writing the new index")

    monkeypatch.setattr(Snapshot, "save", crash_after_some_files)
    (folder / "new.md").write_text("# 新文件\n\n第一条 由市财政局负责资金保障。\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        svc.ingest([folder])
    monkeypatch.setattr(Snapshot, "save", real_save)

    fresh = PolicyService(settings)  # a new process would see exactly this
    assert fresh.store.current_version() == old_version
    assert len(fresh.documents()) == 2
    answer = fresh.ask("污水处理设施水污染物排放标准由谁制定")
    assert answer.answered and "省生态环境主管部门" in answer.answer
    # the next ingest cleans the half-written folder and succeeds
    report = fresh.ingest([folder])
    assert report.added == ["new"]
    assert not list((settings.index_dir).glob(".tmp-*"))


def test_no_index_is_a_clear_error(tmp_path: Path, fresh_settings: Settings) -> None:
    svc = PolicyService(_settings(tmp_path, fresh_settings))
    with pytest.raises(IndexNotReady):
        svc.ask("城镇化率目标")
    assert svc.health()["ready"] is False


def test_index_built_with_another_model_is_rebuilt(tmp_path: Path, fresh_settings: Settings) -> None:
    import json

    settings = _settings(tmp_path, fresh_settings)
    svc = PolicyService(settings)
    folder = _small_corpus(tmp_path)
    svc.ingest([folder])
    version = svc.store.current_version()
    manifest_path = settings.index_dir / "versions" / str(version) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["embedding_model"] = "st:some-other-model:abc"
    manifest_path.write_text(json.dumps(manifest))
    report = PolicyService(settings).ingest([folder])
    assert report.rebuilt and report.embedded == report.chunks
    assert PolicyService(settings).snapshot.model_id == svc.encoder.model_id


def test_upload_named_like_a_corpus_document_does_not_replace_it(tmp_path: Path, fresh_settings: Settings) -> None:
    settings = _settings(tmp_path, fresh_settings).model_copy(update={"data_dir": tmp_path / "data"})
    svc = PolicyService(settings)
    svc.ingest([_small_corpus(tmp_path)])
    data = "关于测试的通知\n\n一、目标\n到2026年，建成测试点8个。\n".encode()
    doc, _ = svc.upload(REGULATION, data)
    ids = {d.doc_id for d in svc.documents()}
    assert "zj-rural-sewage-regulation-2019" in ids and doc.doc_id in ids and doc.doc_id != "zj-rural-sewage-regulation-2019"
    assert svc.search("污水处理设施建设标准", k=1)[0].chunk.doc_id == "zj-rural-sewage-regulation-2019"
