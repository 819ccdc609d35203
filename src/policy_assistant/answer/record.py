"""The per-request record every answer stage reads and writes, with its explain trace.

One record is made for each question (and each retry of it); no stage keeps request state anywhere
else, so concurrent requests cannot see each other's state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..models import Answer, Hit, Message, TraceStep
from .compose import Citations, refusal
from .question import Question


@dataclass
class AskRecord:
    """What is known about one question as it goes through the stages."""

    question: str  # as typed
    history: list[Message]
    top_k: int | None = None
    resolved: str = ""  # the question to answer (rewritten against the history, typos fixed)
    in_conversation: bool = False  # ``resolved`` was rewritten against the history
    previous_docs: set[str] | None = None  # documents the last exchange was about
    script: str = "simplified"
    q: Question | None = None
    doc_ids: set[str] | None = None  # documents the question names
    followup_docs: set[str] | None = None  # documents a follow-up stays with
    query: str = ""  # what the retriever searches for
    resolved_query_extra: str = ""  # library words recut from glued pieces, added to the search
    hits: list[Hit] = field(default_factory=list)
    cites: Citations | None = None
    answer: Answer | None = None
    trace: list[TraceStep] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.resolved:
            self.resolved = self.question

    @property
    def note(self) -> str | None:
        """The reading of the question to show the asker, when it differs from what was typed."""
        return self.resolved if self.resolved != self.question else None

    @property
    def done(self) -> bool:
        """True once a stage has settled the answer (a refusal at a gate, or the final answer)."""
        return self.answer is not None

    def log(self, stage: str, rule: str, detail: str = "") -> None:
        """Record a decision that changes the answer: ``(stage, rule id, what it saw)``."""
        self.trace.append(TraceStep(stage=stage, rule=rule, detail=detail))

    def refuse(self, stage: str, rule: str, message: str) -> None:
        """Settle the answer as a refusal by ``rule`` (its id is the answer's ``reason``)."""
        kind = self.q.kind if self.q else "general"
        self.answer = refusal(self.question, self.script, message, kind=kind, resolved=self.note, rule=rule)
        self.log(stage, rule, message)
