"""Evaluation report: results.jsonl, summary.json, plots (matplotlib, Agg), report.md and report.html."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from .runner import KS, RANK_DEPTH, EvalRun, QuestionResult

PLOTS = ("metrics_by_kind.png", "retrieval_vs_baseline.png", "latency.png")
_FAILURE_ORDER = (
    "answered an unanswerable question",
    "refused an answerable question",
    "expected facts missing",
    "figure not in any citation",
    "expected section not in top 5",
)

Block = tuple[Any, ...]  # ("h", level, text) | ("p", text) | ("img", [(file, alt)]) | ("table", head, rows) | ("ul", items)


def write_report(run: EvalRun, out_dir: Path) -> list[Path]:
    """Write every artefact of ``run`` into ``out_dir`` (created when missing).

    Returns:
        The files written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "results.jsonl", out_dir / "summary.json", out_dir / "report.md", out_dir / "report.html"]
    with written[0].open("w", encoding="utf-8") as fh:
        for r in run.results:
            fh.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
    summary = {"file": run.file, "mode": run.mode, "info": run.info, "summary": run.summary,
               "by_kind": run.by_kind, "by_style": run.by_style, "warnings": run.warnings}
    written[1].write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    plots = write_plots(run, out_dir)
    blocks = report_blocks(run, [p.name for p in plots])
    written[2].write_text(to_markdown(blocks), encoding="utf-8")
    written[3].write_text(to_html(blocks, out_dir, title=f"Evaluation — {Path(run.file).name}"), encoding="utf-8")
    return written + plots


# ----- plots -----------------------------------------------------------------------------
def write_plots(run: EvalRun, out_dir: Path) -> list[Path]:
    """Metric bars by kind, ours vs baseline retrieval (when scored), latency histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths: list[Path] = []
    kinds = list(run.by_kind)
    series = [
        ("fact accuracy", [run.by_kind[k]["fact_accuracy"] for k in kinds]),
        ("section hit@5", [run.by_kind[k]["hit@5"] for k in kinds]),
        ("refusal behaviour correct", [_refusal_correct(run.by_kind[k]) for k in kinds]),
    ]
    fig, ax = plt.subplots(figsize=(10, 4.2))
    width = 0.26
    for j, (label, values) in enumerate(series):
        xs = [i + (j - 1) * width for i in range(len(kinds))]
        bars = ax.bar(xs, [v or 0.0 for v in values], width, label=label)
        for bar, v in zip(bars, values, strict=True):
            if v is not None:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.01, f"{v:.2f}", ha="center", fontsize=7)
    ax.set_xticks(range(len(kinds)), [f"{k}\n(n={run.by_kind[k]['n']})" for k in kinds])
    ax.set_ylim(0, 1.12)
    ax.set_title("Metrics by question kind (refusal: unanswerable refused / answerable answered)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8)
    paths.append(_save(fig, out_dir / PLOTS[0]))

    s = run.summary
    if s["baseline_mrr"] is not None:
        labels = [*(f"hit@{k}" for k in KS), f"MRR@{RANK_DEPTH}"]
        ours = [s[f"common_hit@{k}"] for k in KS] + [s["common_mrr"]]
        base = [s[f"baseline_hit@{k}"] for k in KS] + [s["baseline_mrr"]]
        fig, ax = plt.subplots(figsize=(7, 3.8))
        for j, (label, values) in enumerate((("policy_assistant", ours), ("baseline", base))):
            bars = ax.bar([i + (j - 0.5) * 0.38 for i in range(len(labels))], values, 0.38, label=label)
            for bar, v in zip(bars, values, strict=True):
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height() + 0.01, f"{v:.2f}", ha="center", fontsize=8)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_ylim(0, 1.12)
        ax.set_title("Retrieval, ours vs baseline (chunk in expected section span or holding every fact)")
        ax.title.set_fontsize(9)
        ax.legend(loc="lower right", fontsize=8)
        paths.append(_save(fig, out_dir / PLOTS[1]))

    latencies = [r.answer.latency_ms for r in run.results]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.hist(latencies, bins=30, color="#4c72b0")
    for q, style in (("latency_p50_ms", "--"), ("latency_p95_ms", ":")):
        if s[q] is not None:
            ax.axvline(s[q], color="black", linestyle=style, label=f"{q[8:11]} {s[q]:.0f} ms")
    ax.set_xlabel("ask latency (ms, warm, in-process)")
    ax.set_ylabel("questions")
    ax.set_title("Answer latency")
    ax.legend(fontsize=8)
    paths.append(_save(fig, out_dir / PLOTS[2]))
    return paths


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path


def _refusal_correct(s: dict[str, Any]) -> float | None:
    if s["n_unanswerable"] and not s["n_answerable"]:
        return s["refusal_accuracy"]
    if s["false_refusal_rate"] is not None and not s["n_unanswerable"]:
        return 1.0 - s["false_refusal_rate"]
    return None


# ----- content ---------------------------------------------------------------------------
def summary_lines(run: EvalRun) -> list[str]:
    """The headline figures, one per line, as the CLI prints them."""
    s, info = run.summary, run.info
    lines = [
        f"questions {s['n']} (answerable {s['n_answerable']}, unanswerable {s['n_unanswerable']})  "
        f"mode {run.mode}  index {info.get('index_version')}  model {info.get('embedding_model')}",
        f"fact accuracy       {_f(s['fact_accuracy'])}   owner accuracy {_f(s['owner_accuracy'])}",
        f"refusal accuracy    {_f(s['refusal_accuracy'])}   false-refusal rate {_f(s['false_refusal_rate'])}",
        f"numeric violations  {s['numeric_violations']}  (strict, counting figures the user typed or of a named "
        f"document title: {s['numeric_violations_strict']})",
        f"retrieval, expected section (n={s['n_section']}): "
        + "  ".join(f"hit@{k} {_f(s[f'hit@{k}'])}" for k in KS) + f"  MRR@{RANK_DEPTH} {_f(s['mrr'])}",
        f"latency p50 {_f(s['latency_p50_ms'], 0)} ms  p95 {_f(s['latency_p95_ms'], 0)} ms",
    ]
    if s["baseline_mrr"] is not None:
        lines += [
            f"side by side, chunk in expected section span or holding every fact (n={s['n_answerable']}):",
            "  ours      " + _retrieval_row(s, "common_"),
            "  baseline  " + _retrieval_row(s, "baseline_"),
            f"  ours/baseline  hit@5 {_x(s['ratio_hit@5'])}  MRR {_x(s['ratio_mrr'])}",
        ]
    return lines


def _retrieval_row(s: dict[str, Any], prefix: str) -> str:
    return "  ".join(f"hit@{k} {_f(s[f'{prefix}hit@{k}'])}" for k in KS) + f"  MRR {_f(s[f'{prefix}mrr'])}"


def report_blocks(run: EvalRun, plot_files: list[str]) -> list[Block]:
    """The report as a list of blocks, rendered to Markdown and to HTML."""
    s, info = run.summary, run.info
    blocks: list[Block] = [
        ("h", 1, f"Evaluation report — {Path(run.file).name}"),
        ("img", [(f, f.removesuffix(".png").replace("_", " ")) for f in plot_files]),
        ("p", f"{s['n']} questions, mode **{run.mode}**{' (' + str(info['llm_model']) + ')' if info.get('llm_model') else ''}, "
              f"index `{info.get('index_version')}` ({info.get('documents')} documents, {info.get('chunks')} chunks), "
              f"model `{info.get('embedding_model')}`, run {info.get('started')} in {info.get('seconds')} s."),
        ("h", 2, "Headline"),
        ("table", ["metric", "value", "over"], [
            ["fact accuracy", _f(s["fact_accuracy"]), f"{s['n_answerable']} answerable"],
            ["owner accuracy", _f(s["owner_accuracy"]), f"{run.by_kind.get('owner', {}).get('n', 0)} owner questions"],
            ["refusal accuracy", _f(s["refusal_accuracy"]), f"{s['n_unanswerable']} unanswerable"],
            ["false-refusal rate", _f(s["false_refusal_rate"]), f"{s['n_answerable']} answerable"],
            ["numeric faithfulness violations", str(s["numeric_violations"]), f"{s['n']} answers"],
            ["… strict: also figures the user typed or of a named title", str(s["numeric_violations_strict"]), f"{s['n']} answers"],
            *[[f"section hit@{k}", _f(s[f"hit@{k}"]), f"{s['n_section']} with a section"] for k in KS],
            [f"section MRR@{RANK_DEPTH}", _f(s["mrr"]), f"{s['n_section']} with a section"],
            ["latency p50 / p95 (ms)", f"{_f(s['latency_p50_ms'], 0)} / {_f(s['latency_p95_ms'], 0)}", f"{s['n']} answers"],
        ]),
    ]
    if s["baseline_mrr"] is not None:
        head = ["retriever", *(f"hit@{k}" for k in KS), f"MRR@{RANK_DEPTH}"]
        blocks += [
            ("h", 2, "Retrieval: ours vs baseline"),
            ("p", "Both retrievers are scored on the same (resolved) questions with one criterion: a chunk hits when it "
                  "comes from the expected document and either lies in the expected section's text span (overlap at "
                  "least half of the shorter of chunk and section) or contains every expected fact group. "
                  f"Baseline: LangChain recursive splitter (250/50, Chinese separators, {info.get('baseline_chunks')} "
                  "chunks), the same embedding model in FAISS, jieba BM25, fused 0.5/0.5."),
            ("table", head, [
                ["policy_assistant", *(_f(s[f"common_hit@{k}"]) for k in KS), _f(s["common_mrr"])],
                ["baseline", *(_f(s[f"baseline_hit@{k}"]) for k in KS), _f(s["baseline_mrr"])],
                ["ours / baseline", "", "", _x(s["ratio_hit@5"]), _x(s["ratio_mrr"])],
            ]),
        ]
    blocks += [
        ("h", 2, "By kind"),
        _group_table(run.by_kind, "kind"),
        ("h", 2, "By style"),
        _group_table(run.by_style, "style"),
    ]
    blocks += _failure_blocks(run.results)
    blocks += [
        ("h", 2, "How it is measured"),
        ("ul", [
            "Every question goes through `PolicyService.ask` with its history, as the API does.",
            "Fact accuracy: every expected fact group has an alternative in the answer text, both sides converted "
            "Traditional→Simplified and full→half width (NFKC); answerable questions only.",
            "Refusal accuracy: unanswerable questions answered with `answered: false`; the false-refusal rate is "
            "the share of answerable questions answered with `answered: false`.",
            "Numeric faithfulness: answers stating a figure found in none of their citations "
            "(`answer.verify.unsupported_figures`). Not counted: a figure the user typed (question, resolved "
            "question, earlier user turns; “25年”/“十四五末” read as the year they name) that the answer repeats, as in "
            "“文件没有设定2030年的目标”, and the figures "
            "of a corpus document title the answer names verbatim, as in an uncited refusal naming "
            "《…实施方案(2023-2027年)》. The strict count, with those, is shown beside it.",
            f"Section retrieval: `PolicyService.search(resolved question, k={RANK_DEPTH})`; a hit is a chunk of the "
            "expected document whose heading labels lie under the expected section or an alternative (an article "
            "matches without its chapter); document-level questions have no section and are not scored here.",
            "Latency: `Answer.latency_ms`, measured in-process after a warm-up.",
        ]),
    ]
    if run.warnings:
        blocks += [("h", 2, "Warnings"), ("ul", run.warnings)]
    return blocks


def _group_table(groups: dict[str, dict[str, Any]], name: str) -> Block:
    head = [name, "n", "fact acc.", "refusal acc.", "false refusals", "numeric viol.", "hit@5", f"MRR@{RANK_DEPTH}", "p50 ms"]
    rows = [
        [k, str(g["n"]), _f(g["fact_accuracy"]), _f(g["refusal_accuracy"]), _f(g["false_refusal_rate"]),
         str(g["numeric_violations"]), _f(g["hit@5"]), _f(g["mrr"]), _f(g["latency_p50_ms"], 0)]
        for k, g in groups.items()
    ]
    return ("table", head, rows)


def _failure_blocks(results: list[QuestionResult]) -> list[Block]:
    failed = [r for r in results if r.failures]
    blocks: list[Block] = [("h", 2, f"Failures ({len(failed)} of {len(results)} questions)")]
    for cause in _FAILURE_ORDER:
        group = [r for r in failed if r.failures[0] == cause]
        if not group:
            continue
        blocks.append(("h", 3, f"{cause} ({len(group)})"))
        rows = [[r.item.id, r.item.kind, _question(r), _expected(r), _got(r)] for r in group]
        blocks.append(("table", ["id", "kind", "question", "expected", "got"], rows))
    return blocks


def _question(r: QuestionResult) -> str:
    q = r.item.question
    if r.query != q:
        q += f" → {r.query}"
    return q


def _expected(r: QuestionResult) -> str:
    it = r.item
    if not it.answerable:
        return "refusal"
    facts = " + ".join("/".join(g) for g in it.expected_facts)
    where = f"{it.doc_id} › {it.expected_section}" if it.expected_section else f"{it.doc_id} (document level)"
    missing = r.metrics["facts_missing"]
    extra = f"; missing: {' + '.join('/'.join(g) for g in missing)}" if missing else ""
    return f"{facts} @ {where}{extra}"


def _got(r: QuestionResult) -> str:
    a = r.answer
    text = a.answer.replace("\n", " ")
    parts = [f"{'answered' if a.answered else 'refused'} ({a.kind}): {text[:220]}{'…' if len(text) > 220 else ''}"]
    if r.metrics["unsupported_figures"]:
        parts.append(f"figures not in citations: {', '.join(r.metrics['unsupported_figures'])}")
    if r.metrics["hit@5"] is False:
        top = "; ".join(f"{h.chunk.doc_id[:12]} › {'/'.join(h.chunk.norm_section_path)[-30:] or '(preamble)'}" for h in r.hits[:3])
        parts.append(f"top hits: {top}")
    return " — ".join(parts)


# ----- rendering -------------------------------------------------------------------------
def to_markdown(blocks: list[Block]) -> str:
    """Render blocks as GitHub Markdown (images by relative file name)."""
    out: list[str] = []
    for b in blocks:
        if b[0] == "h":
            out.append(f"{'#' * b[1]} {b[2]}")
        elif b[0] == "p":
            out.append(b[1])
        elif b[0] == "img":
            out.append("\n".join(f"![{alt}]({f})" for f, alt in b[1]))
        elif b[0] == "ul":
            out.append("\n".join(f"- {item}" for item in b[1]))
        elif b[0] == "table":
            head, rows = b[1], b[2]
            lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def _md_cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def to_html(blocks: list[Block], out_dir: Path, title: str) -> str:
    """Render blocks as one self-contained HTML page (plots inlined as data URIs)."""
    body: list[str] = []
    for b in blocks:
        if b[0] == "h":
            body.append(f"<h{b[1]}>{html.escape(b[2])}</h{b[1]}>")
        elif b[0] == "p":
            body.append(f"<p>{_inline(b[1])}</p>")
        elif b[0] == "img":
            for f, alt in b[1]:
                data = base64.b64encode((out_dir / f).read_bytes()).decode("ascii")
                body.append(f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">')
        elif b[0] == "ul":
            body.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b[1]) + "</ul>")
        elif b[0] == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b[1])
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in b[2])
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    style = (
        "body{font-family:system-ui,'PingFang SC','Microsoft YaHei',sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px;"
        "vertical-align:top;text-align:left}th{background:#f3f3f3}img{max-width:100%;margin:.5em 0;display:block}"
    )
    return (
        f"<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _inline(text: str) -> str:
    """Escape, then render the two Markdown marks the report uses: **bold** and `code`."""
    import re

    out = html.escape(text)
    out = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", out)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", out)


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"
