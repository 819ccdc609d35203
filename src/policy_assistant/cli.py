"""Command line: ingest, search, ask, targets, serve, migrate, eval, wecom-push. Each command parses, calls the service, prints."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .config import Settings
from .errors import PolicyAssistantError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="policy_assistant: cited answers from Chinese policy documents.")


def _settings() -> Settings:
    return Settings()


def _service(settings: Settings | None = None) -> Any:
    from .service import PolicyService

    return PolicyService(settings or _settings())


def _fail(exc: PolicyAssistantError) -> None:
    typer.secho(f"错误 / error: {exc}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=2)


def _progress_bar() -> Any:
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        label = {"read": "读取/解析", "embed": "向量化"}.get(stage, stage)
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=label, unit="件" if stage == "read" else "段", file=sys.stderr, leave=False)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return progress


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the corpus folder).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Index documents (txt/md/html/docx/pdf); unchanged ones are not re-embedded."""
    settings = _settings()
    service = _service(settings)
    try:
        report = service.ingest(paths or [settings.corpus_dir], progress=None if json_out else _progress_bar())
    except PolicyAssistantError as exc:
        _fail(exc)
        return
    if json_out:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=1))
    else:
        typer.echo(
            f"文档 documents: {report.documents}  章节 sections: {report.sections}  片段 chunks: {report.chunks}  "
            f"新向量 embedded: {report.embedded}  用时 time: {report.seconds:.1f}s"
        )
        for label, items in (("新增 added", report.added), ("更新 updated", report.updated), ("删除 removed", report.removed)):
            if items:
                typer.echo(f"{label}: {', '.join(items)}")
        if not report.changed:
            typer.echo("索引已是最新 index is up to date (nothing re-embedded)")
    for name, err in report.failed:
        typer.secho(f"跳过 skipped {name}: {err}", fg=typer.colors.YELLOW, err=True)
    if report.failed and not report.documents:
        raise typer.Exit(code=1)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Question or keywords, Simplified or Traditional.")],
    k: Annotated[int, typer.Option("-k", help="Number of hits.")] = 5,
    json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """Hybrid search: hits with document title, section path, page, score and text."""
    service = _service()
    try:
        hits = service.search(query, k=k)
    except PolicyAssistantError as exc:
        _fail(exc)
        return
    if json_out:
        typer.echo(json.dumps([h.to_dict() for h in hits], ensure_ascii=False, indent=1))
        return
    for i, h in enumerate(hits, 1):
        page = f" p.{h.chunk.page}" if h.chunk.page else ""
        typer.secho(f"[{i}] {h.score:.4f}  {h.chunk.doc_title} › {' › '.join(h.chunk.section_path)}{page}", bold=True)
        typer.echo(f"    {h.chunk.text[:200]}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question.")],
    history: Annotated[Path | None, typer.Option("--history", help="JSON file: [{role, content}, ...].")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the JSON contract.")] = False,
    explain: Annotated[bool, typer.Option("--explain", help="Show the pipeline trace: every stage's rule and detail.")] = False,
) -> None:
    """Answer a question with numbered citations (extractive; LLM when PA_LLM_* is set)."""
    from .models import Message

    service = _service()
    try:
        turns = [Message(**m) for m in json.loads(history.read_text(encoding="utf-8"))] if history else []
        answer = service.ask(question, turns, explain=explain)
    except PolicyAssistantError as exc:
        _fail(exc)
        return
    except (ValueError, TypeError) as exc:
        typer.secho(f"错误 / error: bad history file: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from exc
    if json_out:
        typer.echo(answer.model_dump_json(indent=1, exclude=None if explain else {"trace"}))
        return
    from .answer.layout import citation_title, label, plain_text

    typer.echo(plain_text(answer))
    if explain:
        typer.echo("\n推理过程 / trace：")
        for step in answer.trace or []:
            typer.echo(f"  {step.stage:<10} {step.rule:<32} {step.detail[:160]}")
        if answer.reason:
            typer.echo(f"  拒答原因 / reason: {answer.reason}")
    if answer.citations:
        typer.echo(f"\n{label('来源', answer)}：")
        for i, c in enumerate(answer.citations, 1):
            page = f"（{c.where()}）" if c.page else ""
            typer.echo(f"[{i}] {citation_title(c, answer)} {' › '.join(c.section_path)}{page}\n"
                       f"    {label('原文', answer)}：“{c.quote[:160]}”")


@app.command()
def targets(
    year: Annotated[int | None, typer.Option("--year", help="Target year, e.g. 2025.")] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="Keyword, e.g. 托位.")] = None,
    doc: Annotated[str | None, typer.Option("--doc", help="Document id or part of its title.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="CSV output.")] = False,
    kind: Annotated[str, typer.Option("--kind", help="target (figures to reach), history, limit, or all.")] = "target",
) -> None:
    """List the targets ledger (indicator, figure, year, section, source sentence)."""
    if kind not in ("target", "history", "limit", "all"):
        typer.secho("错误 / error: --kind is one of target, history, limit, all", fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2)
    service = _service()
    try:
        items = service.targets(year=year, query=query, doc=doc, kind=kind)
    except PolicyAssistantError as exc:
        _fail(exc)
        return
    if json_out:
        typer.echo(json.dumps([t.model_dump() for t in items], ensure_ascii=False, indent=1))
    elif csv_out:
        from .knowledge.export import targets_csv

        sys.stdout.write(targets_csv(items))  # same escaping as the API's CSV download
    else:
        for t in items:
            year_s = f"{t.year}年" if t.year else (t.scope or "—")
            typer.echo(f"{year_s:<10} {t.indicator[:24]:<26} {t.figure():<16} {' › '.join(t.norm_section_path)[-40:]}")
        typer.echo(f"共 {len(items)} 条 / {len(items)} targets")


@app.command()
def duties(
    doc: Annotated[str | None, typer.Option("--doc", help="Document id or part of its title.")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="Part of a department's name, e.g. 农业农村局.")] = None,
    role: Annotated[str | None, typer.Option("--role", help="牵头, 配合, 负责, 审批, 监督, …")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="CSV output.")] = False,
) -> None:
    """List the duties ledger (责任清单): department, role, task, deadline, section, quote."""
    service = _service()
    try:
        items = service.duties(doc=doc, actor=actor, role=role)
    except PolicyAssistantError as exc:
        _fail(exc)
        return
    if json_out:
        typer.echo(json.dumps([d.model_dump() for d in items], ensure_ascii=False, indent=1))
    elif csv_out:
        from .knowledge.export import DUTY_COLUMNS, duty_row, table_csv

        sys.stdout.write(table_csv(DUTY_COLUMNS, (duty_row(d) for d in items)))
    else:
        for d in items:
            due = f"（{d.deadline}）" if d.deadline else ""
            typer.echo(f"{d.actor[:22]:<24} {d.role:<4} {d.task[:40]}{due}  [{' › '.join(d.section_path)[-24:]}]")
        typer.echo(f"共 {len(items)} 条 / {len(items)} duties")


@app.command()
def penalties(
    doc: Annotated[str | None, typer.Option("--doc", help="Document id or part of its title.")] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="Words of the act, e.g. 倾倒.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="JSON output.")] = False,
) -> None:
    """List the penalty provisions: article breached, act, who imposes, fine range."""
    service = _service()
    try:
        items = service.penalties(doc=doc, query=query)
    except PolicyAssistantError as exc:
        _fail(exc)
        return
    if json_out:
        typer.echo(json.dumps([p.model_dump() for p in items], ensure_ascii=False, indent=1))
        return
    for p in items:
        amount = "—" if p.amount_max is None else f"{p.amount_min or 0:g}–{p.amount_max:g}元"
        typer.echo(f"{' › '.join(p.section_path)[-10:]:<10} 违反{p.article or '—':<10} {p.act[:28]:<30} {amount}")
    typer.echo(f"共 {len(items)} 条 / {len(items)} penalties")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
    workers: Annotated[int, typer.Option(help="Worker processes (see docs/deployment.md: several share a Milvus server).")] = 1,
) -> None:
    """Serve the web page, REST API and WeCom callbacks; builds the index first if there is none."""
    settings = _settings()
    if workers > 1 and settings.store.strip().lower() == "milvus" and settings.milvus_uri.endswith(".db"):
        typer.secho(
            "错误 / error: Milvus Lite (PA_MILVUS_URI=*.db) is opened by one process only: use --workers 1, "
            "or point PA_MILVUS_URI at a Milvus server (http://host:19530) to run several workers",
            fg=typer.colors.RED, err=True,
        )
        raise typer.Exit(code=2)
    service = _service(settings)
    report = service.ensure_index(progress=_progress_bar())
    if report is not None:
        typer.echo(f"索引已建立 index built: {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f}s")
    try:
        from .api.app import run_server
    except ImportError:  # pragma: no cover - until the API lands
        typer.echo("index ready; the web service is not available in this build")
        return
    run_server(settings, host or settings.host, port or settings.port, workers=workers)


@app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", help="Target store: milvus (PA_MILVUS_URI, PA_DATABASE_URL).")] = "milvus",
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Copy the FAISS index (PA_INDEX_DIR) into Milvus and the registry, without re-embedding."""
    if to.strip().lower() != "milvus":
        raise typer.BadParameter("only --to milvus is supported (FAISS is built by `ingest` with PA_STORE=faiss)")
    from .index.shared import migrate_from_faiss

    settings = _settings().model_copy(update={"store": "milvus"})
    try:
        report = migrate_from_faiss(settings)
    except PolicyAssistantError as exc:
        _fail(exc)
        return
    if json_out:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=1))
        return
    typer.echo(
        f"已迁移 migrated: {report['documents']} documents, {report['chunks']} chunks → "
        f"{report['collection']} ({report['rows']} rows), re-embedded 0, {report['seconds']:.1f}s"
    )
    typer.echo("now run with PA_STORE=milvus")


@app.command("eval")
def eval_(
    file: Annotated[Path, typer.Argument(help="Question file (JSON Lines, see evals/README.md).")] = Path("evals/qa.jsonl"),
    out: Annotated[Path, typer.Option("--out", help="Report folder.")] = Path("eval-out"),
    mode: Annotated[str, typer.Option("--mode", help="extractive (offline default) or llm (needs PA_LLM_*).")] = "extractive",
    baseline: Annotated[bool, typer.Option("--baseline/--no-baseline", help="Score the splitter+FAISS+BM25 baseline side by side.")] = True,
    min_fact_accuracy: Annotated[float | None, typer.Option(help="Fail below this fact accuracy.")] = None,
    min_hit5: Annotated[float | None, typer.Option("--min-hit5", help="Fail below this section hit@5.")] = None,
    min_refusal_accuracy: Annotated[float | None, typer.Option(help="Fail below this refusal accuracy.")] = None,
    max_numeric_violations: Annotated[int | None, typer.Option(help="Fail above this many numeric violations.")] = None,
) -> None:
    """Evaluate answers and retrieval on a question file; write results.jsonl, report.md and report.html."""
    from .eval.report import summary_lines
    from .eval.runner import Thresholds, evaluate

    bar = _progress_bar()
    thresholds = Thresholds(min_fact_accuracy, min_hit5, min_refusal_accuracy, max_numeric_violations)
    try:
        outcome = evaluate(_settings(), file, out, mode=mode, baseline=baseline, thresholds=thresholds,
                           progress=lambda done, total: bar("问答 eval", done, total))
    except PolicyAssistantError as exc:
        _fail(exc)
        return
    for line in summary_lines(outcome.run):
        typer.echo(line)
    typer.echo(f"report: {out / 'report.md'}  {out / 'report.html'}  {out / 'results.jsonl'}")
    for miss in outcome.missed:
        typer.secho(f"threshold missed: {miss}", fg=typer.colors.RED, err=True)
    if outcome.missed:
        raise typer.Exit(code=1)


@app.command("wecom-push")
def wecom_push(
    text: Annotated[str | None, typer.Argument(help="Markdown text to push to the group robot.")] = None,
    digest_year: Annotated[int | None, typer.Option("--digest", help="Instead of text, push the targets due in this year.")] = None,
    webhook: Annotated[str | None, typer.Option(help="Webhook URL (default PA_WECOM_WEBHOOK_URL).")] = None,
) -> None:
    """Push a markdown message (≤ 4096 bytes) to a WeCom group robot, e.g. a digest of this year's targets."""
    from .wecom.format import format_targets_digest
    from .wecom.webhook import push_markdown

    settings = _settings()
    try:
        if digest_year is not None:
            text = format_targets_digest(_service(settings).targets(year=digest_year), digest_year)
        if not text:
            raise typer.BadParameter("give TEXT or --digest YEAR")
        push_markdown(webhook or settings.wecom_webhook_url, text)
    except PolicyAssistantError as exc:
        _fail(exc)
        return
    typer.echo("已推送 pushed")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
