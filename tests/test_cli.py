"""The CLI in-process (typer's CliRunner) over the session's built index."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from policy_assistant.cli import app


@pytest.fixture()
def env(built_settings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PA_INDEX_DIR", str(built_settings.index_dir))
    monkeypatch.setenv("PA_DATA_DIR", str(built_settings.data_dir))
    monkeypatch.setenv("PA_CORPUS_DIR", str(built_settings.corpus_dir))


def test_search_json(env: None) -> None:
    result = CliRunner().invoke(app, ["search", "农村居民人均可支配收入2025年目标", "--json", "-k", "3"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert len(hits) == 3 and "5.7萬元" in hits[0]["text"] and "二、总体目标" in hits[0]["norm_section_path"]


def test_ask_json_contract(env: None, tmp_path) -> None:  # type: ignore[no-untyped-def]
    history = tmp_path / "h.json"
    history.write_text(json.dumps([{"role": "user", "content": "2025年农村居民人均可支配收入目标是多少?"}]), encoding="utf-8")
    result = CliRunner().invoke(app, ["ask", "那2027年呢?", "--history", str(history), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert {"question", "answer", "answered", "citations", "targets", "mode", "latency_ms"} <= set(answer)
    assert answer["answered"] and "6.5万元" in answer["answer"] and answer["citations"][0]["section_path"] == ["二、总体目标"]


def test_targets_csv_and_filters(env: None) -> None:
    result = CliRunner().invoke(app, ["targets", "--year", "2027", "--csv"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("年份") and all(line.startswith("2027") for line in lines[1:])
    assert any("6.5" in line for line in lines[1:])


def test_empty_question_is_a_clear_error(env: None) -> None:
    result = CliRunner().invoke(app, ["ask", "  "])
    assert result.exit_code == 2
    assert "问题不能为空" in result.output


def test_ingest_reports_unchanged_corpus(env: None) -> None:
    result = CliRunner().invoke(app, ["ingest"])
    assert result.exit_code == 0, result.output
    assert "documents: 5" in result.output and "nothing re-embedded" in result.output
