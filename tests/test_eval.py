"""Evaluation: the scoring functions on hand-made inputs, dataset validation, and a real run end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from policy_assistant.eval import metrics as m
from policy_assistant.eval.baseline import baseline_tokens, split_documents
from policy_assistant.eval.dataset import DatasetError, load_items, parse_item
from policy_assistant.ingest.outline import parse_outline

REPO = Path(__file__).resolve().parents[1]


# ----- facts -----------------------------------------------------------------------------
def test_facts_match_a_traditional_full_width_answer() -> None:
    answer = "到２０２５年，農村居民人均可支配收入達到５.７萬元［1］。"
    assert m.missing_fact_groups(answer, [["5.7万元", "5.7万"], ["2025"]]) == []
    assert m.facts_found(answer, [["5.7万元"], ["2025"]])


def test_every_group_is_needed_and_any_alternative_is_enough() -> None:
    answer = "到2027年达到6.5万"
    assert m.missing_fact_groups(answer, [["6.5万元", "6.5万"], ["5.7万"]]) == [["5.7万"]]
    assert not m.facts_found(answer, [])  # no expected facts is never a pass


# ----- sections --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("heading", "label"),
    [
        ("三、全面提升區域承載能力", "三"),
        ("(三)实施公共服务保障能力提升行动", "(三)"),
        ("（十五）增强脱贫地区和脱贫群众内生发展动力", "(十五)"),
        ("3.健全城乡养老托育体系", "3"),
        ("第二章产业发展", "第二章"),
        ("第十條", "第十条"),
        ("3.5万元以上", ""),  # a figure, not a heading
        ("总则", ""),
    ],
)
def test_heading_label(heading: str, label: str) -> None:
    assert m.heading_label(heading) == label


def test_section_path_labels_are_normalised() -> None:
    assert m.parse_section_path("三/（三）/3") == ["三", "(三)", "3"]
    assert m.parse_section_path("第二章/第十条") == ["第二章", "第十条"]


def test_section_matches_the_section_and_its_subsections_only() -> None:
    expected = m.parse_section_path("四/（二）")
    assert m.section_matches(["四", "(二)"], "", expected)
    assert m.section_matches(["四", "(二)", "3"], "", expected)
    assert not m.section_matches(["四", "(三)", "3"], "", expected)
    assert not m.section_matches(["四"], "持续深化工作。", expected)


def test_section_matches_a_law_article_without_its_chapter() -> None:
    assert m.section_matches(["第十条"], "", m.parse_section_path("第二章/第十条"))
    assert m.section_matches(["第一章", "第四条", "(二)"], "", m.parse_section_path("第四条"))
    assert not m.section_matches(["第一章", "第十一条"], "", m.parse_section_path("第一章/第十条"))


def test_section_matches_a_parent_chunk_that_absorbed_the_section() -> None:
    expected = m.parse_section_path("第十章/第七十四条")
    assert m.section_matches(["第十章"], "第七十四条本法自2021年6月1日起施行。", expected)
    assert not m.section_matches(["第十章"], "附则的其他内容。", expected)
    # the preamble chunk (no heading) does not contain a section that starts later
    assert not m.section_matches([], "各镇人民政府、街道办事处:\n现将方案印发给你们", m.parse_section_path("二"))


OUTLINE_TEXT = (
    "某某实施方案\n"
    "一、总体目标\n到2025年，建成示范村10个。\n"
    "二、主要任务\n（一）产业\n1.做强平台。内容甲。\n2.做优商贸。内容乙。\n（二）生态\n内容丙。\n"
)


def test_find_sections_resolves_a_label_path_to_its_text_span() -> None:
    root = parse_outline(OUTLINE_TEXT, "plan.txt").root
    [sec] = m.find_sections(root, m.parse_section_path("二/（一）/2"))
    assert OUTLINE_TEXT[sec.start : sec.end].startswith("2.做优商贸")
    assert "内容丙" not in OUTLINE_TEXT[sec.start : sec.end]
    assert m.find_sections(root, m.parse_section_path("三")) == []


def test_span_hit_needs_half_of_the_shorter_span() -> None:
    section = [(100, 200)]
    assert m.span_hit(120, 180, section)  # inside
    assert m.span_hit(150, 260, section)  # overlap 50 = half of the shorter span (the section, 100)
    assert not m.span_hit(180, 400, section)  # only 20 characters overlap
    assert m.span_hit(0, 400, [(100, 117)])  # a short article wholly inside a long chunk
    assert not m.span_hit(0, 100, section)  # touching is not overlapping


# ----- ranks and summaries ---------------------------------------------------------------
def test_rank_metrics() -> None:
    rank = m.first_rank([False, False, True, True])
    assert rank == 3
    assert not m.hit_at(rank, 1) and m.hit_at(rank, 3)
    assert m.reciprocal_rank(rank) == pytest.approx(1 / 3)
    assert m.first_rank([False, False]) is None and m.reciprocal_rank(None) == 0.0
    assert not m.hit_at(None, 5)


def test_rate_skips_questions_a_metric_does_not_apply_to() -> None:
    assert m.rate([True, False, None, True]) == pytest.approx(2 / 3)
    assert m.rate([None, None]) is None


def test_percentile_and_ratio() -> None:
    assert m.percentile([10.0, 20.0, 30.0, 40.0, 1000.0], 50) == 30.0
    assert m.percentile([], 95) is None
    assert m.ratio(0.9, 0.6) == pytest.approx(1.5)
    assert m.ratio(0.9, 0.0) is None


def test_missed_thresholds_name_each_miss() -> None:
    summary: dict[str, float | int | None] = {
        "fact_accuracy": 0.85, "hit@5": 0.97, "refusal_accuracy": None, "numeric_violations": 2,
    }
    missed = m.missed_thresholds(summary, min_fact_accuracy=0.9, min_hit5=0.95, min_refusal_accuracy=0.9,
                                 max_numeric_violations=0)
    assert [line.split()[0] for line in missed] == ["fact_accuracy", "refusal_accuracy", "numeric_violations"]
    assert m.missed_thresholds(summary) == []  # nothing asked, nothing missed


# ----- per-question scoring --------------------------------------------------------------
def test_numeric_faithfulness_counts_invented_figures_but_not_echoes() -> None:
    from policy_assistant.eval.runner import score
    from policy_assistant.models import Answer, Citation

    item = parse_item({"id": "u1", "question": "2030年全区城镇化率目标是多少？", "answerable": False,
                       "expected_facts": [], "kind": "unanswerable"})
    cite = Citation(doc_id="plan", title="实施方案", section_path=["二、总体目标"], quote="到2025年，全区常住人口城镇化率达到85%以上")

    def ask(text: str, answered: bool, citations: list[Citation]) -> Answer:
        return Answer(question=item.question, answer=text, answered=answered, citations=citations)

    refusal = score(item, ask("文件没有设定2030年的目标；到2025年达到85%以上[1]。", False, [cite]), [], None, [])
    assert refusal["numeric_ok"] and refusal["exempt_figures"] == ["2030"] and refusal["refusal"] is True
    invented = score(item, ask("2030年的目标是90%[1]。", True, [cite]), [], None, [])
    assert not invented["numeric_ok"] and invented["unsupported_figures"] == ["90"] and invented["refusal"] is False
    titled = ask("《余杭区实施方案(2023-2027年)》中没有相关规定。", False, [])
    assert score(item, titled, [], None, [], titles=["余杭区实施方案(2023-2027年)"])["numeric_ok"]
    assert not score(item, titled, [], None, [])["numeric_ok"]  # a figure named nowhere else is counted


# ----- baseline pieces -------------------------------------------------------------------
def test_baseline_splitter_keeps_offsets_into_the_document() -> None:
    text = "一、总体目标\n" + "到2025年，农村居民人均可支配收入达到5.7万元；" * 30 + "\n二、主要任务\n内容。"
    chunks = split_documents({"plan": text})
    assert len(chunks) > 3
    assert all(len(c.text) <= 250 for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)
    assert baseline_tokens("农村居民，人均收入！") == ["农村居民", "人均收入"]


# ----- dataset ---------------------------------------------------------------------------
GOOD = {
    "id": "q1", "question": "2027年农村居民人均可支配收入目标多少", "answerable": True,
    "expected_facts": [["6.5万元", "6.5万"]], "expected_doc": "yuhang-qianwan-plan-2023-2027.txt",
    "expected_section": "二", "alt_sections": ["四/（四）/3"], "kind": "target", "style": "simplified",
}


def _write(tmp_path: Path, rows: list[object]) -> Path:
    path = tmp_path / "qa.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    return path


def test_dataset_loads_and_derives_doc_id_and_sections(tmp_path: Path) -> None:
    followup = {"id": "q2", "question": "那2025年呢？", "answerable": True, "expected_facts": [["5.7万"]],
                "expected_doc": "yuhang-qianwan-plan-2023-2027.txt", "kind": "followup", "style": "simplified",
                "history": [{"role": "user", "content": "2027年收入目标？"}, {"role": "assistant", "content": "6.5万元"}]}
    [item, fu] = load_items(_write(tmp_path, [GOOD, "", followup]))
    assert item.doc_id == "yuhang-qianwan-plan-2023-2027"
    assert item.sections == ["二", "四/（四）/3"]
    assert [t.role for t in fu.history] == ["user", "assistant"] and fu.sections == []


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ({k: v for k, v in GOOD.items() if k != "kind"}, "missing field"),
        ({**GOOD, "kind": "trivia"}, "unknown kind"),
        ({**GOOD, "answerable": "yes"}, "true or false"),
        ({**GOOD, "expected_facts": [[]]}, "non-empty list"),
        ({**GOOD, "expected_facts": []}, "at least one expected fact"),
        ({**GOOD, "answerable": False, "kind": "unanswerable"}, "expected_facts []"),
        ({**GOOD, "kind": "unanswerable"}, "kind 'unanswerable' needs"),
        ({**GOOD, "history": [{"role": "bot", "content": "x"}]}, "role"),
        ({**GOOD, "alt_sections": "二"}, "alt_sections"),
    ],
)
def test_dataset_rejects_bad_rows(row: dict[str, object], problem: str) -> None:
    with pytest.raises(DatasetError, match=re.escape(problem)):
        parse_item(row, "qa.jsonl:7")


def test_rows_without_expected_doc_score_the_answer_only() -> None:
    """Sets written on uploaded documents may leave the document out: no doc or section hit is scored."""
    item = parse_item({k: v for k, v in GOOD.items() if k not in ("expected_doc", "expected_section", "alt_sections")},
                      "x.jsonl:1")
    assert item.answerable and item.doc_id is None and item.sections == []


def test_dataset_errors_name_the_line(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"qa.jsonl:2: not valid JSON"):
        load_items(_write(tmp_path, [GOOD, "{oops"]))
    with pytest.raises(DatasetError, match=r"qa.jsonl:2: duplicate id 'q1' \(first on line 1\)"):
        load_items(_write(tmp_path, [GOOD, GOOD]))
    with pytest.raises(DatasetError, match="no questions"):
        load_items(_write(tmp_path, [""]))


def test_the_shipped_question_files_are_valid() -> None:
    held_out = load_items(REPO / "evals" / "qa.jsonl")
    dev = load_items(REPO / "evals" / "qa_dev.jsonl")
    assert len(held_out) == 159 and len(dev) == 55
    assert not {i.question for i in held_out} & {i.question for i in dev}


# ----- end to end on the real index ------------------------------------------------------
# from the dev set, never the held-out one: target, owner (regulation), owner with alt section, follow-up, unanswerable
FIVE = ["d004", "d016", "d021", "d041", "d047"]


@pytest.fixture(scope="module")
def five_questions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rows = [line for line in (REPO / "evals" / "qa_dev.jsonl").read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line)["id"] in FIVE]
    path = tmp_path_factory.mktemp("eval") / "five.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_runner_scores_five_real_questions_and_writes_the_report(real_service, five_questions: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.eval.report import summary_lines, write_report
    from policy_assistant.eval.runner import run_eval

    items = load_items(five_questions)
    run = run_eval(real_service, items, file=str(five_questions), baseline=True)
    write_report(run, tmp_path)

    by_id = {r.item.id: r for r in run.results}
    assert list(by_id) == FIVE
    easy = by_id["d004"].metrics  # "城乡供水同质化率要稳定在多少？" is answered in 五/（三）/1
    assert easy["hit@5"] is True and easy["common_hit@5"] is True and easy["refusal"] is None
    assert isinstance(easy["fact"], bool) and easy["false_refusal"] is False
    unanswerable = by_id["d047"].metrics
    assert unanswerable["fact"] is None and unanswerable["hit@5"] is None and isinstance(unanswerable["refusal"], bool)
    followup = by_id["d041"]  # retrieval is scored on the question as the engine resolved it
    assert followup.query == (followup.answer.resolved_question or followup.item.question)
    s = run.summary
    assert s["n"] == 5 and s["n_answerable"] == 4 and s["n_unanswerable"] == 1
    assert s["baseline_mrr"] is not None and s["latency_p50_ms"] > 0
    assert not run.warnings  # every expected section resolved in the outline

    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == FIVE
    assert {"answer", "metrics", "passed", "expected"} <= set(rows[0])
    assert rows[0]["answer"]["citations"] and "answered" in rows[0]["answer"]
    report = (tmp_path / "report.md").read_text(encoding="utf-8")
    body = report.split("\n\n")
    assert body[0].startswith("# Evaluation report") and body[1].startswith("![")  # opens with the plots
    assert "| baseline |" in report and "ours / baseline" in report
    for png in ("metrics_by_kind.png", "retrieval_vs_baseline.png", "latency.png"):
        assert (tmp_path / png).read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "report.html").read_text(encoding="utf-8").count("data:image/png;base64,") == 3
    assert any("ours/baseline" in line for line in summary_lines(run))


def test_cli_eval_exits_non_zero_when_a_threshold_is_missed(built_settings, five_questions: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.cli import app

    env = {"PA_INDEX_DIR": str(built_settings.index_dir), "PA_DATA_DIR": str(built_settings.data_dir),
           "PA_CORPUS_DIR": str(built_settings.corpus_dir), "PA_LLM_BASE_URL": "", "PA_LLM_MODEL": ""}
    args = ["eval", str(five_questions), "--out", str(tmp_path / "out"), "--no-baseline"]
    result = CliRunner().invoke(app, [*args, "--min-fact-accuracy", "1.01", "--max-numeric-violations", "99"], env=env)
    assert result.exit_code == 1, result.output
    assert "fact accuracy" in result.output and "threshold missed: fact_accuracy" in result.output
    assert (tmp_path / "out" / "report.html").exists()

    bad = CliRunner().invoke(app, [*args, "--mode", "llm"], env=env)
    assert bad.exit_code == 2 and "PA_LLM_BASE_URL" in bad.output


def test_a_not_stated_marker_makes_a_row_expect_a_statement_of_absence() -> None:
    assert m.expects_absence([["未明确", "没有明确"], ["区农业农村局"]])
    assert not m.expects_absence([["85%"], ["以上"]])
