"""Shared types of the data flow: loaded text → sections → chunks → hits → answers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, Field


@dataclass
class LoadedText:
    """What a loader returns: the document's text and, when known, where each page starts."""

    text: str
    fmt: str
    page_starts: list[int] | None = None  # char offset where page i+1 starts
    encoding: str | None = None
    ocr_pages: dict[int, float] = field(default_factory=dict)  # page read by OCR → mean word confidence (0–100)

    def page_at(self, offset: int) -> int | None:
        """1-based page number of a character offset, or None when the format has no pages."""
        if not self.page_starts:
            return None
        page = 0
        for i, start in enumerate(self.page_starts):
            if offset >= start:
                page = i
            else:
                break
        return page + 1


@dataclass
class DocMeta:
    """Document-level metadata found in the text (all optional)."""

    title: str = ""
    issuer: str = ""
    date: str = ""  # ISO yyyy-mm-dd when parseable
    doc_number: str = ""  # 文号, e.g. 余政办〔2023〕29号
    addressees: list[str] = field(default_factory=list)
    script: Literal["traditional", "simplified"] = "simplified"


@dataclass
class Section:
    """A node of a document's outline. Offsets are into the document's original text."""

    sid: str  # stable id from the label path, e.g. "3.1.2" or "art5"
    level: int  # 0 = document root
    kind: str  # root | chapter | section | article | cn | paren_cn | num | paren_num | md
    label: str  # 三 / （一） / 1 / 第五条 / 第一章
    title: str  # heading text without the label (may be empty for articles)
    heading: str  # the heading as it reads, label and title: 三、全面提升區域承載能力
    start: int  # start of the heading line
    body_start: int  # start of the section's own body text
    end: int = 0  # end of the section (exclusive), children included
    parent: str | None = None
    children: list[Section] = field(default_factory=list)

    def walk(self) -> list[Section]:
        """This section and all descendants, document order."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass
class Document:
    """A registered document: its identity, metadata and where it came from."""

    doc_id: str
    filename: str
    source: str  # path the text was read from
    sha256: str
    fmt: str
    meta: DocMeta
    n_chars: int = 0
    n_sections: int = 0
    n_chunks: int = 0
    pages: int | None = None

    @property
    def title(self) -> str:
        return self.meta.title or self.filename

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["title"] = self.title
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Document:
        d = dict(d)
        d.pop("title", None)
        d["meta"] = DocMeta(**d["meta"])
        return cls(**d)


@dataclass
class Chunk:
    """A clause-level piece of a document under its full heading path."""

    chunk_id: str
    doc_id: str
    doc_title: str
    section_id: str
    section_path: list[str]  # headings from the top section down, original script
    norm_section_path: list[str]  # the same, normalised (Simplified, half-width)
    text: str  # original text, for display and quotes
    norm_text: str  # normalised text, for indexing and matching
    ordinal: int  # position in the document
    page: int | None = None
    start: int = 0  # offset of the chunk in the document text
    ocr: float | None = None  # the page was read by OCR: its mean word confidence (0–100)

    def embedding_text(self) -> str:
        """What the dense model sees: normalised title, heading path and body."""
        path = " > ".join(self.norm_section_path)
        return f"{path}\n{self.norm_text}" if path else self.norm_text

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        return cls(**d)


@dataclass
class Hit:
    """A retrieved chunk with its fused score and the retrievers' own ranks."""

    chunk: Chunk
    score: float
    dense_rank: int | None = None
    lexical_rank: int | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "title": c.doc_title,
            "section_path": c.section_path,
            "norm_section_path": c.norm_section_path,
            "page": c.page,
            "score": round(self.score, 6),
            "dense_rank": self.dense_rank,
            "lexical_rank": self.lexical_rank,
            "text": c.text,
        }


class Target(BaseModel):
    """One quantitative target found in a document."""

    target_id: str
    doc_id: str
    doc_title: str
    indicator: str  # normalised (Simplified) indicator name
    value: float
    value_text: str  # the figure as written, normalised: "5.7", "85.5", "1.3"
    unit: str  # 万元, %, 个, …
    comparator: str  # 达到 / 以上 / 左右 / 不少于 / 超过 / 下降…以上 / 稳定在 / 控制在 / 累计 / ""
    year: int | None = None  # target year when stated (到2025年 → 2025)
    scope: str = ""  # the time phrase as written: 到2025年 / 每年 / 十四五期间 / 2023年
    owners: list[str] = Field(default_factory=list)
    section_id: str
    section_path: list[str]
    norm_section_path: list[str]
    page: int | None = None
    chunk_id: str
    sentence: str  # exact source sentence, original script
    norm_sentence: str
    clause: str = ""  # the normalised clause that states the figure: 农村居民人均可支配收入达到5.7万元
    scope_sentence: str = ""  # the earlier sentence whose 到YYYY年 governs this one, when not this one
    # target: a figure to reach; history: a figure reached in the past (由2003年…提高到2022年, 用118天);
    # limit: a fine, a time limit or a threshold a rule sets (罚款…元, 24小时内)
    kind: Literal["target", "history", "limit"] = "target"

    def figure(self) -> str:
        """The figure as an official would say it: 5.7万元, 85%以上, 不少于11亿元."""
        core = f"{self.value_text}{self.unit}"
        c = self.comparator
        if c in ("以上", "左右", "以内", "以下"):
            return core + c
        if c in ("余", "多"):  # 200余名, 300多万户
            return f"{self.value_text}{c}{self.unit}"
        if c.startswith("下降") and c.endswith("以上"):
            return f"下降{core}以上"
        if c in ("不少于", "超过", "达到", "稳定在", "控制在", "不低于", "不超过", "累计", "下降", "提高", "增长"):
            return c + core
        return core


class Owner(BaseModel):
    """Who is responsible for what, as stated in a document."""

    doc_id: str
    doc_title: str
    owner: str  # the department or body, as written (normalised)
    task: str  # what it is responsible for (normalised)
    form: str  # 牵头 / 负责 / 由…负责 / 牵头单位 / 责任单位 / 主管部门 / 发文机关 / 主送 / 专班
    level: Literal["clause", "document"] = "clause"
    section_id: str
    section_path: list[str]
    norm_section_path: list[str]
    page: int | None = None
    chunk_id: str | None = None
    sentence: str
    source: Literal["text", "table"] = "text"  # a sentence of the text, or a row of a task table


class Duty(BaseModel):
    """One body's role in one task, as a document states it (a clause or a task-table row)."""

    doc_id: str
    doc_title: str
    actor: str  # the body, as written
    actors: list[str] = Field(default_factory=list)  # every body the same statement gives this role
    role: str  # 牵头 / 负责 / 配合 / 审批 / 监督 / 主管 / 应当 …
    task: str
    deadline: str = ""  # 完成时限 of a task table, or a time limit the clause states (…日内)
    source: Literal["clause", "table", "document"] = "clause"
    section_id: str
    section_path: list[str]
    page: int | None = None
    chunk_id: str | None = None
    quote: str


class Penalty(BaseModel):
    """A penalty provision: the act it punishes (the article it cites), who imposes it, the amount."""

    doc_id: str
    doc_title: str
    article: str = ""  # the article whose breach is punished: 第二十六条 (第一款)
    act: str = ""  # what is punished, as the provision says
    imposer: str = ""  # 由…责令/处罚
    amount_min: float | None = None  # yuan
    amount_max: float | None = None
    section_id: str
    section_path: list[str]
    page: int | None = None
    chunk_id: str
    quote: str


class Message(BaseModel):
    """One turn of a conversation."""

    role: Literal["user", "assistant", "system"]
    content: str


class Citation(BaseModel):
    """A numbered source of an answer."""

    doc_id: str
    title: str
    section_path: list[str]
    page: int | None = None
    quote: str
    score: float = 0.0
    chunk_id: str | None = None
    ocr: float | None = None  # the page was a scan read by OCR: its mean word confidence (0–100)

    def where(self) -> str:
        """The page, said as an official would check it: "第2页", or "扫描件第2页，OCR 识别（置信度 91%）"."""
        if self.page is None:
            return ""
        if self.ocr is None:
            return f"第{self.page}页"
        return f"扫描件第{self.page}页，OCR 识别（置信度 {self.ocr:.0f}%）"


class TraceStep(BaseModel):
    """One decision of the answer pipeline: which stage, which rule (a stable id), and what it saw."""

    stage: str
    rule: str
    detail: str = ""


class Answer(BaseModel):
    """The JSON contract shared by `ask --json`, /v1/ask, the page and WeCom."""

    question: str
    answer: str
    answered: bool
    headline: str = ""  # the answer's first line: figure and year, or the bodies named (answer/layout.py)
    citations: list[Citation] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    mode: Literal["extractive", "llm"] = "extractive"
    latency_ms: float = 0.0
    kind: str = "general"  # question kind the engine recognised
    resolved_question: str | None = None  # the follow-up rewritten against history, when it was
    reason: str | None = None  # on ``answered: false``: the stable id of the rule that refused
    trace: list[TraceStep] | None = None  # with ``explain``: every stage's decisions, in order
