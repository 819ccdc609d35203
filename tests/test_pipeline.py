"""The staged answer pipeline: stages listed and switched off, the explain trace, refusal reasons,
and answers that stay right under concurrent requests (real corpus, real default model)."""

from __future__ import annotations

import json
import sys
import threading

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from policy_assistant.answer.engine import AnswerEngine
from policy_assistant.answer.pipeline import REQUIRED, stage_names
from policy_assistant.api.app import create_app
from policy_assistant.cli import app as cli_app
from policy_assistant.ingest.normalise import to_traditional

# thirty distinct questions of every kind, over all five documents
QUESTIONS = [
    "托位要新增多少个?", "2027年农村居民人均可支配收入要达到多少?", "谁牵头细化专项方案?",
    "乡村振兴促进法什么时候施行?", "农村生活污水处理设施由哪个部门负责监督管理?", "三大革命是指什么?",
    "集体经济年经营性收入150万元以上行政村占比目标是多少?", "和美乡村示范村要建成几个?",
    "条例什么时候开始施行?", "向污水处理设施倾倒垃圾罚多少?", "一号文件提出粮食产量要保持在多少以上?",
    "千万工程是哪一年启动的?", "污水处理设施行政村覆盖率目标是多少?", "出水水质达标率要达到多少?",
    "乡镇卫生院服务能力国家标准达标率目标?", "农村集体经济组织是指什么?", "县级以上人民政府应当建立什么制度?",
    "运维单位应当多久巡查一次?", "全省农村居民人均可支配收入2022年是多少?", "城镇化率要达到多少?",
    "康养联合体乡镇覆盖率是多少?", "方案的保障措施有哪些?", "乡村振兴促进法有几章?",
    "每年盘活闲置农房多少宗?", "户内处理设施由谁负责养护?", "谁负责编制农村生活污水处理设施建设规划?",
    "未来乡村要建多少个?", "农村生活污水处理设施是指什么?", "高标准农田建设目标是什么?",
    "浙江省农村生活污水处理设施管理条例由什么机关通过?",
]


@pytest.fixture(scope="module")
def engine(real_service) -> AnswerEngine:  # type: ignore[no-untyped-def]
    return real_service.engine()  # type: ignore[no-any-return]


def _same(a) -> tuple:  # type: ignore[no-untyped-def,type-arg]
    """What a user sees of an answer."""
    return (a.answer, a.answered, [c.quote for c in a.citations], a.reason)


def test_stages_are_listed_in_data_flow_order() -> None:
    names = stage_names()
    assert names[:3] == ["normalise", "understand", "gate"]
    assert names.index("retrieve") < names.index("match") < names.index("scope") < names.index("compose")
    assert set(names) >= REQUIRED


def test_unknown_or_required_stage_cannot_be_switched_off(real_service) -> None:  # type: ignore[no-untyped-def]
    snap = real_service.snapshot
    with pytest.raises(ValueError, match="nosuch"):
        AnswerEngine(snap, real_service.retriever(snap), real_service.settings, disabled={"nosuch"})
    with pytest.raises(ValueError, match="match"):
        AnswerEngine(snap, real_service.retriever(snap), real_service.settings, disabled={"match"})


def test_switching_off_the_gate_lets_an_unknown_place_through(real_service) -> None:  # type: ignore[no-untyped-def]
    question = "上海市2025年农村居民人均可支配收入目标是多少?"
    snap = real_service.snapshot
    full = AnswerEngine(snap, real_service.retriever(snap), real_service.settings)
    no_gate = AnswerEngine(snap, real_service.retriever(snap), real_service.settings, disabled={"gate"})
    refused = full.answer(question, [])
    assert not refused.answered and refused.reason == "gate.unknown_place"
    other = no_gate.answer(question, [])
    assert "gate" not in {s.stage for s in other.trace or []}
    assert other.reason != "gate.unknown_place"


def test_explain_trace_names_stages_and_rules(engine: AnswerEngine) -> None:
    answer = engine.answer("2025年农村居民人均可支配收入目标是多少?", [])
    assert answer.answered and "5.7" in answer.answer
    stages = [s.stage for s in answer.trace or []]
    assert {"understand", "retrieve", "match"} <= set(stages)
    assert any(s.rule.startswith("intent.target") for s in answer.trace or [])
    assert answer.reason is None


def test_refusal_carries_the_rule_that_refused(engine: AnswerEngine) -> None:
    answer = engine.answer("浙江省乡村振兴促进条例是哪天起施行的?", [])
    assert not answer.answered
    assert answer.reason == "gate.unknown_act"
    assert answer.trace and answer.trace[-1].rule == "gate.unknown_act"


def test_cli_ask_explain_json_has_trace_of_three_stages(built_settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PA_INDEX_DIR", str(built_settings.index_dir))
    monkeypatch.setenv("PA_DATA_DIR", str(built_settings.data_dir))
    result = CliRunner().invoke(cli_app, ["ask", "托位要新增多少个?", "--explain", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len({s["stage"] for s in data["trace"]}) >= 3
    plain = CliRunner().invoke(cli_app, ["ask", "托位要新增多少个?", "--json"])
    assert "trace" not in json.loads(plain.output)


def test_api_explain_returns_trace_and_reason(built_settings, real_service) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(built_settings, real_service, ui=False, warm=False)) as client:
        body = client.post("/v1/ask", json={"question": "浙江省乡村振兴促进条例是哪天起施行的?", "explain": True}).json()
        assert body["answered"] is False and body["reason"] == "gate.unknown_act"
        assert {"stage", "rule", "detail"} <= set(body["trace"][0])
        plain = client.post("/v1/ask", json={"question": "托位要新增多少个?"}).json()
        assert "trace" not in plain and plain["reason"] is None


def test_traditional_and_simplified_questions_get_the_same_answer(engine: AnswerEngine) -> None:
    for question in QUESTIONS[:10]:
        simp = engine.answer(question, [])
        trad = engine.answer(to_traditional(question), [])
        assert simp.answered == trad.answered, question
        assert [c.quote for c in simp.citations] == [c.quote for c in trad.citations], question


def test_concurrent_questions_get_exactly_the_sequential_answers(real_service) -> None:  # type: ignore[no-untyped-def]
    """Six threads asking thirty distinct questions at once, with a tiny thread switch interval so a
    shared per-request field would be overwritten mid-answer (it was: 2 of 600 answers went wrong)."""
    snap = real_service.snapshot
    engine = AnswerEngine(snap, real_service.retriever(snap), real_service.settings)
    sequential = {q: _same(engine.answer(q, [])) for q in QUESTIONS}
    results: dict[tuple[int, str], tuple] = {}  # type: ignore[type-arg]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            order = QUESTIONS[i * 5:] + QUESTIONS[:i * 5]  # each thread starts at another question
            for q in order:
                results[(i, q)] = _same(engine.answer(q, []))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors
    assert len(results) == 6 * len(QUESTIONS)
    wrong = [(i, q) for (i, q), got in results.items() if got != sequential[q]]
    assert wrong == []


def test_a_lone_surrogate_is_a_clear_4xx_not_a_500(built_settings, real_service) -> None:  # type: ignore[no-untyped-def]
    with TestClient(create_app(built_settings, real_service, ui=False, warm=False)) as client:
        for body in ('{"question": "\\ud800托位"}',
                     '{"question": "托位?", "history": [{"role": "user", "content": "\\udfff"}]}'):
            r = client.post("/v1/ask", content=body, headers={"content-type": "application/json"})
            assert 400 <= r.status_code < 500 and "error" in r.json()


def test_a_place_read_across_a_library_phrase_is_no_place() -> None:
    from policy_assistant.answer.pipeline import _inside_library_phrase

    library = {"平交道口", "开平交道口"}.__contains__
    assert _inside_library_phrase("开平", "申请在公路上开平交道口几天答复", lambda t: t == "平交道口")
    assert not _inside_library_phrase("开平", "开平市的乡村振兴目标", lambda t: False)
    assert not _inside_library_phrase("临平区", "临平区托位要新增多少个", library)
