"""智能问答 tab: a chat that streams answers figure-first, with collapsible sources, follow-ups, 👍/👎 with
a reason, a 原文查看 panel, and a conversation kept across reloads (per browser session) and exportable."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import Any

import gradio as gr

from ..answer.suggest import follow_ups
from ..errors import PolicyAssistantError
from ..models import Answer, Message
from .context import PageContext
from .conversations import SESSION_ID, browser_secret
from .export import export_docx, export_markdown
from .format import answer_markdown, source_messages, styled_piece
from .passage import EMPTY, SCROLL_JS, passage_html
from .safe import inert_md

EXAMPLES = [
    "到2025年农村居民人均可支配收入目标是多少?",
    "到2025年要建成多少个和美乡村示范村?",
    "农村生活污水处理设施由哪个部门负责?",
    "2023年中央一号文件提出粮食产量要保持在多少?",
    "乡村振兴促进法什么时候开始施行?",
]
HISTORY_TURNS = 3  # earlier turns passed for follow-up questions ("那2027年呢？")
THINKING = "正在查找相关文件……"
DISLIKE_REASONS = ["数字或事实不对", "出处不对", "没有回答我问的", "文件里有答案却说没有", "其他"]

# One turn: {"question", "answer": Answer as a dict, "message": index of the answer, "sources": [indices]}
Turn = dict[str, Any]
ChatMessage = dict[str, Any]  # {"role", "content": str, optional "metadata"/"options"}
ChatOut = tuple[Any, list[ChatMessage], list[ChatMessage], list[Turn]]


def _history(turns: list[Turn]) -> list[Message]:
    out: list[Message] = []
    for t in turns[-HISTORY_TURNS:]:
        out.append(Message(role="user", content=t["question"]))
        out.append(Message(role="assistant", content=t["answer"]["answer"]))
    return out


def user_message(question: str) -> ChatMessage:
    return {"role": "user", "content": inert_md(question)}


def turn_messages(question: str, answer: Answer, start: int, options: list[str] | None = None) -> tuple[list[ChatMessage], Turn]:
    """The chat messages of one exchange (question, answer, one collapsible message per source) and its turn."""
    reply: ChatMessage = {"role": "assistant", "content": answer_markdown(answer)}
    if options:
        reply["options"] = [{"value": q} for q in options]
    sources = source_messages(answer)
    messages = [user_message(question), reply, *sources]
    turn = {"question": question, "answer": answer.model_dump(mode="json"), "message": start + 1,
            "sources": list(range(start + 2, start + 2 + len(sources)))}
    return messages, turn


def make_respond(ctx: PageContext) -> Any:
    """The streaming chat handler: (question, messages, turns[, session]) → (cleared box, chat, messages, turns).

    The messages live in a ``gr.State`` (plain strings) rather than being read back from the Chatbot,
    whose input value is Gradio's normalised form. With a session id the exchange is kept (reloads show it).
    """

    def respond(question: str, messages: list[ChatMessage], turns: list[Turn], session: str = "") -> Iterator[ChatOut]:
        question = (question or "").strip()
        if not question:
            yield gr.update(), messages, messages, turns
            return
        start = len(messages)
        messages = [*messages, user_message(question), {"role": "assistant", "content": THINKING}]
        yield "", list(messages), list(messages), turns
        text = ""
        final: Answer | None = None
        history = _history(turns)
        try:
            for event in ctx.service.ask_stream(question, history):
                if event["type"] == "delta":
                    # document text: shown inert while it streams, laid out as in the final answer
                    text += styled_piece(event.get("part", "rest"), event["text"])
                    messages[-1] = {"role": "assistant", "content": text}
                    yield "", list(messages), list(messages), turns
                elif event["type"] == "answer":
                    final = event["answer"]
        except PolicyAssistantError as exc:
            messages[-1] = {"role": "assistant", "content": f"出错了：{inert_md(exc.message_zh)}"}
            yield "", list(messages), list(messages), turns
            return
        if final is None:
            return
        shown, turn = turn_messages(question, final, start)
        messages = [*messages[:start], *shown]
        turns = [*turns, turn]
        yield "", list(messages), list(messages), turns
        if SESSION_ID.match(session or ""):
            with contextlib.suppress(Exception):  # an answer is shown even when it cannot be kept
                ctx.conversations.add(session, question, turn["answer"])
        # 2–3 follow-ups from the cited section, each one the engine answers in this conversation
        asked = [*history, Message(role="user", content=question), Message(role="assistant", content=final.answer)]
        options = follow_ups(final, ctx.service.snapshot, lambda q: ctx.service.ask(q, asked[-2 * HISTORY_TURNS:]))
        if options:
            messages[start + 1] = {**messages[start + 1], "options": [{"value": q} for q in options]}
            yield "", list(messages), list(messages), turns

    return respond


def restore(ctx: PageContext, session: str) -> tuple[str, list[ChatMessage], list[ChatMessage], list[Turn]]:
    """On page load: this browser's session id (a new one the first time) and its earlier exchanges."""
    if not SESSION_ID.match(session or ""):
        session = secrets.token_hex(16)
    messages: list[ChatMessage] = []
    turns: list[Turn] = []
    try:
        kept = ctx.conversations.turns(session)
    except Exception:  # noqa: BLE001 - the page opens even when the store cannot be read
        kept = []
    for question, data in kept:
        try:
            answer = Answer.model_validate(data)
        except ValueError:
            continue
        shown, turn = turn_messages(question, answer, len(messages))
        messages += shown
        turns.append(turn)
    return session, messages, messages, turns


def _turn_at(turns: list[Turn], index: int) -> tuple[Turn, int] | None:
    """The turn whose answer or source message is at ``index``, and which source (0 = the first)."""
    for t in turns:
        if t["message"] == index:
            return t, 0
        if index in t.get("sources", []):
            return t, t["sources"].index(index)
    return None


def make_rate(ctx: PageContext, liked: bool) -> Any:
    """Rate the latest answer (the 有帮助/没帮助 buttons under the chat)."""

    def rate(turns: list[Turn]) -> tuple[str, Any, int | None]:
        if not turns:
            return "还没有可评价的回答。", gr.update(visible=False), None
        return _store(ctx, turns[-1], liked)

    return rate


def make_like(ctx: PageContext) -> Any:
    """Rate any answer with the thumbs shown under each chat message."""

    def like(turns: list[Turn], data: gr.LikeData) -> tuple[str, Any, int | None]:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        found = _turn_at(turns, index)
        if found is None:
            return "只能评价助手的回答。", gr.update(visible=False), None
        if data.liked is True or data.liked == "Like":
            return _store(ctx, found[0], True)
        if data.liked is False or data.liked == "Dislike":
            return _store(ctx, found[0], False)
        return "已取消评价。", gr.update(visible=False), None  # a second click on the same thumb un-selects it

    return like


def _store(ctx: PageContext, turn: Turn, liked: bool) -> tuple[str, Any, int | None]:
    """Keep the rating; a 👎 opens the reason box (returned: note, reason row update, rating id)."""
    answer = Answer.model_validate(turn["answer"])
    try:
        version = ctx.service.health().get("index_version")
        entry = ctx.feedback.record(turn["question"], answer, liked, index_version=version, source="page")
    except Exception:  # noqa: BLE001 - a failed rating must not break the chat
        return "评价未能保存，请稍后再试。", gr.update(visible=False), None
    if liked:
        return "感谢您的评价，已记录（有帮助）。", gr.update(visible=False), None
    return "感谢您的反馈，已记录（没帮助）。可以告诉我们哪里不对吗？", gr.update(visible=True), entry


def make_reason(ctx: PageContext) -> Any:
    """Keep the reason of a 👎 with its rating."""

    def reason(entry: int | None, choice: str | None, detail: str) -> tuple[str, Any, None, None, str]:
        said = "；".join(x for x in (choice or "", (detail or "").strip()) if x)
        if entry is None or not said:
            return "请选择或填写原因。", gr.update(), entry, choice, detail  # type: ignore[return-value]
        try:
            ctx.feedback.set_comment(entry, said)
        except Exception:  # noqa: BLE001
            return "原因未能保存，请稍后再试。", gr.update(), entry, choice, detail  # type: ignore[return-value]
        return "已记录原因，谢谢！我们会据此改进。", gr.update(visible=False), None, None, ""

    return reason


def make_show_passage(ctx: PageContext) -> Any:
    """原文查看: clicking an answer (its first source) or a source shows the cited passage in its section."""

    def show(turns: list[Turn], data: gr.SelectData) -> tuple[str, Any]:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        found = _turn_at(turns, index)
        if found is None:
            return gr.update(), gr.update()  # type: ignore[return-value]
        turn, which = found
        answer = Answer.model_validate(turn["answer"])
        if not answer.citations:
            return "<div class='pa-doc-empty'>这条回答没有引用原文。</div>", gr.update(open=True)
        return passage_html(ctx.service.snapshot, answer.citations[which], which + 1), gr.update(open=True)

    return show


def build_chat_tab(ctx: PageContext) -> tuple[gr.BrowserState, tuple[gr.Chatbot, gr.State, gr.State]]:
    """Lay out the chat inside the current ``gr.Tab``; returns the browser's session state and the chat's
    (chatbot, messages, turns), which the page fills on load with the session's earlier exchanges."""
    session = gr.BrowserState("", storage_key="pa-session", secret=browser_secret(ctx.settings.data_dir))
    turns = gr.State([])
    history = gr.State([])
    entry = gr.State(None)
    chatbot = gr.Chatbot(
        label="对话", elem_id="pa-chat", height="min(520px, 52vh)", buttons=["copy"],
        placeholder="请在下方输入问题，或点击示例问题。答案均摘自已收录的政策文件，并注明出处。",
        feedback_options=("Like", "Dislike"), latex_delimiters=[], sanitize_html=True,
    )
    with gr.Row(equal_height=True, elem_id="pa-ask-row"):
        box = gr.Textbox(
            show_label=False, placeholder="请输入问题，例如：到2025年农村居民人均可支配收入目标是多少？",
            elem_id="pa-question", scale=8, max_lines=4, autofocus=True,
        )
        send = gr.Button("发送", variant="primary", elem_id="pa-send", scale=1, min_width=72)
    with gr.Accordion("原文查看（点击对话中的回答或来源）", open=False, elem_id="pa-passage-box") as passage_box:
        passage = gr.HTML(EMPTY, elem_id="pa-passage")
    gr.Markdown("**示例问题**（点击即可提问）：", elem_classes=["pa-examples-title"])
    with gr.Row(elem_classes=["pa-examples"]):
        example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
    with gr.Row(equal_height=True):
        gr.Markdown("这个回答有帮助吗？（也可点击每条回答下方的赞/踩图标）")
        up = gr.Button("有帮助", size="sm", elem_id="pa-like")
        down = gr.Button("没帮助", size="sm", elem_id="pa-dislike")
        clear = gr.Button("清空对话", size="sm", elem_id="pa-clear")
    note = gr.Markdown("", elem_id="pa-feedback-note")
    with gr.Row(visible=False, elem_id="pa-reason") as reason_row:
        reason_choice = gr.Radio(DISLIKE_REASONS, label="哪里不对？", elem_id="pa-reason-choice")
        reason_text = gr.Textbox(label="补充说明（可选）", max_lines=3, elem_id="pa-reason-text")
        reason_send = gr.Button("提交原因", size="sm", elem_id="pa-reason-send")
    with gr.Row():
        md_button = gr.Button("导出对话（Markdown）", size="sm", elem_id="pa-export-md")
        docx_button = gr.Button("导出对话（Word）", size="sm", elem_id="pa-export-docx")
    exported = gr.File(label="导出文件", visible=False, elem_id="pa-export-file")

    respond = make_respond(ctx)
    io: dict[str, Any] = {"inputs": [box, history, turns, session], "outputs": [box, chatbot, history, turns],
                          "concurrency_limit": 4, "concurrency_id": "ask"}
    box.submit(respond, **io)
    send.click(respond, **io)
    for button, question in zip(example_buttons, EXAMPLES, strict=True):
        button.click(lambda q=question: q, None, box, queue=False).then(respond, **io)
    def pick(data: gr.SelectData) -> str:  # a suggested follow-up clicked: asked as typed
        return str(data.value)

    chatbot.option_select(pick, None, box, queue=False).then(respond, **io)
    rated = [note, reason_row, entry]
    up.click(make_rate(ctx, True), turns, rated)
    down.click(make_rate(ctx, False), turns, rated)
    chatbot.like(make_like(ctx), turns, rated)
    reason_send.click(make_reason(ctx), [entry, reason_choice, reason_text],
                      [note, reason_row, entry, reason_choice, reason_text])
    chatbot.select(make_show_passage(ctx), turns, [passage, passage_box]).then(None, None, None, js=SCROLL_JS)

    def forget(sid: str) -> tuple[list[Any], list[Any], list[Any], str, str]:
        if SESSION_ID.match(sid or ""):
            ctx.conversations.clear(sid)
        return [], [], [], "", EMPTY

    clear.click(forget, session, [chatbot, history, turns, note, passage], queue=False)
    chatbot.clear(lambda sid: forget(sid)[1:], session, [history, turns, note, passage], queue=False)  # 🗑 icon

    def export(kind: str) -> Any:
        def run(t: list[Turn]) -> Any:
            if not t:
                gr.Warning("还没有可导出的对话。")
                return gr.update(visible=False)
            path = (export_markdown if kind == "md" else export_docx)(t, ctx.settings.data_dir)
            return gr.update(value=str(path), visible=True)

        return run

    md_button.click(export("md"), turns, exported)
    docx_button.click(export("docx"), turns, exported)
    return session, (chatbot, history, turns)
