"""What each message changes against the message it relates to (pure code).

A response is compared with the request it answers on its hop, a relayed request with what the
proxy received, an ACK or CANCEL with its INVITE, a re-INVITE with the last session description
its sender gave in the dialog, a NOTIFY with the subscription's previous NOTIFY, another request
in a dialog with its sender's previous request there. Differences are SIP-aware (a To tag
appearing, a Via pushed or popped, Max-Forwards going down, SDP directions offered and answered)
and each carries the rule that explains it: a few words in English and Chinese and the section
of RFC 3261 or 3264 that says so. The sentences live here, beside the rules that pick them, so
every view (the step page, exports, quizzes) explains a difference the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .analysis import TARGET_REFRESH, FlowAnalysis, FlowMessage
from .message import SdpLine, SipMessage, parse_name_addr, parse_params, split_top_level

ANSWERS, RELAYS, ACKNOWLEDGES, CANCELS = "answers", "relays", "acknowledges", "cancels"
UPDATES, NOTIFIES_AGAIN, FOLLOWS = "updates", "notifies-again", "follows"
ADDED, REMOVED, CHANGED = "added", "removed", "changed"

# What a step is compared with, said before the step's label.
RELATIONS: dict[str, dict[str, str]] = {
    ANSWERS: {"en": "Compared with the request it answers", "zh": "对比它所应答的请求"},
    RELAYS: {"en": "Compared with what the proxy received", "zh": "对比代理收到的消息"},
    ACKNOWLEDGES: {"en": "Compared with the INVITE it acknowledges", "zh": "对比它所确认的 INVITE"},
    CANCELS: {"en": "Compared with the INVITE it cancels", "zh": "对比它所取消的 INVITE"},
    UPDATES: {
        "en": "Compared with the sender's last session description in this dialog",
        "zh": "对比发送方在此对话中上一次给出的会话描述",
    },
    NOTIFIES_AGAIN: {
        "en": "Compared with the subscription's previous NOTIFY",
        "zh": "对比该订阅的上一个 NOTIFY",
    },
    FOLLOWS: {
        "en": "Compared with the sender's previous request in this dialog",
        "zh": "对比发送方在此对话中的上一个请求",
    },
}

# rule: (where it is said, English, Chinese)
RULES: dict[str, tuple[str, str, str]] = {
    "provisional": (
        "RFC 3261 §8.2.6",
        "A provisional response: the request is being handled; a final response follows.",
        "临时响应：请求正在处理中，随后还会有最终响应。",
    ),
    "success": (
        "RFC 3261 §8.2.6",
        "A final 2xx response: the request succeeded.",
        "2xx 最终响应：请求成功。",
    ),
    "failure": (
        "RFC 3261 §8.2.6",
        "A final response that refuses or redirects the request.",
        "拒绝或重定向该请求的最终响应。",
    ),
    "retargeted": (
        "RFC 3261 §16.5",
        "The proxy put the address the user is reachable at in the Request-URI.",
        "代理把用户实际可达的地址填入了 Request-URI。",
    ),
    "remote-target": (
        "RFC 3261 §12.2.1.1",
        "A request in a dialog goes to the remote target: the peer's Contact.",
        "对话内的请求发往远端目标，即对方的 Contact。",
    ),
    "ack-method": (
        "RFC 3261 §17.1.1.3",
        "An ACK keeps the INVITE's Call-ID, From and CSeq number; only the method is ACK.",
        "ACK 沿用 INVITE 的 Call-ID、From 和 CSeq 序号，只是方法变为 ACK。",
    ),
    "ack-2xx-uri": (
        "RFC 3261 §13.2.2.4",
        "The ACK of a 2xx is sent in the dialog, to the Contact the 2xx gave.",
        "对 2xx 的 ACK 在对话内发送，发往 2xx 给出的 Contact。",
    ),
    "cancel-method": (
        "RFC 3261 §9.1",
        "A CANCEL copies the INVITE's Request-URI, Call-ID, To, From, CSeq number and top Via.",
        "CANCEL 复制 INVITE 的 Request-URI、Call-ID、To、From、CSeq 序号和顶层 Via。",
    ),
    "method-changed": (
        "RFC 3261 §12.2.1.1",
        "A new request in the dialog, with a method of its own.",
        "对话内的一个新请求，使用它自己的方法。",
    ),
    "via-pushed": (
        "RFC 3261 §16.6 item 8",
        "The proxy put its own Via on top, so the responses come back through it.",
        "代理在顶部加上自己的 Via，使响应经它原路返回。",
    ),
    "via-popped": (
        "RFC 3261 §16.7 item 3",
        "The proxy removed its own Via, the top one, before passing the response on.",
        "代理在转发响应前去掉了顶部属于自己的 Via。",
    ),
    "via-received": (
        "RFC 3261 §18.2.1",
        "received= records the address the request really came from.",
        "received= 记录请求实际来自的地址。",
    ),
    "via-new-branch": (
        "RFC 3261 §8.1.1.7",
        "A new transaction, so a new branch.",
        "新的事务，因此使用新的 branch。",
    ),
    "via-ack-2xx": (
        "RFC 3261 §13.2.2.4",
        "The ACK of a 2xx is a transaction of its own, with a new branch.",
        "对 2xx 的 ACK 是一个独立的事务，使用新的 branch。",
    ),
    "to-tag-added": (
        "RFC 3261 §8.2.6.2",
        "The UAS adds its tag to To; with Call-ID and the From tag it names the dialog.",
        "UAS 在 To 中加上自己的标签；它与 Call-ID 和 From 标签一起标识对话。",
    ),
    "to-tag-ack": (
        "RFC 3261 §17.1.1.3",
        "The ACK's To is that of the response it acknowledges, tag included.",
        "ACK 的 To 与它所确认的响应相同，包括标签。",
    ),
    "to-tag-dialog": (
        "RFC 3261 §12.2.1.1",
        "In the dialog, To carries the peer's tag.",
        "在对话内，To 携带对方的标签。",
    ),
    "to-tag-changed": (
        "RFC 3261 §12.1.1",
        "A different tag: another UAS answers, so another dialog.",
        "标签不同：另一个 UAS 在应答，因此是另一个对话。",
    ),
    "cseq-next": (
        "RFC 3261 §12.2.1.1",
        "A new request in the dialog takes its sender's next CSeq number.",
        "对话内的新请求使用发送方的下一个 CSeq 序号。",
    ),
    "max-forwards-down": (
        "RFC 3261 §16.6 item 3",
        "Each proxy lowers Max-Forwards by one; at zero the request is refused (483).",
        "每个代理把 Max-Forwards 减一；减到零时请求被拒绝（483）。",
    ),
    "record-route-added": (
        "RFC 3261 §16.6 item 4",
        "The proxy asks to stay on the path of every later request in the dialog.",
        "代理要求留在对话后续所有请求的路径上。",
    ),
    "record-route-back": (
        "RFC 3261 §12.1.2",
        "The Record-Route the proxies added comes back in the response: the route set.",
        "代理加入的 Record-Route 随响应返回，构成路由集。",
    ),
    "route-popped": (
        "RFC 3261 §16.4",
        "The proxy was the first Route entry: it removed it before forwarding.",
        "代理是第一个 Route 条目：它在转发前将其去掉。",
    ),
    "route-set": (
        "RFC 3261 §12.2.1.1",
        "Requests in the dialog carry the route set, learnt from Record-Route, in Route.",
        "对话内的请求在 Route 中携带由 Record-Route 得到的路由集。",
    ),
    "contact-uas": (
        "RFC 3261 §12.1.1",
        "The UAS's own Contact: where requests in the dialog will go.",
        "UAS 自己的 Contact：对话内的请求将发往这里。",
    ),
    "contact-changed": (
        "RFC 3261 §12.2",
        "A new Contact: the remote target for later requests changes.",
        "新的 Contact：后续请求的远端目标随之改变。",
    ),
    "response-copies": (
        "RFC 3261 §8.2.6.2",
        "A response copies only Via, From, To, Call-ID and CSeq from its request.",
        "响应只从请求复制 Via、From、To、Call-ID 和 CSeq。",
    ),
    "header-added": ("", "Added by the sender of this message.", "由本消息的发送方加入。"),
    "header-removed": ("", "Not carried in this message.", "本消息中没有这个头字段。"),
    "header-changed": ("", "A different value.", "取值不同。"),
    "proxy-header": (
        "RFC 3261 §16.6 item 5",
        "A proxy may add header fields when it forwards a request.",
        "代理转发请求时可以加入头字段。",
    ),
    "content-length": (
        "RFC 3261 §20.14",
        "Content-Length counts the bytes of this message's own body.",
        "Content-Length 计算本消息自身消息体的字节数。",
    ),
    "subscription-state": (
        "RFC 6665 §4.1.3",
        "The notifier reports the subscription's new state.",
        "通知方报告订阅的新状态。",
    ),
    "sipfrag": (
        "RFC 3515 §2.4.5",
        "The message/sipfrag body gives the status the referred request has reached.",
        "message/sipfrag 消息体给出被引用请求所到达的状态。",
    ),
    "body-changed": ("", "The body is different.", "消息体不同。"),
    "sdp-absent": (
        "RFC 3261 §13.2.1",
        "No session description here: the offer or answer travels in another message.",
        "这里没有会话描述：offer 或 answer 在另一条消息中传送。",
    ),
    "sdp-late-offer": (
        "RFC 3261 §13.2.1",
        "The request had no offer, so the response makes one; the ACK answers it.",
        "请求中没有 offer，因此由响应给出 offer，ACK 给出 answer。",
    ),
    "sdp-answerer": (
        "RFC 3264 §6",
        "The answer is the other party's: its own origin, address and port.",
        "answer 来自对方：它自己的 o= 行、地址和端口。",
    ),
    "sdp-version-up": (
        "RFC 3264 §8",
        "A changed offer keeps the o= line and raises its version by one.",
        "修改后的 offer 保留 o= 行，只把版本号加一。",
    ),
    "sdp-address-changed": (
        "RFC 3264 §8.3.1",
        "The media now goes to a different address or port.",
        "媒体改为发往不同的地址或端口。",
    ),
    "sdp-hold-zero": (
        "RFC 3264 §8.4",
        "c= 0.0.0.0 is the old way (RFC 2543) of putting the other side on hold.",
        "c= 0.0.0.0 是（RFC 2543 中）让对方保持的旧方法。",
    ),
    "sdp-port-zero-answer": (
        "RFC 3264 §6",
        "Port 0 in the answer rejects this media stream.",
        "answer 中端口为 0 表示拒绝这路媒体流。",
    ),
    "sdp-port-zero": (
        "RFC 3264 §8.2",
        "Port 0 removes this media stream from the session.",
        "端口为 0 表示从会话中移除这路媒体流。",
    ),
    "sdp-formats-answer": (
        "RFC 3264 §6.1",
        "The answer lists the offered formats the answerer accepts.",
        "answer 列出应答方接受的、offer 中提供的格式。",
    ),
    "sdp-formats": (
        "RFC 3264 §8.3.2",
        "The set of media formats changes.",
        "媒体格式集合发生变化。",
    ),
    "sdp-stream-added": (
        "RFC 3264 §8.1",
        "A media stream is added to the session.",
        "会话中新增一路媒体流。",
    ),
    "sdp-answer-recvonly": (
        "RFC 3264 §6.1",
        "An offer to send only is answered with recvonly (or inactive).",
        "仅发送（sendonly）的 offer 须以 recvonly（或 inactive）应答。",
    ),
    "sdp-answer-sendonly": (
        "RFC 3264 §6.1",
        "An offer to receive only is answered with sendonly (or inactive).",
        "仅接收（recvonly）的 offer 须以 sendonly（或 inactive）应答。",
    ),
    "sdp-answer-direction": (
        "RFC 3264 §6.1",
        "To a sendrecv offer the answerer may pick any direction.",
        "对 sendrecv 的 offer，应答方可以选择任意方向。",
    ),
    "sdp-hold": (
        "RFC 3264 §8.4",
        "sendonly: the offerer puts the stream on hold and will only send.",
        "sendonly：提议方把媒体流置于保持，只发送不接收。",
    ),
    "sdp-inactive": (
        "RFC 3264 §8.4",
        "inactive: no media in either direction.",
        "inactive：双向都没有媒体。",
    ),
    "sdp-resume": (
        "RFC 3264 §8.4",
        "Back to sendrecv: media flows both ways again.",
        "恢复为 sendrecv：媒体重新双向流动。",
    ),
    "sdp-recvonly": (
        "RFC 3264 §5.1",
        "recvonly: the offerer will only receive.",
        "recvonly：提议方只接收。",
    ),
    "sdp-line": (
        "RFC 3264 §8",
        "A line of the session description differs.",
        "会话描述中的一行不同。",
    ),
}

RFC_SECTION = re.compile(r"RFC (\d+) §([\d.]+)")
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
RESPONSE_COPIES = {"Via", "From", "To", "Call-ID", "CSeq", "Record-Route"}


@dataclass(frozen=True)
class Difference:
    part: str  # "Via", "To", "Request-URI", "SDP m=audio", ...
    change: str  # added | removed | changed
    before: str | None
    after: str | None
    rule: str

    @property
    def why(self) -> dict[str, str]:
        _, en, zh = RULES[self.rule]
        return {"en": en, "zh": zh}

    @property
    def where(self) -> str:
        return RULES[self.rule][0]

    @property
    def where_url(self) -> str | None:
        """The RFC Editor's page at the section: "RFC 3261 §16.6 item 8" -> ...#section-16.6."""
        match = RFC_SECTION.match(self.where)
        if not match:
            return None
        return f"https://www.rfc-editor.org/rfc/rfc{match[1]}#section-{match[2]}"


@dataclass(frozen=True)
class Comparison:
    relation: str
    label: str  # the step compared with
    differences: tuple[Difference, ...]

    @property
    def relation_text(self) -> dict[str, str]:
        return RELATIONS[self.relation]


def flow_comparisons(analysis: FlowAnalysis) -> dict[str, Comparison]:
    """Each message step's comparison with the message it relates to."""
    comparisons = {}
    for msg in analysis.messages:
        related = related_message(analysis, msg)
        if related is not None:
            relation, other = related
            comparisons[msg.label] = Comparison(
                relation, other.label, tuple(differences(other, msg, relation))
            )
    return comparisons


def related_message(analysis: FlowAnalysis, msg: FlowMessage) -> tuple[str, FlowMessage] | None:
    """What a message is best understood against, and how it relates to it."""
    if msg.is_response:
        if msg.request is not None:
            return ANSWERS, msg.request
        return (RELAYS, msg.received) if msg.received else None
    if msg.received is not None:
        return RELAYS, msg.received
    method = msg.sip.method
    earlier = analysis.before(msg)
    if method in ("ACK", "CANCEL"):
        invite = _invite_of(msg, earlier)
        if invite is not None:
            return (ACKNOWLEDGES if method == "ACK" else CANCELS), invite
    if not msg.to_tag:
        return None
    # The sender's messages in the dialog, the request that set it up included.
    in_dialog = [
        m
        for m in earlier
        if m.call_id == msg.call_id
        and m.author_tag == msg.author_tag
        and m.peer_tag in (msg.peer_tag, None)
    ]
    if method in ("INVITE", "UPDATE") and msg.sip.body and msg.sip.body.sdp:
        offers = [m for m in in_dialog if m.sip.body and m.sip.body.sdp and m.received is None]
        if offers:
            return UPDATES, offers[-1]
    if method == "NOTIFY":
        notifies = [m for m in in_dialog if m.sip.method == "NOTIFY" and m.sender == msg.sender]
        if notifies:
            return NOTIFIES_AGAIN, notifies[-1]
    requests = [
        m
        for m in in_dialog
        if m.is_request and m.sip.method not in ("ACK", "CANCEL") and m.sender == msg.sender
    ]
    return (FOLLOWS, requests[-1]) if requests else None


def _invite_of(msg: FlowMessage, earlier: list[FlowMessage]) -> FlowMessage | None:
    """The INVITE an ACK or CANCEL goes with: same sender, Call-ID and CSeq number; a CANCEL
    and the ACK of a refused INVITE also share its top Via (RFC 3261 §9.1, §17.1.1.3)."""
    invites = [
        m
        for m in earlier
        if m.is_request
        and m.sip.method == "INVITE"
        and m.sender == msg.sender
        and m.call_id == msg.call_id
        and m.number == msg.number
    ]
    same_hop = [m for m in invites if m.vias[:1] == msg.vias[:1]]
    candidates = same_hop or invites
    return candidates[-1] if candidates else None


# --- Differences ----------------------------------------------------------------------------


def differences(before: FlowMessage, after: FlowMessage, relation: str) -> list[Difference]:
    """What `after` changes against `before`, header by header and SDP line by line.

    Against a session description given in a response, only the descriptions compare: the
    response's headers speak for the other direction of the dialog.
    """
    if relation == UPDATES and before.is_response:
        return _bodies(before.sip, after.sip, relation)
    found = _start_line(before.sip, after.sip, relation)
    names = _header_names(before.sip) + [
        n for n in _header_names(after.sip) if n not in _header_names(before.sip)
    ]
    for name in names:
        found += _header(name, _values(before.sip, name), _values(after.sip, name), relation, after)
    return _uncopied_together(found) + _bodies(before.sip, after.sip, relation)


def _uncopied_together(found: list[Difference]) -> list[Difference]:
    """The headers a response does not copy from its request, said once for all of them."""
    uncopied = [d for d in found if d.rule == "response-copies"]
    if len(uncopied) < 2:
        return found
    together = Difference(
        ", ".join(d.part for d in uncopied), REMOVED, None, None, uncopied[0].rule
    )
    at = found.index(uncopied[0])
    rest = [d for d in found if d.rule != "response-copies"]
    return rest[:at] + [together] + rest[at:]


def _header_names(sip: SipMessage) -> list[str]:
    return list(dict.fromkeys(h.name for h in sip.headers))


def _values(sip: SipMessage, name: str) -> list[str]:
    return [" ".join(v.split()) for v in sip.header_values(name)]


def _start_line(before: SipMessage, after: SipMessage, relation: str) -> list[Difference]:
    if after.kind == "response" and before.kind == "request":
        code = after.status_code or 0
        rule = "provisional" if code < 200 else "success" if code < 300 else "failure"
        return [Difference("Status line", CHANGED, before.start_line, after.start_line, rule)]
    found = []
    if after.kind == "request" and before.kind == "request":
        if after.method != before.method:
            rule = {ACKNOWLEDGES: "ack-method", CANCELS: "cancel-method"}.get(
                relation, "method-changed"
            )
            found.append(Difference("Method", CHANGED, before.method, after.method, rule))
        if after.request_uri != before.request_uri:
            rule = {RELAYS: "retargeted", ACKNOWLEDGES: "ack-2xx-uri"}.get(
                relation, "remote-target"
            )
            found.append(
                Difference("Request-URI", CHANGED, before.request_uri, after.request_uri, rule)
            )
    return found


def _header(
    name: str, old: list[str], new: list[str], relation: str, msg: FlowMessage
) -> list[Difference]:
    if old == new:
        return []
    special = {
        "Via": _via,
        "To": _to,
        "CSeq": _cseq,
        "Max-Forwards": _max_forwards,
        "Record-Route": _record_route,
        "Route": _route,
        "Contact": _contact,
    }.get(name)
    if special is not None:
        found = special(old, new, relation, msg)
        if found is not None:
            return found
    return _generic(name, old, new, relation)


def _generic(name: str, old: list[str], new: list[str], relation: str) -> list[Difference]:
    before, after = ", ".join(old) or None, ", ".join(new) or None
    if relation == ANSWERS and not new and name not in RESPONSE_COPIES:
        return [Difference(name, REMOVED, before, None, "response-copies")]
    if name == "Content-Length":
        return [Difference(name, CHANGED, before, after, "content-length")]
    if name == "Subscription-State":
        return [Difference(name, _change(old, new), before, after, "subscription-state")]
    if relation == RELAYS and not old:
        return [Difference(name, ADDED, None, after, "proxy-header")]
    rule = {ADDED: "header-added", REMOVED: "header-removed"}.get(
        _change(old, new), "header-changed"
    )
    return [Difference(name, _change(old, new), before, after, rule)]


def _change(old: list[str], new: list[str]) -> str:
    return ADDED if not old else REMOVED if not new else CHANGED


def _via(
    old: list[str], new: list[str], relation: str, msg: FlowMessage
) -> list[Difference] | None:
    if len(new) == len(old) + 1 and new[1:] == old:
        return [Difference("Via", ADDED, None, new[0], "via-pushed")]
    if len(new) + 1 == len(old) and new == old[1:]:
        return [Difference("Via", REMOVED, old[0], None, "via-popped")]
    found = []
    offset = len(new) - len(old) if relation == RELAYS and len(new) > len(old) else 0
    if offset:
        found.append(Difference("Via", ADDED, None, new[0], "via-pushed"))
    for was, now in zip(old, new[offset:], strict=False):
        if was == now:
            continue
        rule = _via_rule(was, now, relation, msg)
        if rule == "via-received":  # only the parameter is new: say just that
            received = f"received={_params(now)['received']}"
            found.append(Difference("Via", CHANGED, None, received, rule))
        else:
            found.append(Difference("Via", CHANGED, was, now, rule))
    return found


def _via_rule(was: str, now: str, relation: str, msg: FlowMessage) -> str:
    old_params, new_params = _params(was), _params(now)
    if old_params.get("branch") != new_params.get("branch"):
        return "via-ack-2xx" if relation == ACKNOWLEDGES else "via-new-branch"
    if "received" in new_params and "received" not in old_params:
        return "via-received"
    return "header-changed"


def _params(value: str) -> dict[str, str | None]:
    return parse_params(";".join(split_top_level(value, ";")[1:]))


def _to(old: list[str], new: list[str], relation: str, msg: FlowMessage) -> list[Difference] | None:
    if not old or not new:
        return None
    was_tag = parse_name_addr(old[0]).params.get("tag")
    now_tag = parse_name_addr(new[0]).params.get("tag")
    if was_tag == now_tag:
        return None
    if was_tag is None:
        rule = {ACKNOWLEDGES: "to-tag-ack", ANSWERS: "to-tag-added", RELAYS: "to-tag-added"}.get(
            relation, "to-tag-dialog"
        )
        return [Difference("To tag", ADDED, None, now_tag, rule)]
    return [Difference("To tag", CHANGED, was_tag, now_tag, "to-tag-changed")]


def _cseq(
    old: list[str], new: list[str], relation: str, msg: FlowMessage
) -> list[Difference] | None:
    if relation in (ACKNOWLEDGES, CANCELS):
        return []  # said with the method, which is the only change
    if msg.number is not None and old and old[0].split()[0].isdigit():
        if msg.number > int(old[0].split()[0]):
            return [Difference("CSeq", CHANGED, old[0], new[0], "cseq-next")]
    return None


def _max_forwards(
    old: list[str], new: list[str], relation: str, msg: FlowMessage
) -> list[Difference] | None:
    if relation == RELAYS and old and new and old[0].isdigit() and new[0].isdigit():
        if int(new[0]) == int(old[0]) - 1:
            return [Difference("Max-Forwards", CHANGED, old[0], new[0], "max-forwards-down")]
    return None


def _record_route(
    old: list[str], new: list[str], relation: str, msg: FlowMessage
) -> list[Difference] | None:
    if relation == RELAYS and len(new) > len(old) and new[len(new) - len(old) :] == old:
        added = ", ".join(new[: len(new) - len(old)])
        return [Difference("Record-Route", ADDED, None, added, "record-route-added")]
    if relation == ANSWERS and new and not old:
        return [Difference("Record-Route", ADDED, None, ", ".join(new), "record-route-back")]
    return None


def _route(
    old: list[str], new: list[str], relation: str, msg: FlowMessage
) -> list[Difference] | None:
    if relation == RELAYS and old and new == old[1:]:
        return [Difference("Route", REMOVED, old[0], None, "route-popped")]
    if relation in (FOLLOWS, UPDATES, NOTIFIES_AGAIN, ACKNOWLEDGES) and new and not old:
        return [Difference("Route", ADDED, None, ", ".join(new), "route-set")]
    return None


def _contact(
    old: list[str], new: list[str], relation: str, msg: FlowMessage
) -> list[Difference] | None:
    before, after = ", ".join(old) or None, ", ".join(new) or None
    if relation == ANSWERS and new:
        return [Difference("Contact", _change(old, new), before, after, "contact-uas")]
    if new and old and msg.method in TARGET_REFRESH:
        return [Difference("Contact", CHANGED, before, after, "contact-changed")]
    return None


# --- Bodies ---------------------------------------------------------------------------------


def _bodies(before: SipMessage, after: SipMessage, relation: str) -> list[Difference]:
    old_sdp = before.body.sdp if before.body else []
    new_sdp = after.body.sdp if after.body else []
    if old_sdp and new_sdp:
        return _sdp(old_sdp, new_sdp, relation)
    if old_sdp and not new_sdp and not after.body:
        return [Difference("SDP", REMOVED, None, None, "sdp-absent")]
    if new_sdp and not old_sdp:
        rule = "sdp-late-offer" if relation == ANSWERS else "header-added"
        return [Difference("SDP", ADDED, None, None, rule)]
    old_text = before.body.text.strip() if before.body else ""
    new_text = after.body.text.strip() if after.body else ""
    if old_text == new_text or not (old_text and new_text):
        return []
    rule = "sipfrag" if after.body and after.body.kind == "sipfrag" else "body-changed"
    return [Difference("Body", CHANGED, old_text.splitlines()[0], new_text.splitlines()[0], rule)]


def _sections(lines: list[SdpLine]) -> list[list[SdpLine]]:
    """The session part, then one list per m= section."""
    sections: list[list[SdpLine]] = [[]]
    for line in lines:
        if line.type == "m":
            sections.append([])
        sections[-1].append(line)
    return sections


def _text(line: SdpLine) -> str:
    return f"{line.type}={line.value}"


def _direction(section: list[SdpLine], session: list[SdpLine]) -> tuple[str, bool]:
    """The stream's direction and whether an attribute says it (sendrecv by default, §5.1)."""
    for lines in (section, session):
        for line in lines:
            if line.type == "a" and line.value in DIRECTIONS:
                return line.value, True
    return "sendrecv", False


def _sdp(old: list[SdpLine], new: list[SdpLine], relation: str) -> list[Difference]:
    old_sections, new_sections = _sections(old), _sections(new)
    found: list[Difference] = []
    answer = relation == ANSWERS
    old_origin = next((line.value for line in old if line.type == "o"), None)
    new_origin = next((line.value for line in new if line.type == "o"), None)
    if old_origin != new_origin:
        found.append(_origin(old_origin, new_origin, answer))
    for index in range(max(len(old_sections), len(new_sections))):
        was = old_sections[index] if index < len(old_sections) else []
        now = new_sections[index] if index < len(new_sections) else []
        if index and not was:
            found.append(Difference("SDP", ADDED, None, _text(now[0]), "sdp-stream-added"))
            continue
        if index and not now:
            found.append(Difference("SDP", REMOVED, _text(was[0]), None, "sdp-port-zero"))
            continue
        part = f"SDP {_text(now[0]).split()[0]}" if index else "SDP session"
        found += _stream(part, was, now, old_sections[0], new_sections[0], answer, index > 0)
    return found


def _origin(old: str | None, new: str | None, answer: bool) -> Difference:
    before, after = f"o={old}" if old else None, f"o={new}" if new else None
    old_fields, new_fields = (old or "").split(), (new or "").split()
    same_session = old_fields[:2] == new_fields[:2] and old_fields[3:] == new_fields[3:]
    if answer or not same_session:
        return Difference("SDP o=", CHANGED, before, after, "sdp-answerer")
    return Difference("SDP o=", CHANGED, before, after, "sdp-version-up")


def _stream(
    part: str,
    was: list[SdpLine],
    now: list[SdpLine],
    old_session: list[SdpLine],
    new_session: list[SdpLine],
    answer: bool,
    is_media: bool,
) -> list[Difference]:
    found = []
    if is_media:
        found += _media_line(part, was[0], now[0], answer)
    old_dir, old_said = _direction(was, old_session if is_media else [])
    new_dir, new_said = _direction(now, new_session if is_media else [])
    if is_media and old_dir != new_dir:
        before = f"a={old_dir}" if old_said else f"({old_dir})"
        after = f"a={new_dir}" if new_said else f"({new_dir})"
        found.append(
            Difference(part, CHANGED, before, after, _direction_rule(old_dir, new_dir, answer))
        )
    skip = {"o", "m"}
    old_lines = [_text(x) for x in was if x.type not in skip and not _is_direction(x)]
    new_lines = [_text(x) for x in now if x.type not in skip and not _is_direction(x)]
    for kind in dict.fromkeys(line[0] for line in old_lines + new_lines):
        olds = [line for line in old_lines if line[0] == kind]
        news = [line for line in new_lines if line[0] == kind]
        if olds == news:
            continue
        if kind == "c":
            rule = "sdp-answerer" if answer else _connection_rule(news)
            found.append(
                Difference(
                    part,
                    _change(olds, news),
                    ", ".join(olds) or None,
                    ", ".join(news) or None,
                    rule,
                )
            )
            continue
        for line in olds:
            if line not in news:
                found.append(Difference(part, REMOVED, line, None, "sdp-line"))
        for line in news:
            if line not in olds:
                found.append(Difference(part, ADDED, None, line, "sdp-line"))
    return found


def _is_direction(line: SdpLine) -> bool:
    return line.type == "a" and line.value in DIRECTIONS


def _connection_rule(news: list[str]) -> str:
    return "sdp-hold-zero" if any(" 0.0.0.0" in line for line in news) else "sdp-address-changed"


def _media_line(part: str, was: SdpLine, now: SdpLine, answer: bool) -> list[Difference]:
    old_fields, new_fields = was.value.split(), now.value.split()
    found = []
    if old_fields[1:2] != new_fields[1:2]:
        if new_fields[1:2] == ["0"]:
            rule = "sdp-port-zero-answer" if answer else "sdp-port-zero"
        else:
            rule = "sdp-answerer" if answer else "sdp-address-changed"
        found.append(Difference(part, CHANGED, _text(was), _text(now), rule))
    elif old_fields[3:] != new_fields[3:]:
        rule = "sdp-formats-answer" if answer else "sdp-formats"
        found.append(Difference(part, CHANGED, _text(was), _text(now), rule))
    return found


def _direction_rule(old: str, new: str, answer: bool) -> str:
    if answer:
        return {"sendonly": "sdp-answer-recvonly", "recvonly": "sdp-answer-sendonly"}.get(
            old, "sdp-answer-direction"
        )
    return {
        "sendonly": "sdp-hold",
        "inactive": "sdp-inactive",
        "sendrecv": "sdp-resume",
        "recvonly": "sdp-recvonly",
    }[new]
