"""Owners ledger: who is responsible for what, per clause (X牵头, 由X负责, X负责…, 牵头单位：, X应当…)
and at document level (issuer, addressees, the 专班, lead departments in 保障措施/组织领导)."""

from __future__ import annotations

import re

from ..ingest.normalise import normalise_line
from ..models import Chunk, Document, Owner, Section
from .clauses import chunk_sentences
from .tables import table_owners

# a responsible body: ends with one of these
_BODY = r"(?:单位和个人|组织和个人|主管部门|有关部门|相关部门|部门|人民政府|政府|委员会|常委会|办公室|办公厅|办事处|专班|领导小组|局|委|厅|办|中心|单位|机构|公司|组织|法院|检察院|国务院|中共中央|党委|村民委员会|居民委员会|机关|企业|个人|村民|农户|排水户|经营者)"
_BODY_END = re.compile(_BODY + r"$")
# a named body inside a sentence (a qualifier of 2+ characters, then the kind of body)
BODY_RE = re.compile(r"[\u4e00-\u9fff()（）]{2,}(?:主管部门|人民政府|委员会|办公室|办事处|专班|农业农村局|发改局|[^\s，,。；;]{1,8}局|厅)")
# a body named by itself ("村民应当…"), without a qualifier before it
_BARE = r"(?:村民|农户|居民|排水户|经营者|运维单位|建设单位|施工单位|各地)"
# one body, then any alternatives joined to it ("乡镇人民政府或者县（市、区）主管部门"), then a defined name
# in brackets ("（以下统称排水户）")
_BARE_WHOLE = re.compile(_BARE)
_QUALIFIED = re.compile(r"^[^，,。；;]{2,}的(" + _BARE + r")$")
_ONE = r"(?:[\u4e00-\u9fff、()（）和及与]{2,60}?" + _BODY + r"|" + _BARE + r")"
_SUBJECT = (r"(?P<who>" + _ONE + r"(?:(?:或者|以及)[\u4e00-\u9fff、()（）]{1,40}?" + _BODY + r")*)"
            r"(?P<alias>\([^()]{0,20}\))?")
# a body that must agree: a meeting counts ("经村民会议或者村民代表会议讨论同意")
_AGREER = r"(?P<who>[\u4e00-\u9fff、()（）和及与]{2,40}?(?:" + _BODY[3:-1] + r"|会议))(?:\([^()]{0,20}\))?"
_PATTERNS = [
    # "县农业农村局是本县农村生活垃圾分类工作的主管部门，负责…"
    ("主管部门", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"是(?P<task>[^。；;]{2,60}?主管部门[^。；;]*)")),
    ("牵头单位", re.compile(r"牵头单位[:：]\s*(?P<who>[^。；;\n]+)")),
    ("责任单位", re.compile(r"责任单位[:：]\s*(?P<who>[^。；;\n]+)")),
    # "由X负责/组织编制/评定…": any duty the body is given
    ("由…负责", re.compile(r"由" + _SUBJECT + r"[，,]?(?P<task>[\u4e00-\u9fff][^。；;]*)")),
    # "（二）农家乐、民宿等经营场所，由经营者负责": a person or operator, the task before it
    ("由…负责", re.compile(r"由(?P<who>[\u4e00-\u9fff]{1,8}?(?:者|人))负责(?P<task>[^。；;]*)")),
    # "乡镇人民政府按照…规定的职责，负责…": the duty follows a qualifying phrase
    ("负责", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"(?:按照|根据|依照|依据)[^。；;]{0,40}?[，,]\s*(?:具体)?负责(?P<task>[^。；;]*)")),
    ("负责", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"(?:按照|根据|依照|依据)[^。；;，,]{0,30}?(?:对|做好|实施|开展)(?P<task>[^。；;]*)")),
    # "…等有关部门按照各自职责，做好…相关工作"
    ("负责", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"(?:按照|根据|依照|依据)[^。；;]{0,40}?[，,]\s*(?:做好|实施|开展)(?P<task>[^。；;]*)")),
    ("牵头", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"(?:牵头|会同[^，,。]{2,30}?牵头)(?P<task>[^。；;]*)")),
    ("负责", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"(?:具体)?负责(?P<task>[^。；;]*)")),
    # "X应当…", "覆盖范围内的村民…单位和个人，应当…", "X接到报告后，应当…": the duty after a comma or a 后-clause
    ("应当", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"(?:[，,]|[^，,。；;]{2,24}?[后时的][，,])?\s*应当(?P<task>[^。；;]*)")),
    # "县（市、区）人民政府可以决定由…": a body that decides who does it
    ("决定", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"(?:可以)?决定(?P<task>由[^。；;]*)")),
    # "县综合行政执法局依法查处…违法行为", "县农业农村局指导…": the body and its duty verb, no 负责
    ("负责", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"(?:依法|按照规定)?(?P<task>(?:查处|监督检查|组织实施|统筹协调|指导|审核|核查|组织开展)[^。；;]*)")),
    # "各地、各部门要高质高效抓好各项任务落实": a plan's 要 is its 应当
    ("应当", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"要(?!求)(?P<task>[^。；;]*)")),
    # "运维单位不得擅自停运…", "任何单位或者个人不得…": a prohibition is a duty too
    ("不得", re.compile(r"(?:^|[，,。；;])" + _SUBJECT + r"不得(?P<task>[^。；;]*)")),
]
# who approves or must agree: "报县（市、区）人民政府审批", "经县农业农村局商县生态环境分局同意"; the task
# is what the sentence says before it
_APPROVALS = [
    ("审批", re.compile(r"报(?:经)?" + _SUBJECT + r"(?P<verb>批准|审批|核准|审核|审定|同意)")),
    ("同意", re.compile(r"(?<![已未])经" + _AGREER + r"[^，,。；;]{0,30}?(?:同意|批准|审批|审核|核准)")),
]
_LABEL = re.compile(r"^\s*第[一二三四五六七八九十百零]+条\s*")  # the article's number opening its first sentence
_ITEM = re.compile(r"^\s*[（(][一二三四五六七八九十\d]+[）)]")
_NOT_SUBJECT = re.compile(r"^(?:按照|根据|对|在|建立|健全|完善|加强|推进|实行|坚持|实施|鼓励|支持)")
_LEAD_SECTION = re.compile(r"保障措施|组织领导|组织实施|组织保障|工作要求")
_TASK_FORCE = re.compile(r"成立(?P<who>[^，,。]{4,80}?(?:工作专班|专班|领导小组))")


def split_owners(who: str) -> list[str]:
    """"区农业农村局、区发改局" → two owners; a phrase with 等有关部门 or a shared prefix stays whole."""
    who = who.strip(" ，,、")
    if re.search(r"等(?:有关|相关)?部门$", who) or "按照" in who:
        return [who]
    # "村民以及其他…单位和个人", "乡镇人民政府或者县（市、区）主管部门": each body its own duty
    wide = [p.strip(" ，,、") for p in re.split(r"以及|或者", who) if p.strip(" ，,、")]
    if len(wide) > 1 and not who.startswith(("任何", "其他")) and all(_BODY_END.search(p) and len(p) >= 2 for p in wide):
        return [q for p in wide for q in split_owners(p)]
    parts = [p.strip() for p in re.split(r"[、和及与]", who) if p.strip()]
    if len(parts) > 1 and all((_BODY_END.search(p) and len(p) >= 3) or _BARE_WHOLE.fullmatch(p) for p in parts):
        return parts
    # "污水处理设施覆盖范围内的村民": the body is the villager; what qualifies it is the duty's condition
    qualified = _QUALIFIED.match(who)
    return [qualified.group(1) if qualified else who]


def extract_owners(document: Document, root: Section, chunks: list[Chunk]) -> list[Owner]:
    """Clause-level and document-level owners of one document."""
    out: list[Owner] = []
    seen: set[tuple[str, str, str]] = set()

    def add(owner: str, task: str, form: str, level: str, chunk: Chunk | None, sentence: str) -> None:
        owner = owner.strip(" ，,、：:")
        key = (owner, task[:40], chunk.chunk_id if chunk else "")
        if not owner or key in seen:
            return
        seen.add(key)
        out.append(Owner(
            doc_id=document.doc_id, doc_title=document.title, owner=owner, task=task.strip(" ，,"), form=form,
            level=level,  # type: ignore[arg-type]
            section_id=chunk.section_id if chunk else "root",
            section_path=chunk.section_path if chunk else [],
            norm_section_path=chunk.norm_section_path if chunk else [],
            page=chunk.page if chunk else None, chunk_id=chunk.chunk_id if chunk else None, sentence=sentence,
        ))

    meta = document.meta
    first = chunks[0] if chunks else None
    if meta.issuer:
        add(normalise_line(meta.issuer), "发文/制定本文件", "发文机关", "document", first, meta.issuer)
    for addressee in meta.addressees:
        add(addressee, "贯彻落实本文件（主送单位）", "主送", "document", first, "、".join(meta.addressees))

    for chunk in chunks:
        in_lead_section = any(_LEAD_SECTION.search(h) for h in chunk.norm_section_path)
        for sent in chunk_sentences(chunk):
            m = _TASK_FORCE.search(sent.norm)
            if m:
                add(m.group("who"), sent.norm[m.end():].strip(" ，,。") or "统筹协调", "专班", "document", chunk, sent.text)
            for form, pattern in _PATTERNS:
                for m in pattern.finditer(sent.norm):
                    who = m.group("who")
                    task = re.sub(r"^负责", "", m.groupdict().get("task") or "")
                    if not task.strip(" ，,；;。"):  # "…经营场所，由经营者负责": the task comes first
                        task = _ITEM.sub("", sent.norm[:m.start()]).strip(" ，,")
                        task = sent.lead + task  # "…管理责任人按照下列规定确定:" + "农家乐、民宿等经营场所"
                    who = re.sub(r"^(?:并|由|应|要|同时|其中|以及)", "", _LABEL.sub("", who))
                    if len(who) < 2 or _NOT_SUBJECT.match(who) or "领导、" in who:
                        continue
                    level = "document" if in_lead_section and form in ("牵头", "负责", "应当") else "clause"
                    # "…的单位和个人以及…的单位和个人（以下统称排水户）": one class of bodies described and defined as one
                    # (named bodies defined together, "乡（镇）人民政府、街道办事处（以下统称…）", stay apart)
                    named_as_one = "的" in who and "统称" in (m.groupdict().get("alias") or "")
                    for owner in [who] if named_as_one else split_owners(who):
                        add(owner, task, form, level, chunk, sent.text)
            if sent.lead and not any(p.search(sent.norm) for _, p in _APPROVALS):
                # "有下列情形之一的，应当经X同意：（一）埋设管道、电缆的；": each item needs the lead's approval
                for form, pattern in _APPROVALS:
                    for m in pattern.finditer(sent.lead):
                        who = _LABEL.sub("", m.group("who"))
                        if len(who) < 2 or _NOT_SUBJECT.match(who):
                            continue
                        verb = m.groupdict().get("verb")
                        item = _ITEM.sub("", sent.norm).strip(" ，,；;。")
                        for owner in split_owners(who):
                            add(owner, item, "同意" if verb == "同意" else form, "clause", chunk,
                                f"{sent.lead}……{sent.text}")
            for form, pattern in _APPROVALS:
                for m in pattern.finditer(sent.norm):
                    who = m.group("who")
                    if len(who) < 2 or _NOT_SUBJECT.match(who):
                        continue
                    who = _LABEL.sub("", who)
                    task = _LABEL.sub("", sent.norm[:m.start()]).strip(" ，,") or sent.norm[m.end():].strip(" ，,。")
                    verb = m.groupdict().get("verb")
                    for owner in split_owners(who):
                        add(owner, task, "同意" if verb == "同意" else form, "clause", chunk, sent.text)
    out.extend(table_owners(document, chunks))  # 重点任务分工表: lead and cooperating bodies per row
    return out
