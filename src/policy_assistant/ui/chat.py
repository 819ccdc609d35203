"""智能问答 tab: a chat that streams answers with collapsible citations, example questions and 👍/👎."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr

from ..errors import PolicyAssistantError
from ..models import Answer, Message
from .context import PageContext
from .format import answer_html
from .safe import shown, shown_lines

EXAMPLES = [
    "到2025年农村居民人均可支配收入目标是多少?",
    "到2025年要建成多少个和美乡村示范村?",
    "农村生活污水处理设施由哪个部门负责?",
    "2023年中央一号文件提出粮食产量要保持在多少?",
    "乡村振兴促进法什么时候开始施行?",
]
HISTORY_TURNS = 3  # earlier turns passed for follow-up questions ("那2027年呢？")
THINKING = "正在查找相关文件……"

# One turn: {"question": str, "answer": Answer as a dict, "message": index of the answer in the chat}
Turn = dict[str, Any]
ChatMessage = dict[str, Any]  # {"role", "content": str}
ChatOut = tuple[Any, list[ChatMessage], list[ChatMessage], list[Turn]]


def _history(turns: list[Turn]) -> list[Message]:
    out: list[Message] = []
    for t in turns[-HISTORY_TURNS:]:
        out.append(Message(role="user", content=t["question"]))
        out.append(Message(role="assistant", content=t["answer"]["answer"]))
    return out


def make_respond(ctx: PageContext) -> Any:
    """The streaming chat handler: (question, messages, turns) → (cleared box, chat, messages, turns).

    The messages live in a ``gr.State`` (plain strings) rather than being read back from the Chatbot,
    whose input value is Gradio's normalised form.
    """

    def respond(question: str, messages: list[ChatMessage], turns: list[Turn]) -> Iterator[ChatOut]:
        question = (question or "").strip()
        if not question:
            yield gr.update(), messages, messages, turns
            return
        messages = [*messages, {"role": "user", "content": question}, {"role": "assistant", "content": THINKING}]
        yield "", list(messages), list(messages), turns
        text = ""
        final: Answer | None = None
        try:
            for event in ctx.service.ask_stream(question, _history(turns)):
                if event["type"] == "delta":
                    text += event["text"]  # document text: shown inert while it streams, as in the final answer
                    messages[-1] = {"role": "assistant", "content": shown_lines(text)}
                    yield "", list(messages), list(messages), turns
                elif event["type"] == "answer":
                    final = event["answer"]
        except PolicyAssistantError as exc:
            messages[-1] = {"role": "assistant", "content": f"出错了：{shown(exc.message_zh)}"}
            yield "", list(messages), list(messages), turns
            return
        if final is not None:
            messages[-1] = {"role": "assistant", "content": answer_html(final)}
            turns = [*turns, {"question": question, "answer": final.model_dump(mode="json"),
                              "message": len(messages) - 1}]
        yield "", list(messages), list(messages), turns

    return respond


def make_rate(ctx: PageContext, liked: bool) -> Any:
    """Rate the latest answer (the 有帮助/没帮助 buttons under the chat)."""

    def rate(turns: list[Turn]) -> str:
        if not turns:
            return "还没有可评价的回答。"
        return _store(ctx, turns[-1], liked)

    return rate


def make_like(ctx: PageContext) -> Any:
    """Rate any answer with the thumbs shown under each chat message."""

    def like(turns: list[Turn], data: gr.LikeData) -> str:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = next((t for t in turns if t["message"] == index), None)
        if turn is None:
            return "只能评价助手的回答。"
        if data.liked is True or data.liked == "Like":
            return _store(ctx, turn, True)
        if data.liked is False or data.liked == "Dislike":
            return _store(ctx, turn, False)
        return "已取消评价。"  # a second click on the same thumb un-selects it

    return like


def _store(ctx: PageContext, turn: Turn, liked: bool) -> str:
    answer = Answer.model_validate(turn["answer"])
    try:
        version = ctx.service.health().get("index_version")
        ctx.feedback.record(turn["question"], answer, liked, index_version=version, source="page")
    except Exception:  # noqa: BLE001 - a failed rating must not break the chat
        return "评价未能保存，请稍后再试。"
    return "感谢您的评价，已记录（有帮助）。" if liked else "感谢您的反馈，已记录（没帮助），我们会据此改进。"


def build_chat_tab(ctx: PageContext) -> None:
    """Lay out the chat inside the current ``gr.Tab``."""
    turns = gr.State([])
    history = gr.State([])
    chatbot = gr.Chatbot(
        label="对话", elem_id="pa-chat", height=520, buttons=["copy"],
        placeholder="请在下方输入问题，或点击示例问题。答案均摘自已收录的政策文件，并注明出处。",
        feedback_options=("Like", "Dislike"),
    )
    with gr.Row(equal_height=True):
        box = gr.Textbox(
            show_label=False, placeholder="请输入问题，例如：到2025年农村居民人均可支配收入目标是多少？",
            elem_id="pa-question", scale=8, max_lines=4, autofocus=True,
        )
        send = gr.Button("发送", variant="primary", elem_id="pa-send", scale=1, min_width=90)
    gr.Markdown("**示例问题**（点击即可提问）：")
    with gr.Row():
        example_buttons = [gr.Button(q, size="sm", variant="secondary") for q in EXAMPLES]
    with gr.Row(equal_height=True):
        gr.Markdown("这个回答有帮助吗？（也可点击每条回答下方的赞/踩图标）")
        up = gr.Button("有帮助", size="sm", elem_id="pa-like")
        down = gr.Button("没帮助", size="sm", elem_id="pa-dislike")
        clear = gr.Button("清空对话", size="sm")
    note = gr.Markdown("", elem_id="pa-feedback-note")

    respond = make_respond(ctx)
    io: dict[str, Any] = {"inputs": [box, history, turns], "outputs": [box, chatbot, history, turns],
                          "concurrency_limit": 4, "concurrency_id": "ask"}
    box.submit(respond, **io)
    send.click(respond, **io)
    for button, question in zip(example_buttons, EXAMPLES, strict=True):
        button.click(lambda q=question: q, None, box, queue=False).then(respond, **io)
    up.click(make_rate(ctx, True), turns, note)
    down.click(make_rate(ctx, False), turns, note)
    chatbot.like(make_like(ctx), turns, note)
    clear.click(lambda: ([], [], [], ""), None, [chatbot, history, turns, note], queue=False)
    chatbot.clear(lambda: ([], [], ""), None, [history, turns, note], queue=False)  # the chat's own 🗑 icon
