"""The flow checker: SIP-aware findings on a whole flow document (pure code, no Django).

`lint_flow(document)` parses every message once and checks each message against the others:
which request a response answers, which hop a message was relayed on, which dialog a
request belongs to. Each finding names the step, the rule, a severity ("error" or "warning")
and a sentence a learner can follow, naming the other step involved.

Rules (stable names; notes list them in `acknowledges`):

message-parse           The parser's own problems with one message (its errors are errors, its
                        warnings warnings): malformed lines, missing mandatory headers,
                        Content-Length declared vs actual. Editorial placeholders ("...",
                        "[omitted]", "(SDP not shown)") are no defects: one info per message
                        says what it leaves out, and no rule reads them as values.
response-matches-request
                        A response answers an earlier request: same top Via (sent-by and
                        branch) and CSeq method, and then the same CSeq number, Call-ID, From,
                        To URI (and To tag when the request had one) and Via list; a To tag
                        added by the UAS (RFC 3261 §8.2.6.2, §17.1.3).
response-path           A response goes back the way its request came: from the request's
                        receiver to its sender on that hop; a proxy relaying a response removes
                        exactly its own Via (RFC 3261 §16.7, §18.2.2).
ack                     ACK for a non-2xx final response is part of the INVITE transaction: one
                        Via equal to the INVITE's top Via, the same Request-URI, CSeq number
                        and Route (§17.1.1.3). ACK for a 2xx is a new transaction with a new
                        branch, the INVITE's CSeq number, sent to the remote target (the 2xx's
                        Contact) per the route set (§13.2.2.4, §12.2.1.1).
cancel                  CANCEL copies the Request-URI, Call-ID, From, To, CSeq number, top Via
                        and Route of the request it cancels, goes where that request went, and
                        is only sent after a provisional response (RFC 3261 §9.1).
branch-unique           A new request gets a branch its sender has not used before (§8.1.1.7);
                        CANCEL and ACK for a non-2xx response reuse the INVITE's branch, and a
                        proxy relaying a request adds its own Via above the UAC's.
dialog-tags             Within a dialog (Call-ID and a pair of tags) the tags stay stable: every
                        in-dialog request carries the tags of a dialog set up in the flow, a
                        UAS uses one To tag for all responses to a request (and should for the
                        response to its CANCEL, §9.2), a proxy never changes it, and a notifier
                        uses the tag of its 2xx (RFC 6665 §4.1.4).
cseq-order              Each side's CSeq grows within a dialog, by one (§12.2.1.1); CANCEL and
                        ACK reuse the number of their INVITE and are left to `cancel`/`ack`.
remote-target           An in-dialog request goes to the remote target: its Request-URI is the
                        Contact of the other party's last target-refreshing message in the
                        dialog, and its Route is the dialog's route set (§12.2.1.1).
request-target          An initial request's Request-URI is not one participant's address
                        while its To names another, to whom the flow delivers it (§8.1.1.1).
max-forwards            Requests carry Max-Forwards, and a proxy decrements it by one (§16.6).
via-sent-by             The Via a sender adds names its own host, not a host the flow shows to
                        be another participant's (§8.1.1.7, §18.1.1).
via-received            received= is an IP address, the one the flow records for that Via host
                        everywhere else; an address recorded for several hosts is reported once
                        for the whole flow (§18.2.1).
required-headers        Headers a message's role requires or forbids: Contact in requests and
                        responses that set up or refresh a dialog (§8.1.1.8, §12.1.1), none in
                        MESSAGE and its 2xx (RFC 3428), Expires in a 2xx to SUBSCRIBE, Event and
                        Subscription-State (RFC 6665), exactly one Refer-To (RFC 3515).
proxy-relay             A proxy relays a message as it came: only Via, Route, Record-Route and
                        Max-Forwards change, and its own credentials may be consumed; the body
                        never changes (§16.6, §16.7).
credentials             Digest credentials answer the last challenge: its realm and nonce, with
                        qop, nc and cnonce when it offered qop; a challenge carries no client
                        values; an ACK for a non-2xx copies its INVITE's credentials (§22).
uri-scheme              Addresses in From, To, Contact, Route, Record-Route, Refer-To and
                        Referred-By are URIs with a scheme (§25.1).
feature-tags            Contact parameters are RFC 3840 feature tags (base tags, or "+" ones),
                        +sip.rendering only appears in INVITE dialogs (RFC 4235 §5.2), and
                        feature tags are not From or To parameters (RFC 3840 §9, §10).
replaces-tags           Replaces (RFC 3891 §3) names a dialog of the flow, seen by the recipient
                        of the INVITE: to-tag is the recipient's own tag, from-tag the remote
                        one. A Replaces escaped in a Refer-To URI (or a link in a body) is
                        checked as seen by the party that URI reaches, and that URI should be
                        the Contact of the replaced dialog (RFC 3891 §4).
join-tags               The same tag rules for Join (RFC 3911 §4).
sdp                     SDP bodies are well formed: a non-empty s= (RFC 3264 §5), lines in the
                        order of RFC 4566 §5, no space after "=", complete o=, c=, t=, m= lines,
                        and a c= for every media stream.
sdp-origin              Within one side's session (Call-ID and that side's tag) the o= line keeps
                        its username, session id and address, and the version grows by one
                        exactly when the SDP changes (RFC 3264 §8); a new session does not
                        reuse another session's o= (RFC 4566 §5.2).
dialog-info-version     dialog-info documents of one subscription are numbered 0, 1, 2, ...
                        (RFC 4235 §4.1).
media-direction         A media leg is drawn the way the session descriptions of its two ends
                        allow: two-way only when neither says sendonly, recvonly or inactive,
                        one-way only from a side that may send to one that may receive
                        (RFC 3264 §6.1); each end's last description in one call counts.
participants-named      Prose (summary, annotations, media and event texts, notes' discussion
                        and correction) names only people of this flow: a first name of the
                        RFC's cast must be a participant or appear in the messages. Quotations
                        of a note's as_written are the RFC's own words and are not checked, and
                        a note may name whoever its own as_written names.
label-start-line        A step's caption from the diagram, and the heading of its listing entry
                        (documents read from an RFC carry them), agree with the message's
                        start line: the same method or status, no reason phrase after a
                        method.

Section numbers without an RFC are RFC 3261's. Every finding carries the section it rests on
(`Finding.rfc`: the first one its sentence cites, else its rule's). A defect that proxies relay
unchanged is reported once, at the step where it arises, naming the later steps that carry it
(`Finding.hops`). Hosts are compared with their ports: lanes of a lab capture share one host.

A finding is acknowledged when a note on its step lists its rule in `acknowledges`; a finding on
no step (one about the whole flow) is acknowledged by any note listing its rule, since such a
note explains it where the reader meets it. Acknowledged findings are left out unless asked for.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple
from urllib.parse import unquote

from .analysis import (
    DIALOG_CREATING,
    TARGET_REFRESH,
    FlowAnalysis,
    FlowMessage,
    ViaKey,
    body_text,
    host_of,
    sets_up_dialog,
    via_address,
)
from .message import (
    SdpLine,
    SipMessage,
    parse_name_addr,
    parse_params,
    split_top_level,
)

ERROR, WARNING, INFO = "error", "warning", "info"

RULES = (
    "message-parse",
    "response-matches-request",
    "response-path",
    "ack",
    "cancel",
    "branch-unique",
    "dialog-tags",
    "cseq-order",
    "remote-target",
    "request-target",
    "max-forwards",
    "via-sent-by",
    "via-received",
    "required-headers",
    "proxy-relay",
    "credentials",
    "uri-scheme",
    "feature-tags",
    "replaces-tags",
    "join-tags",
    "sdp",
    "sdp-origin",
    "dialog-info-version",
    "media-direction",
    "participants-named",
    "label-start-line",
)

# The people of RFC 5359 and the RFCs it builds on; a lane may be called anything else.
CAST = ("Alice", "Bob", "Carol", "Dave", "Bill", "Eve", "Frank")

# RFC 4566 §5: session-level lines, then media sections, each in this order (t and r repeat).
SDP_SESSION_ORDER = {
    t: i for i, group in enumerate("v o s i u e p c b tr z k a".split()) for t in group
}
SDP_MEDIA_ORDER = {t: i for i, t in enumerate("micbka")}
SDP_FIELDS = {"o": 6, "c": 3, "t": 2}

_CAPTION_SAYS = re.compile(
    r"(?<!\d)[1-6]\d\d(?!\d)|\b(?:INVITE|ACK|BYE|CANCEL|OPTIONS|REGISTER|PRACK|SUBSCRIBE|"
    r"NOTIFY|PUBLISH|INFO|REFER|MESSAGE|UPDATE)\b"
)
_DIALOG_INFO_TAG = re.compile(r"<(?:\w+:)?dialog-info\b")
_VERSION_ATTRIBUTE = re.compile(r"\sversion\s*=\s*\"(\d+)\"")
_HREF = re.compile(r"href\s*=\s*\"([^\"]*)\"", re.IGNORECASE)
# Quotation marks and the marks that close them.
QUOTES = {'"': '"', "\u201c": "\u201d"}
_SPACE = re.compile(r"\s+")
_CAST_NAME = re.compile(rf"(?<![A-Za-z])({'|'.join(CAST)})(?![A-Za-z])")
_CAST_ANY_CASE = re.compile(_CAST_NAME.pattern, re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    step: str | None
    rule: str
    severity: str  # "error", "warning" or "info"
    message: str
    acknowledged: bool = False
    rfc: str = ""  # the section the finding rests on, e.g. "RFC 3261 §17.1.3"
    hops: tuple[str, ...] = ()  # later steps that carry the same defect on (proxy relays)

    def __post_init__(self) -> None:
        if not self.rfc:  # every finding rests on a section: the one it cites, or its rule's
            object.__setattr__(self, "rfc", _rfc_of(self.rule, self.message))


# The section each rule rests on, where a finding does not name a more precise one.
RULE_RFC = {
    "message-parse": "RFC 3261 §7",
    "response-matches-request": "RFC 3261 §8.2.6.2",
    "response-path": "RFC 3261 §18.2.2",
    "ack": "RFC 3261 §17.1.1.3",
    "cancel": "RFC 3261 §9.1",
    "branch-unique": "RFC 3261 §8.1.1.7",
    "dialog-tags": "RFC 3261 §12.2.1.1",
    "cseq-order": "RFC 3261 §12.2.1.1",
    "remote-target": "RFC 3261 §12.2.1.1",
    "request-target": "RFC 3261 §8.1.1.1",
    "max-forwards": "RFC 3261 §8.1.1.6",
    "via-sent-by": "RFC 3261 §18.1.1",
    "via-received": "RFC 3261 §18.2.1",
    "required-headers": "RFC 3261 §8.1.1",
    "proxy-relay": "RFC 3261 §16.6",
    "credentials": "RFC 3261 §22",
    "uri-scheme": "RFC 3261 §25.1",
    "feature-tags": "RFC 3840 §9",
    "replaces-tags": "RFC 3891 §3",
    "join-tags": "RFC 3911 §4",
    "sdp": "RFC 4566 §5",
    "sdp-origin": "RFC 3264 §8",
    "dialog-info-version": "RFC 4235 §4.1",
    "media-direction": "RFC 3264 §6.1",
    "participants-named": "RFC 3261 §6",
    "label-start-line": "RFC 3261 §7.1",
}
_CITED = re.compile(r"\((?:[^()]*?\b)?(RFC \d+ )?§(\d+(?:\.\d+)*)")

# What an RFC writes where it leaves a value out on purpose: "...", "[omitted]",
# "(SDP not shown)". Such a value is not read: it is neither right nor wrong.
_PLACEHOLDER = re.compile(
    r"\.{3}|\u2026|[\[(<]\s*(?:\.{3}|\u2026)\s*[\])>]|"
    r"[\[(<]?\s*(?:[\w/+-]+\s+){0,3}(?:omitted|not\s+shown|elided|removed|left\s+out)"
    r"(?:\s+[\w/+-]+){0,3}\s*[\])>]?",
    re.IGNORECASE,
)
_QUOTED_VALUE = re.compile(r"'([^']*)'")
_LINE_NUMBER = re.compile(r"\bline \d+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
# Rules that read a message's body.
BODY_RULES = frozenset({"sdp", "sdp-origin", "dialog-info-version"})


def lint_flow(
    document: dict[str, Any],
    *,
    captions: Mapping[str, str] | None = None,
    headings: Mapping[str, str] | None = None,
    include_acknowledged: bool = False,
) -> list[Finding]:
    """Every finding on a validated flow document, in ladder order.

    `captions` maps F-labels to what the diagram writes by the arrow, as the RFC reader
    finds it ("180 Ringing"), and `headings` to the listing's heading of the message
    ("200 OK Bob -> Alice"); without them label-start-line has nothing to compare.
    """
    flow = FlowAnalysis(document, captions or {}, headings)
    findings = [finding for check in CHECKS.values() for finding in check(flow)]
    findings = _carried_once(flow, _without_placeholders(flow, findings))
    acknowledged = _acknowledged(document)
    flow_wide = {rule for _, rule in acknowledged}
    marked = [
        replace(f, acknowledged=True)
        if (f.step, f.rule) in acknowledged or (f.step is None and f.rule in flow_wide)
        else f
        for f in findings
    ]
    order = {label: i for i, label in enumerate(flow.labels)}
    marked.sort(key=lambda f: (order.get(f.step, len(order)), RULES.index(f.rule)))
    return [f for f in marked if include_acknowledged or not f.acknowledged]


def _rfc_of(rule: str, message: str) -> str:
    """The first section the message cites ("RFC 3264 §8", or "§17.1.3" of RFC 3261), else
    the rule's."""
    cited = _CITED.search(message)
    if cited is None:
        return RULE_RFC.get(rule, "RFC 3261")
    return f"{(cited[1] or 'RFC 3261 ').strip()} §{cited[2]}"


def is_placeholder(value: str) -> bool:
    return _PLACEHOLDER.fullmatch(value.strip()) is not None


def _left_out(msg: FlowMessage) -> list[str]:
    """What a message leaves out with a placeholder: header names, and "body"."""
    names = [h.name for h in msg.sip.headers if is_placeholder(h.value)]
    if msg.sip.body is not None and is_placeholder(msg.sip.body.text):
        names.append("body")
    return list(dict.fromkeys(names))


def _without_placeholders(flow: FlowAnalysis, findings: list[Finding]) -> list[Finding]:
    """Findings that do not read a placeholder as a value, and one info per message that
    has placeholders, saying what is left out."""
    left_out = {m.label: _left_out(m) for m in flow.all_messages}
    left_out = {label: names for label, names in left_out.items() if names}
    if not left_out:
        return findings
    kept = []
    for finding in findings:
        names = left_out.get(finding.step or "", [])
        about_body = "body" in names and (
            finding.rule in BODY_RULES or re.search(r"\b(?:body|SDP|Content-)", finding.message)
        )
        quoted = any(
            f"'{name}'" in finding.message or f" {name} " in finding.message
            for name in names
            if name != "body"
        )
        if not (about_body or quoted or _quotes_placeholder(finding.message)):
            kept.append(finding)
    for msg in flow.all_messages:
        if msg.label in left_out:
            parts = ", ".join("the body" if n == "body" else n for n in left_out[msg.label])
            kept.append(
                Finding(
                    msg.label,
                    "message-parse",
                    INFO,
                    f"{msg.label} leaves out {parts} (an editorial placeholder such as '...'): "
                    f"not checked.",
                    rfc="RFC 3261 §7",
                )
            )
    return kept


def _quotes_placeholder(message: str) -> bool:
    """Whether a finding's sentence gives a placeholder as a value: quoted ('...') or as a
    word of its own."""
    quoted = (m[1] for m in _QUOTED_VALUE.finditer(message))
    return any(is_placeholder(v) for v in quoted) or any(
        is_placeholder(word.strip(",.;:()")) for word in message.split() if "..." in word
    )


def _carried_once(flow: FlowAnalysis, findings: list[Finding]) -> list[Finding]:
    """A defect a proxy relays unchanged is reported once, where it arises, with the steps
    that carry it on: the same rule saying the same, but for the labels, on a relay of it."""
    by_label = {m.label: m for m in flow.messages}
    labels = set(flow.labels)

    def said(finding: Finding) -> str:
        """The sentence without labels and line numbers, which differ from hop to hop."""
        text = _LINE_NUMBER.sub("line #", finding.message)

        def label_out(match: re.Match[str]) -> str:
            core = match[0].rstrip("._-")  # "F2." ends a sentence
            return "#" + match[0][len(core) :] if core in labels else match[0]

        return _WORD.sub(label_out, text)

    roots: dict[tuple[str, str, int], int] = {}  # (rule, what it says, origin) -> index
    kept: list[Finding] = []
    for finding in findings:
        msg = by_label.get(finding.step or "")
        if msg is None or finding.severity == INFO:
            kept.append(finding)
            continue
        key = (finding.rule, said(finding), msg.origin.position)
        root = roots.get(key)
        if root is not None and msg.received is not None and kept[root].step != msg.label:
            kept[root] = replace(kept[root], hops=(*kept[root].hops, msg.label))
            continue
        roots.setdefault(key, len(kept))
        kept.append(finding)
    return [
        replace(f, message=f"{f.message} The same is carried on in {', '.join(f.hops)}.")
        if f.hops
        else f
        for f in kept
    ]


def _acknowledged(document: dict[str, Any]) -> set[tuple[str | None, str]]:
    return {
        (note.get("step"), rule)
        for note in document.get("notes", [])
        for rule in note.get("acknowledges", [])
    }


# --- message-parse -----------------------------------------------------------------------


def check_message_parse(flow: FlowAnalysis) -> Iterator[Finding]:
    for msg in flow.all_messages:
        swallowed = _headers_read_as_body(msg.sip)
        for problem in msg.sip.problems:
            if _reported_by_max_forwards(msg.sip, problem.message):
                continue
            if any(f"no {name} header" in problem.message for name in swallowed):
                continue  # the header is there, under the line that broke the header block
            text = f"{msg.label} line {problem.line}: {problem.message}"
            if swallowed and BROKEN_HEADERS in problem.message:
                text += f" The {' and '.join(swallowed)} below it are read as body."
            yield Finding(msg.label, "message-parse", problem.severity, text)


BROKEN_HEADERS = "The empty line that ends the headers is missing"


def _headers_read_as_body(sip: SipMessage) -> list[str]:
    """Headers written below a line that broke the header block, so read as the body."""
    if sip.body is None or not any(BROKEN_HEADERS in p.message for p in sip.problems):
        return []
    names = ("Content-Type", "Content-Length")
    lines = sip.body.text.splitlines()
    return [name for name in names if any(line.startswith(f"{name}:") for line in lines)]


def _reported_by_max_forwards(sip: SipMessage, problem: str) -> bool:
    return "Max-Forwards" in problem and not sip.headers_named("Max-Forwards")


# --- responses -----------------------------------------------------------------------------


def check_response_matches_request(flow: FlowAnalysis) -> Iterator[Finding]:
    for response in flow.responses():
        if not response.vias:
            continue  # the parser already says the Via is missing
        if response.request is None:
            yield _unanswered(flow, response)
            continue
        for difference in _differences(response, response.request):
            yield Finding(
                response.label,
                "response-matches-request",
                ERROR,
                f"{response.label} answers {response.request.label} but {difference}.",
            )


def _unanswered(flow: FlowAnalysis, response: FlowMessage) -> Finding:
    top = response.vias[0]
    message = (
        f"{response.label} answers no request: no earlier {response.method} has its top Via "
        f"(sent-by {top[0]}, branch {top[1]})"
    )
    closest = _closest_request(flow, response)
    if closest is not None:
        message += (
            f"; the closest is {closest.label}, whose top Via is sent-by "
            f"{closest.vias[0][0] if closest.vias else '-'}, branch "
            f"{closest.vias[0][1] if closest.vias else '-'}, with CSeq "
            f"{closest.sip.header('CSeq')}"
        )
    return Finding(response.label, "response-matches-request", ERROR, message + ".")


def _closest_request(flow: FlowAnalysis, response: FlowMessage) -> FlowMessage | None:
    def score(request: FlowMessage) -> tuple[int, int]:
        alike = [
            request.cseq == response.cseq,
            request.vias[:1] == response.vias[:1],
            request.receiver == response.sender,
            request.sender == response.receiver,
        ]
        return sum(alike), request.position

    candidates = [
        m
        for m in flow.in_call(response.call_id, before=response)
        if m.is_request and m.sip.method != "ACK" and m.call_id == response.call_id
    ]
    return max(candidates, key=score, default=None)


def _differences(response: FlowMessage, request: FlowMessage) -> Iterator[str]:
    """What a response copies from its request (RFC 3261 §8.2.6.2), and what differs."""
    rsp, req = response.sip, request.sip
    if rsp.cseq and req.cseq and rsp.cseq[0] != req.cseq[0]:
        yield f"its CSeq number is {rsp.cseq[0]}, not {req.cseq[0]}"
    if rsp.call_id != req.call_id:
        yield f"its Call-ID is {rsp.call_id}, not {req.call_id}"
    yield from _address_differences("From", rsp.header("From"), req.header("From"), True)
    yield from _address_differences("To", rsp.header("To"), req.header("To"), bool(req.to_tag))
    if not req.to_tag and not rsp.to_tag and response.status != 100:
        yield "it has no To tag: the UAS adds one to every response but 100 Trying"
    if response.vias != request.vias:
        yield (
            f"its Vias ({_via_list(response.vias)}) are not the request's "
            f"({_via_list(request.vias)})"
        )


def _address_differences(name: str, got: str | None, want: str | None, tags: bool):
    if got is None or want is None:
        return
    got_addr, want_addr = parse_name_addr(got), parse_name_addr(want)
    if got_addr.uri != want_addr.uri:
        yield f"its {name} URI is {got_addr.uri}, not {want_addr.uri}"
    if tags and got_addr.params.get("tag") != want_addr.params.get("tag"):
        yield (
            f"its {name} tag is {got_addr.params.get('tag') or 'missing'}, "
            f"not {want_addr.params.get('tag') or 'absent'}"
        )


def _via_list(vias: Iterable[ViaKey]) -> str:
    return ", ".join(f"{sent_by};branch={branch}" for sent_by, branch in vias) or "none"


def check_response_path(flow: FlowAnalysis) -> Iterator[Finding]:
    for response in flow.responses():
        relayed = response.received
        if relayed is not None and response.vias != relayed.vias[1:]:
            yield Finding(
                response.label,
                "response-path",
                ERROR,
                f"{flow.who(response.sender)} relays {relayed.label} as {response.label} with "
                f"{len(response.vias)} Via(s) where {relayed.label} had {len(relayed.vias)}: "
                f"a proxy removes its own top Via, and only that one, before passing a "
                f"response back (RFC 3261 §16.7), so {response.label} should carry "
                f"{_via_list(relayed.vias[1:])}.",
            )
        elif response.request is not None:
            yield from _wrong_hop(flow, response, response.request)


def _wrong_hop(
    flow: FlowAnalysis, response: FlowMessage, request: FlowMessage
) -> Iterator[Finding]:
    if (response.sender, response.receiver) == (request.receiver, request.sender):
        return
    vias = " and ".join(sent_by for sent_by, _ in response.vias)
    yield Finding(
        response.label,
        "response-path",
        ERROR,
        f"{response.label} answers {request.label}, which {flow.who(request.sender)} sent to "
        f"{flow.who(request.receiver)}: with Via {vias} it goes back from "
        f"{flow.who(request.receiver)} to {flow.who(request.sender)}, not from "
        f"{flow.who(response.sender)} to {flow.who(response.receiver)} "
        f"(RFC 3261 §18.2.2).",
    )


# --- ACK and CANCEL ----------------------------------------------------------------------


def check_ack(flow: FlowAnalysis) -> Iterator[Finding]:
    for ack in flow.requests("ACK"):
        final = flow.acked_response(ack)
        if final is None:
            yield Finding(
                ack.label,
                "ack",
                ERROR,
                f"{ack.label} acknowledges nothing: no final response to an INVITE with "
                f"Call-ID {ack.call_id} reached {flow.who(ack.sender)} before it.",
            )
            continue
        invite = final.request
        if invite is None:
            continue  # response-matches-request explains why
        problems = (
            _non_2xx_ack_problems(ack, final, invite)
            if final.status >= 300
            else _2xx_ack_problems(flow, ack, final, invite)
        )
        for problem in problems:
            yield Finding(ack.label, "ack", ERROR, f"{ack.label} {problem}.")


def _non_2xx_ack_problems(
    ack: FlowMessage, final: FlowMessage, invite: FlowMessage
) -> Iterator[str]:
    why = (
        f"(an ACK for a non-2xx response, here the {final.status} of {final.label}, belongs to "
        f"the INVITE's transaction, RFC 3261 §17.1.1.3)"
    )
    if len(ack.vias) != 1:
        yield (
            f"carries {len(ack.vias)} Vias but must carry exactly one, {invite.label}'s top "
            f"Via {why}"
        )
    if ack.vias[:1] != invite.vias[:1]:
        yield (
            f"has Via {_via_list(ack.vias[:1])} but must reuse {invite.label}'s top Via "
            f"{_via_list(invite.vias[:1])}, branch included {why}"
        )
    yield from (f"{problem} {why}" for problem in _copied_from(ack, invite))
    if ack.to_tag != final.to_tag:
        yield f"has To tag {ack.to_tag}, but the To of {final.label} has {final.to_tag} {why}"


def _copied_from(msg: FlowMessage, original: FlowMessage) -> Iterator[str]:
    """Request-URI, CSeq number, From tag and Route that ACK (non-2xx) and CANCEL copy."""
    if not same_uri(msg.sip.request_uri, original.sip.request_uri):
        yield (
            f"has Request-URI {msg.sip.request_uri}, not {original.label}'s "
            f"{original.sip.request_uri}"
        )
    if msg.number != original.number:
        yield f"has CSeq number {msg.number}, not {original.label}'s {original.number}"
    if msg.from_tag != original.from_tag:
        yield f"has From tag {msg.from_tag}, not {original.label}'s {original.from_tag}"
    if msg.sip.header_values("Route") != original.sip.header_values("Route"):
        yield f"must carry the same Route as {original.label}"


def _2xx_ack_problems(
    flow: FlowAnalysis, ack: FlowMessage, final: FlowMessage, invite: FlowMessage
) -> Iterator[str]:
    if ack.vias[:1] == invite.vias[:1]:
        yield (
            f"reuses {invite.label}'s branch {invite.vias[0][1]}: the ACK for a 2xx response "
            f"({final.label}) is a new transaction and needs a new branch (RFC 3261 §13.2.2.4)"
        )
    if ack.number != invite.number:
        yield (
            f"has CSeq number {ack.number}: the ACK for a 2xx carries the number of the INVITE "
            f"it acknowledges, {invite.number} ({invite.label}, RFC 3261 §13.2.2.4)"
        )
    yield from _target_problems(flow, ack, final.contact, final.label)


def check_cancel(flow: FlowAnalysis) -> Iterator[Finding]:
    for cancel in flow.requests("CANCEL"):
        invite = _cancelled_request(flow, cancel)
        if invite is None:
            yield Finding(
                cancel.label,
                "cancel",
                ERROR,
                f"{cancel.label} cancels nothing: {flow.who(cancel.sender)} sent no INVITE "
                f"with Call-ID {cancel.call_id} before it.",
            )
            continue
        problems = [(ERROR, p) for p in _cancel_copy_problems(flow, cancel, invite)]
        for severity, problem in problems + list(_cancel_timing_problems(flow, cancel, invite)):
            yield Finding(
                cancel.label, "cancel", severity, f"{cancel.label} {problem} (RFC 3261 §9.1)."
            )


def _cancelled_request(flow: FlowAnalysis, cancel: FlowMessage) -> FlowMessage | None:
    invites = [
        m
        for m in flow.in_call(cancel.call_id, before=cancel)
        if m.sip.method == "INVITE" and m.sender == cancel.sender and m.call_id == cancel.call_id
    ]
    same_via = [m for m in invites if m.vias[:1] == cancel.vias[:1]]
    candidates = same_via or invites
    return candidates[-1] if candidates else None


def _cancel_copy_problems(
    flow: FlowAnalysis, cancel: FlowMessage, invite: FlowMessage
) -> Iterator[str]:
    """A CANCEL is matched to its INVITE by what it copies, and goes where the INVITE went."""
    if cancel.vias != invite.vias[:1]:
        yield (
            f"has Via {_via_list(cancel.vias)} but a CANCEL carries one Via, the top Via of "
            f"the INVITE it cancels ({invite.label}: {_via_list(invite.vias[:1])})"
        )
    yield from _copied_from(cancel, invite)
    to, invite_to = cancel.sip.header("To"), invite.sip.header("To")
    if to and invite_to and parse_name_addr(to) != parse_name_addr(invite_to):
        yield f"has To {to}, not {invite.label}'s {invite_to}"
    if cancel.receiver != invite.receiver:
        yield (
            f"goes to {flow.who(cancel.receiver)} but {invite.label} went to "
            f"{flow.who(invite.receiver)}: a CANCEL follows the request it cancels"
        )


def _cancel_timing_problems(flow: FlowAnalysis, cancel: FlowMessage, invite: FlowMessage):
    answers = [m for m in flow.answers[invite.position] if m.position < cancel.position]
    if not any(100 <= m.status < 200 for m in answers):
        yield (
            ERROR,
            (
                f"is sent before any provisional response to {invite.label}: until one arrives "
                f"the CANCEL must wait"
            ),
        )
    final = next((m for m in answers if m.status >= 200), None)
    if final is not None:
        yield (
            WARNING,
            (
                f"comes after {final.label} already ended {invite.label} with {final.status}, "
                f"so it has no effect"
            ),
        )


# --- transactions and dialogs --------------------------------------------------------------


def _retransmission_of(flow: FlowAnalysis, request: FlowMessage) -> FlowMessage | None:
    """The earlier request this one retransmits: the same sender sending the same method,
    CSeq and Vias again (RFC 3261 §17.1.1.2)."""
    for other in reversed(flow.in_call(request.call_id, before=request)):
        if (
            other.is_request
            and other.sender == request.sender
            and other.sip.method == request.sip.method
            and other.cseq == request.cseq
            and other.vias == request.vias
        ):
            return other
    return None


def check_branch_unique(flow: FlowAnalysis) -> Iterator[Finding]:
    used: dict[tuple[str, str | None], FlowMessage] = {}
    for request in flow.requests():
        if not request.vias or request.sip.method == "CANCEL" or flow.is_non_2xx_ack(request):
            continue  # these reuse the INVITE's branch on purpose (cancel/ack check them)
        if _retransmission_of(flow, request) is not None:
            continue  # a retransmission is the same request, branch and all
        key = (request.sender, request.vias[0][1])
        earlier = used.setdefault(key, request)
        if earlier is request or _is_own_invite(flow, request, earlier):
            continue
        yield Finding(
            request.label,
            "branch-unique",
            ERROR,
            f"{request.label}'s Via branch {key[1]} was already used by {earlier.label}: a new "
            f"request needs a new branch (RFC 3261 §8.1.1.7).",
        )


def _is_own_invite(flow: FlowAnalysis, request: FlowMessage, earlier: FlowMessage) -> bool:
    """An ACK for a 2xx that reuses its INVITE's branch: the ack rule explains that one."""
    final = flow.acked_response(request) if request.sip.method == "ACK" else None
    return final is not None and final.request is earlier


def check_dialog_tags(flow: FlowAnalysis) -> Iterator[Finding]:
    yield from _requests_outside_dialogs(flow)
    yield from _relays_changing_tags(flow)
    yield from _uas_changing_tags(flow)
    yield from _notifier_tags(flow)


def _requests_outside_dialogs(flow: FlowAnalysis) -> Iterator[Finding]:
    for request in flow.requests():
        if not request.to_tag or request.sip.method == "CANCEL":
            continue
        if flow.is_non_2xx_ack(request) or request.dialog_key in flow.dialogs:
            continue
        known = flow.dialogs_of_call(request.call_id)
        if not known:
            yield Finding(
                request.label,
                "dialog-tags",
                WARNING,
                f"{request.label} has a To tag, so it belongs to a dialog, but no dialog with "
                f"Call-ID {request.call_id} is set up in this flow.",
            )
            continue
        described = "; ".join(
            " and ".join(
                flow.owner(request.call_id, tag) for tag in sorted(t for t in pair if t is not None)
            )
            for pair in known
        )
        yield Finding(
            request.label,
            "dialog-tags",
            ERROR,
            f"{request.label}'s tags (From {request.from_tag}, To {request.to_tag}) are "
            f"not those of a dialog of Call-ID {request.call_id}, which has tags {described}: "
            f"within a dialog the tags never change (RFC 3261 §12.2.1.1).",
        )


def _relays_changing_tags(flow: FlowAnalysis) -> Iterator[Finding]:
    for response in flow.responses():
        relayed = response.received
        if relayed is not None and relayed.to_tag != response.to_tag:
            yield Finding(
                response.label,
                "dialog-tags",
                ERROR,
                f"{flow.who(response.sender)} relays {relayed.label} as {response.label} but "
                f"changes the To tag from {relayed.to_tag} to {response.to_tag}: "
                f"proxies never touch tags.",
            )


ONE_TAG = "a UAS uses one tag for all its responses to a request (RFC 3261 §8.2.6.2)"
CANCEL_TAG = (
    "the response to a CANCEL should carry the To tag of the responses to the request it "
    "cancels (RFC 3261 §9.2)"
)


def _uas_changing_tags(flow: FlowAnalysis) -> Iterator[Finding]:
    first_tag: dict[int, FlowMessage] = {}  # by the position of the request answered
    for response in flow.responses():
        request = _tagged_request(flow, response)
        if response.status == 100 or not response.to_tag or response.received or not request:
            continue
        if request is response.request:
            first_tag.setdefault(request.position, response)
        earlier = first_tag.get(request.position)
        if earlier is None or earlier.to_tag == response.to_tag:
            continue
        own = request is response.request
        yield Finding(
            response.label,
            "dialog-tags",
            ERROR if own else WARNING,
            f"{response.label}'s To tag {response.to_tag} differs from {earlier.to_tag}, "
            f"which {earlier.label} gave in answer to {request.label}: "
            f"{ONE_TAG if own else CANCEL_TAG}.",
        )


def _tagged_request(flow: FlowAnalysis, response: FlowMessage) -> FlowMessage | None:
    """The request whose responses share this response's To tag: for a response to a CANCEL,
    the request cancelled."""
    request = response.request
    if request is not None and request.sip.method == "CANCEL":
        return _cancelled_request(flow, request)
    return request


def _notifier_tags(flow: FlowAnalysis) -> Iterator[Finding]:
    """Without forking, a NOTIFY comes from the dialog the 2xx to SUBSCRIBE/REFER set up."""
    for notify in flow.requests("NOTIFY"):
        for accepted in flow.in_call(notify.call_id):
            if (
                accepted.is_response
                and 200 <= accepted.status < 300
                and accepted.method in ("SUBSCRIBE", "REFER")
                and accepted.call_id == notify.call_id
                and accepted.from_tag == notify.to_tag
                and accepted.author == notify.author
                and accepted.to_tag != notify.from_tag
                and notify.origin is notify
            ):
                yield Finding(
                    notify.label,
                    "dialog-tags",
                    WARNING,
                    f"{notify.label}'s From tag {notify.from_tag} differs from the To tag "
                    f"{accepted.to_tag} of {accepted.label}, which the same notifier sent: "
                    f"only forking gives a subscription a second tag (RFC 6665 §4.1.4).",
                )
                break


def check_cseq_order(flow: FlowAnalysis) -> Iterator[Finding]:
    sent: dict[tuple[str | None, str | None], list[FlowMessage]] = defaultdict(list)
    for request in flow.requests():
        if request.origin is not request or request.sip.method in ("ACK", "CANCEL"):
            continue
        if request.number is None or _retransmission_of(flow, request) is not None:
            continue
        history = sent[(request.call_id, request.from_tag)]
        # The same author's requests: a relay the flow does not recognise (its Vias were
        # mangled) is no request of its own.
        previous = [
            m for m in history if m.to_tag in (None, request.to_tag) and m.author == request.author
        ]
        history.append(request)
        if previous:
            yield from _cseq_step(flow, previous[-1], request)


def _cseq_step(
    flow: FlowAnalysis, previous: FlowMessage, request: FlowMessage
) -> Iterator[Finding]:
    assert previous.number is not None and request.number is not None
    who = flow.who(request.author)
    if request.number <= previous.number:
        yield Finding(
            request.label,
            "cseq-order",
            ERROR,
            f"{request.label}'s CSeq {request.number} does not grow: {who}'s previous request "
            f"in this call, {previous.label}, had CSeq {previous.number} (RFC 3261 §12.2.1.1).",
        )
    elif request.to_tag and request.number > previous.number + 1:
        yield Finding(
            request.label,
            "cseq-order",
            WARNING,
            f"{request.label}'s CSeq jumps from {previous.number} ({previous.label}) to "
            f"{request.number}: within a dialog each side's CSeq increases by one "
            f"(RFC 3261 §12.2.1.1).",
        )


def check_remote_target(flow: FlowAnalysis) -> Iterator[Finding]:
    for request in flow.requests():
        if not request.to_tag or request.sip.method in ("ACK", "CANCEL"):
            continue  # ACK for 2xx is checked by the ack rule
        if request.dialog_key not in flow.dialogs:
            continue  # dialog-tags says so
        target = _remote_target(flow, request)
        if target is None:
            continue
        for problem in _target_problems(flow, request, target.contact, target.label):
            yield Finding(request.label, "remote-target", ERROR, f"{request.label} {problem}.")


def _remote_target(flow: FlowAnalysis, request: FlowMessage) -> FlowMessage | None:
    """The peer's last message in the dialog whose Contact sets the remote target."""
    peer, own = request.to_tag, request.from_tag
    found = None
    for msg in flow.in_call(request.call_id, before=request):
        if msg.author_tag != peer or not msg.contact:
            continue
        if msg.peer_tag not in (None, own) or msg.method not in TARGET_REFRESH:
            continue
        if msg.is_request or 101 <= msg.status < 300:
            found = msg
    return found


def _target_problems(flow: FlowAnalysis, request: FlowMessage, target: str | None, source: str):
    """Request-URI and Route of an in-dialog request (RFC 3261 §12.2.1.1)."""
    if target is None:
        return
    routes = _route_set(flow, request)
    strict = bool(routes and ";lr" not in routes[0])
    expected_uri = routes[0] if strict and routes else target
    if not same_uri(request.sip.request_uri, expected_uri):
        yield (
            f"has Request-URI {request.sip.request_uri}, but in this dialog requests go to "
            f"the remote target {target}, the Contact of {source} (RFC 3261 §12.2.1.1)"
        )
    if request.origin is not request or routes is None:
        return  # proxies take their own entry off the Route; the UAC's is what counts
    expected_route = routes[1:] + [target] if strict else routes
    got = [parse_name_addr(v).uri for v in request.sip.header_values("Route")]
    if len(got) != len(expected_route) or not all(map(same_uri, got, expected_route)):
        yield (
            f"has Route {', '.join(got) or '(none)'}, but the dialog's route set is "
            f"{', '.join(expected_route) or 'empty'} (RFC 3261 §12.2.1.1)"
        )


# URI parameters that make two SIP URIs differ even when only one of them has it (§19.1.4).
_DECISIVE_PARAMS = ("user", "ttl", "method", "maddr")


def same_uri(a: str | None, b: str | None) -> bool:
    """Whether two SIP URIs are equivalent (RFC 3261 §19.1.4): scheme and host without
    regard to case, user and port exact, parameters in both equal, user, ttl, method and
    maddr equal wherever one has them, headers equal; other URIs compared as written."""
    if a is None or b is None or a == b:
        return a == b
    first, second = _uri_parts(a), _uri_parts(b)
    if first is None or second is None:
        return False
    (where_a, params_a, headers_a), (where_b, params_b, headers_b) = first, second
    if where_a != where_b or headers_a != headers_b:
        return False
    shared = params_a.keys() & params_b.keys()
    decisive = {p for p in _DECISIVE_PARAMS if p in params_a or p in params_b}
    return all(params_a.get(p) == params_b.get(p) for p in shared | decisive)


def _uri_parts(uri: str) -> tuple[tuple[str, str, str], dict[str, str | None], str] | None:
    """((scheme, user, host:port), parameters, headers) of a sip: or sips: URI."""
    scheme, colon, rest = uri.partition(":")
    if not colon or scheme.lower() not in ("sip", "sips"):
        return None
    rest, _, headers = rest.partition("?")
    user, at, hostpart = rest.rpartition("@")
    hostport, _, params = hostpart.partition(";")
    names = {
        name.lower(): (value.lower() if value is not None else None)
        for name, value in parse_params(params).items()
    }
    return (scheme.lower(), user if at else "", hostport.lower()), names, headers


def _route_set(flow: FlowAnalysis, request: FlowMessage) -> list[str] | None:
    """The author's route set (RFC 3261 §12.1): the Record-Route of the message that set the
    dialog up as it reached the author, reversed when that was a response; None if unknown."""
    call = flow.in_call(request.call_id)
    setups = [
        m
        for m in call
        if m.position < request.position and m.origin is m and m.dialog_key == request.dialog_key
    ]
    setups = [m for m in setups if sets_up_dialog(m, call)]
    if not setups:
        return None
    setup = setups[-1]  # a 2xx recomputes the route set of its early dialog (§13.2.2.4)
    if setup.author != request.author:
        carrier, reverse = setup, setup.is_response
    elif setup.is_response and setup.request is not None:
        carrier, reverse = setup.request.origin, False
    else:
        return None
    hops = [m for m in call if m.origin is carrier and m.receiver == request.author]
    if not hops:
        return None
    routes = [parse_name_addr(v).uri for v in hops[-1].sip.header_values("Record-Route")]
    return routes[::-1] if reverse else routes


def check_request_target(flow: FlowAnalysis) -> Iterator[Finding]:
    """An initial request goes to the party it is for: a Request-URI that is one
    participant's address while the To and the flow deliver it to another (§8.1.1.1)."""
    for request in flow.requests():
        if (
            request.origin is not request
            or request.to_tag
            or request.sip.method
            in (
                "ACK",
                "CANCEL",
            )
        ):
            continue
        uri, to = request.sip.request_uri, request.sip.header("To")
        named, addressed = flow.uri_owner(uri or ""), flow.uri_owner(_uri_of(to))
        reached = _final_receiver(flow, request)
        if named and addressed and named != addressed == reached:
            yield Finding(
                request.label,
                "request-target",
                WARNING,
                f"{request.label}'s Request-URI {uri} is {flow.who(named)}'s address, but "
                f"its To names {flow.who(addressed)}, to whom the flow delivers it: the "
                f"initial Request-URI is the address of the party the request is for, "
                f"usually the To URI (RFC 3261 §8.1.1.1).",
            )


def _uri_of(value: str | None) -> str:
    return parse_name_addr(value).uri if value else ""


def check_max_forwards(flow: FlowAnalysis) -> Iterator[Finding]:
    for request in flow.requests():
        value = request.sip.header("Max-Forwards")
        if value is None:
            yield Finding(
                request.label,
                "max-forwards",
                ERROR,
                f"{request.label} has no Max-Forwards: every request carries one, usually "
                f"70, so that a routing loop ends (RFC 3261 §8.1.1.6).",
            )
            continue
        received = request.received.sip.header("Max-Forwards") if request.received else None
        if (
            request.received
            and received
            and received.isdigit()
            and value.isdigit()
            and int(value) != int(received) - 1
        ):
            yield Finding(
                request.label,
                "max-forwards",
                ERROR,
                f"{flow.who(request.sender)} relays {request.received.label} as "
                f"{request.label} with Max-Forwards {value}, but a proxy decrements it by "
                f"one: {int(received) - 1} (RFC 3261 §16.6).",
            )


def check_via_sent_by(flow: FlowAnalysis) -> Iterator[Finding]:
    for request in flow.requests():
        if not request.sip.vias:
            continue
        host = via_address(request.sip.vias[0])
        votes = flow.host_votes[host]
        owner, count = max(votes.items(), key=lambda item: item[1])
        if votes[request.sender] < count:
            yield Finding(
                request.label,
                "via-sent-by",
                ERROR,
                f"{request.label}'s top Via names {host}, which is {flow.who(owner)}'s host (as "
                f"in {flow.host_seen[(host, owner)]}), but {flow.who(request.sender)} sends "
                f"{request.label}: the sender puts its own address in the Via it adds "
                f"(RFC 3261 §8.1.1.7, §18.1.1).",
            )


def check_via_received(flow: FlowAnalysis) -> Iterator[Finding]:
    for msg in flow.messages:
        for via in msg.sip.vias:
            received = via.params.get("received")
            problem = received and _received_problem(flow, host_of(via.sent_by), received)
            if problem:
                yield Finding(
                    msg.label,
                    "via-received",
                    ERROR,
                    f"{msg.label}'s Via for {host_of(via.sent_by)} has received={received}, "
                    f"{problem}: received records the source address the request came from "
                    f"(RFC 3261 §18.2.1).",
                )
    yield from _shared_addresses(flow)


def _received_problem(flow: FlowAnalysis, host: str, received: str) -> str | None:
    if not _is_ip(received):
        return "which is not an IP address"
    usual, count = flow.received_by_host[host].most_common(1)[0]
    if flow.received_by_host[host][received] < count:
        return (
            f"but that host's requests arrive from {usual} everywhere else (as in "
            f"{', '.join(flow.received_seen[(host, usual)])})"
        )
    return None


def _shared_addresses(flow: FlowAnalysis) -> Iterator[Finding]:
    """One address recorded for several hosts: a flow-wide matter, not one step's."""
    for address, hosts in flow.hosts_by_address.items():
        if len(hosts) > 1 and _is_ip(address):
            seen = "; ".join(
                f"{host} ({', '.join(flow.received_seen[(host, address)])})" for host in hosts
            )
            yield Finding(
                None,
                "via-received",
                WARNING,
                f"received={address} is recorded for {len(hosts)} different hosts: {seen}. "
                f"Two hosts do not send from one address unless something like a NAT sits "
                f"between them, which the flow does not show (RFC 3261 §18.2.1).",
            )


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def check_required_headers(flow: FlowAnalysis) -> Iterator[Finding]:
    for msg in flow.messages:
        if msg.origin is not msg:
            continue  # a relay carries what it received; proxy-relay compares the two
        for rfc, problem in _header_problems(msg):
            yield Finding(msg.label, "required-headers", ERROR, f"{msg.label} {problem} ({rfc}).")


def _header_problems(msg: FlowMessage) -> Iterator[tuple[str, str]]:
    method, has = msg.method, msg.sip.headers_named
    if msg.is_request:
        if method in TARGET_REFRESH and not has("Contact"):
            yield "RFC 3261 §8.1.1.8", f"has no Contact: a {method} can set up or refresh a dialog"
        if method == "MESSAGE" and has("Contact"):
            yield "RFC 3428 §4", "has a Contact, but MESSAGE never sets up a dialog"
        if method in ("SUBSCRIBE", "NOTIFY") and not has("Event"):
            yield "RFC 6665 §8.2.1", f"has no Event header: a {method} names its event package"
        if method == "NOTIFY" and not has("Subscription-State"):
            yield "RFC 6665 §4.2.2", "has no Subscription-State"
        if method == "REFER" and len(msg.sip.header_values("Refer-To")) != 1:
            yield "RFC 3515 §2.4.1", "must carry exactly one Refer-To"
        return
    success = 200 <= msg.status < 300
    creates = method in DIALOG_CREATING and msg.to_tag and 101 <= msg.status < 300
    if creates and (method == "INVITE" or success) and not has("Contact"):
        yield "RFC 3261 §12.1.1", f"has no Contact, yet this {msg.status} sets up a dialog"
    if method == "MESSAGE" and success and has("Contact"):
        yield "RFC 3428 §7", "has a Contact, which a 2xx to MESSAGE must not carry"
    if method == "SUBSCRIBE" and success and not has("Expires"):
        yield "RFC 6665 §3.1.1", "has no Expires: a 2xx to SUBSCRIBE states how long it lasts"


# A proxy changes these on the way (RFC 3261 §16.6, §16.7); it may consume its credentials.
RELAY_MAY_CHANGE = frozenset({"Via", "Route", "Record-Route", "Max-Forwards"})
RELAY_MAY_REMOVE = frozenset({"Proxy-Authorization"})


def check_proxy_relay(flow: FlowAnalysis) -> Iterator[Finding]:
    for msg in flow.messages:
        received = msg.received
        if received is None:
            continue
        for severity, problem in _relay_changes(received.sip, msg.sip):
            yield Finding(
                msg.label,
                "proxy-relay",
                severity,
                f"{flow.who(msg.sender)} relays {received.label} as {msg.label} but "
                f"{problem} (RFC 3261 §16.6, §16.7).",
            )


def _relay_changes(received: SipMessage, relayed: SipMessage) -> Iterator[tuple[str, str]]:
    before, after = _header_map(received), _header_map(relayed)
    for name in sorted(before.keys() - after.keys() - RELAY_MAY_REMOVE):
        yield ERROR, f"drops {name}: a proxy keeps every header field it has no reason to touch"
    for name in sorted(after.keys() - before.keys()):
        yield WARNING, f"adds {name}: a proxy adds header fields for itself, not for the UA"
    for name in sorted(before.keys() & after.keys()):
        if before[name] != after[name] and name not in RELAY_MAY_REMOVE:
            yield ERROR, f"changes {name}: a proxy passes it on as it came"
    if body_text(received) != body_text(relayed):
        yield ERROR, "changes the body: a proxy never adds to, modifies or removes it"


def _header_map(sip: SipMessage) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = defaultdict(list)
    for header in sip.headers:
        if header.name not in RELAY_MAY_CHANGE and header.name != "Content-Length":
            headers[header.name].append(_SPACE.sub(" ", header.value))
    return headers


CREDENTIALS = {"Authorization": "WWW-Authenticate", "Proxy-Authorization": "Proxy-Authenticate"}
CHALLENGE_ONLY = ("realm", "nonce", "opaque", "algorithm", "qop", "domain", "stale")


def check_credentials(flow: FlowAnalysis) -> Iterator[Finding]:
    for response in flow.responses():
        if response.origin is response:
            yield from _challenge_problems(response)
    for request in flow.requests():
        if request.origin is not request:
            continue
        for header, challenge_header in CREDENTIALS.items():
            for value in request.sip.header_values(header):
                yield from _credential_problems(flow, request, header, value, challenge_header)


def _challenge_problems(response: FlowMessage) -> Iterator[Finding]:
    for header in CREDENTIALS.values():
        for value in response.sip.header_values(header):
            extra = sorted(set(_digest_params(value)) - set(CHALLENGE_ONLY))
            if extra:
                yield Finding(
                    response.label,
                    "credentials",
                    ERROR,
                    f"{response.label}'s {header} carries {', '.join(extra)}, which only the "
                    f"client's credentials carry (RFC 3261 §25.1, digest-cln).",
                )


def _credential_problems(
    flow: FlowAnalysis, request: FlowMessage, header: str, value: str, asked: str
):
    acked = flow.acked_response(request) if request.sip.method == "ACK" else None
    if acked is not None and acked.status >= 300:
        invite = acked.request
        copies = [_SPACE.sub(" ", v) for v in invite.sip.header_values(header)] if invite else []
        if invite is not None and _SPACE.sub(" ", value) not in copies:
            yield Finding(
                request.label,
                "credentials",
                ERROR,
                f"{request.label}'s {header} is not a copy of {invite.label}'s: an ACK "
                f"duplicates the credentials of its INVITE (RFC 3261 §22.1).",
            )
        return
    challenge = _last_challenge(flow, request, asked)
    if challenge is None:
        return
    wanted, given = _digest_params(challenge.sip.header(asked) or ""), _digest_params(value)
    for name in ("realm", "nonce"):
        if given.get(name) != wanted.get(name):
            yield _credential_finding(
                request,
                header,
                challenge,
                f"{name} {given.get(name)}",
                f"{challenge.label}'s {wanted.get(name)}",
            )
    if "qop" in wanted and not {"qop", "nc", "cnonce"} <= given.keys():
        yield _credential_finding(
            request,
            header,
            challenge,
            "no qop, nc and cnonce",
            f"the qop {challenge.label} offered",
        )


def _credential_finding(
    request: FlowMessage, header: str, challenge: FlowMessage, got: str, want: str
):
    return Finding(
        request.label,
        "credentials",
        ERROR,
        f"{request.label}'s {header} has {got}, but it answers the challenge of "
        f"{challenge.label} and needs {want} (RFC 3261 §22.4, RFC 2617 §3.2.2).",
    )


def _last_challenge(flow: FlowAnalysis, request: FlowMessage, header: str) -> FlowMessage | None:
    challenges = [
        m
        for m in flow.in_call(request.call_id, before=request)
        if m.is_response and m.receiver == request.sender and m.sip.headers_named(header)
    ]
    return challenges[-1] if challenges else None


def _digest_params(value: str) -> dict[str, str]:
    """Digest parameters of a challenge or credentials, unquoted."""
    _, _, params = value.strip().partition(" ")
    pairs = (part.partition("=") for part in split_top_level(params, ","))
    return {name.strip().lower(): raw.strip().strip('"') for name, _, raw in pairs if name.strip()}


ADDRESS_HEADERS = ("From", "To", "Contact", "Route", "Record-Route", "Refer-To", "Referred-By")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def check_uri_scheme(flow: FlowAnalysis) -> Iterator[Finding]:
    for msg in flow.messages:
        for name in ADDRESS_HEADERS:
            for value in msg.sip.header_values(name):
                uri = parse_name_addr(value).uri
                if uri != "*" and not _SCHEME.match(uri):
                    yield Finding(
                        msg.label,
                        "uri-scheme",
                        ERROR,
                        f"{msg.label}'s {name} holds {uri}, which has no scheme: an address "
                        f"in SIP is a URI such as sips:{uri} (RFC 3261 §25.1, §20).",
                    )


# RFC 3840 §9's base feature tags, written without "+", and the other Contact parameters
# (RFC 3261 §20.10, RFC 5626, RFC 5627).
CONTACT_PARAMS = frozenset(
    "audio automata class duplex data control mobility description events priority methods "
    "schemes application video language type isfocus actor text extensions q expires reg-id "
    "pub-gruu temp-gruu".split()
)


# RFC 3840 §9's base feature tags: none of them is a From or To parameter.
FEATURE_TAGS = frozenset(
    "audio automata class duplex data control mobility description events priority methods "
    "schemes application video language type isfocus actor text extensions".split()
)


def check_feature_tags(flow: FlowAnalysis) -> Iterator[Finding]:
    for msg in flow.messages:
        if msg.origin is not msg:
            continue
        for value in msg.sip.header_values("Contact"):
            for name in parse_name_addr(value).params:
                problem = _feature_tag_problem(flow, msg, name)
                if problem:
                    yield Finding(msg.label, "feature-tags", WARNING, f"{msg.label}'s {problem}.")
        yield from _misplaced_feature_tags(msg)


def _misplaced_feature_tags(msg: FlowMessage) -> Iterator[Finding]:
    """Feature tags describe a device and go in Contact (RFC 3840 §9, §10), not in the
    From or To, which name a user."""
    for header in ("From", "To"):
        for value in msg.sip.header_values(header):
            for name in parse_name_addr(value).params:
                if name.startswith("+") or name in FEATURE_TAGS:
                    yield Finding(
                        msg.label,
                        "feature-tags",
                        WARNING,
                        f"{msg.label}'s {header} carries the feature tag ;{name}, which "
                        f"describes a device and belongs in its Contact (RFC 3840 §9, §10).",
                    )


def _feature_tag_problem(flow: FlowAnalysis, msg: FlowMessage, name: str) -> str | None:
    if not name.startswith("+") and name not in CONTACT_PARAMS:
        hint = "; the tag for machines is ;automata" if name.startswith("automat") else ""
        return (
            f"Contact has the parameter ;{name}, which is neither a base feature tag nor an "
            f"extension tag starting with '+', so no one understands it (RFC 3840 §9{hint})"
        )
    if name == "+sip.rendering" and _dialog_method(flow, msg) != "INVITE":
        return (
            "Contact has +sip.rendering, which is only for a dialog created by INVITE "
            "(RFC 4235 §5.2)"
        )
    return None


def _dialog_method(flow: FlowAnalysis, msg: FlowMessage) -> str | None:
    """The method that created the dialog the message belongs to (or would create)."""
    setup = flow.dialogs.get(msg.dialog_key)
    if setup is None or msg.method == "INVITE":
        return msg.method
    return "SUBSCRIBE" if setup.sip.method == "NOTIFY" else setup.method


# --- Replaces and Join ---------------------------------------------------------------------


@dataclass(frozen=True)
class _DialogReference:
    """A Replaces or Join: in an INVITE, or escaped in a URI that asks for such an INVITE."""

    where: str  # "Replaces", "the Replaces escaped in Refer-To", ...
    call_id: str
    to_tag: str | None
    from_tag: str | None
    target: str  # where the INVITE goes, or is asked to go
    recipient: str | None  # the participant it reaches, when the flow tells
    asker: str  # who wrote the message carrying it


def check_replaces_tags(flow: FlowAnalysis) -> Iterator[Finding]:
    yield from _dialog_reference_findings(flow, "Replaces", "replaces-tags", "RFC 3891 §3")


def check_join_tags(flow: FlowAnalysis) -> Iterator[Finding]:
    yield from _dialog_reference_findings(flow, "Join", "join-tags", "RFC 3911 §4")


def _dialog_reference_findings(flow: FlowAnalysis, header: str, rule: str, rfc: str):
    for msg in flow.messages:
        if msg.origin is not msg:
            continue  # a relay carries the same header as what it relays
        for reference in _dialog_references(flow, msg, header):
            for severity, problem in _reference_problems(flow, reference, rfc):
                yield Finding(msg.label, rule, severity, f"{msg.label}: {problem}.")
            if header == "Replaces":
                yield from _replacement_target(flow, msg, reference)


def _dialog_references(
    flow: FlowAnalysis, msg: FlowMessage, header: str
) -> Iterator[_DialogReference]:
    if msg.sip.method == "INVITE":
        for value in msg.sip.header_values(header):
            target = msg.sip.request_uri or ""
            yield _reference(header, value, target, _final_receiver(flow, msg), msg.author)
    uris = [parse_name_addr(v).uri for v in msg.sip.header_values("Refer-To")]
    where = f"the {header} escaped in Refer-To"
    if msg.sip.body and msg.sip.body.kind in ("html", "text"):
        uris += _HREF.findall(msg.sip.body.text)
        where = f"the {header} escaped in a link"
    for uri in uris:
        target, _, headers = _SPACE.sub("", uri).partition("?")
        for part in headers.split("&"):
            name, _, value = part.partition("=")
            if name.lower() == header.lower():
                recipient = flow.uri_owner(target)
                yield _reference(where, unquote(value), target, recipient, msg.author)


def _reference(where: str, value: str, target: str, recipient: str | None, asker: str):
    call_id, _, params_text = value.partition(";")
    params = parse_params(params_text)
    return _DialogReference(
        where,
        call_id.strip(),
        params.get("to-tag"),
        params.get("from-tag"),
        target,
        recipient,
        asker,
    )


def _final_receiver(flow: FlowAnalysis, request: FlowMessage) -> str | None:
    """Where a request ends up: the receiver of its last relay, unless that is a proxy."""
    receiver = [m for m in flow.in_call(request.call_id) if m.origin is request][-1].receiver
    roles = {p["key"]: p["role"] for p in flow.document["participants"]}
    return None if roles.get(receiver) == "proxy" else receiver


def _reference_problems(
    flow: FlowAnalysis, ref: _DialogReference, rfc: str
) -> Iterator[tuple[str, str]]:
    if not ref.to_tag or not ref.from_tag:
        yield ERROR, f"{ref.where} needs both a to-tag and a from-tag ({rfc})"
        return
    known = flow.dialogs_of_call(ref.call_id)
    if not known:
        yield ERROR, f"{ref.where} names Call-ID {ref.call_id}, but no dialog of this flow has it"
    elif frozenset((ref.to_tag, ref.from_tag)) not in known:
        described = "; ".join(
            " and ".join(
                flow.owner(ref.call_id, tag) for tag in sorted(t for t in pair if t is not None)
            )
            for pair in known
        )
        yield (
            ERROR,
            (
                f"{ref.where} names the dialog {ref.call_id} with to-tag {ref.to_tag} and from-tag "
                f"{ref.from_tag}, but that call's dialog has tags {described}"
            ),
        )
    else:
        yield from _orientation_problems(flow, ref, rfc)


def _recipient(flow: FlowAnalysis, ref: _DialogReference) -> str | None:
    """Who receives the INVITE; for a REFER from one party of the dialog, the other party."""
    if ref.recipient is not None:
        return ref.recipient
    owners = [flow.tag_owner.get((ref.call_id, tag or "")) for tag in (ref.to_tag, ref.from_tag)]
    others = [owner for owner in owners if owner != ref.asker]
    return others[0] if ref.asker in owners and others else None


def _orientation_problems(
    flow: FlowAnalysis, ref: _DialogReference, rfc: str
) -> Iterator[tuple[str, str]]:
    key = _recipient(flow, ref)
    if key is None:
        return
    owners = {flow.tag_owner.get((ref.call_id, tag or "")) for tag in (ref.to_tag, ref.from_tag)}
    recipient = flow.who(key)
    if key not in owners:
        parties = " and ".join(flow.who(o) for o in owners if o)
        yield (
            ERROR,
            (
                f"{ref.where} names a dialog between {parties}, but the INVITE goes to "
                f"{recipient}, who is not in it"
            ),
        )
    elif flow.tag_owner.get((ref.call_id, ref.to_tag or "")) != key:
        yield (
            ERROR,
            (
                f"{ref.where} has the tags the wrong way round: {recipient} receives the INVITE, "
                f"so to-tag must be {recipient}'s own tag {ref.from_tag} and from-tag the other "
                f"party's tag {ref.to_tag} ({rfc}: the tags are read as if in a request "
                f"{recipient} receives)"
            ),
        )


def _replacement_target(
    flow: FlowAnalysis, msg: FlowMessage, ref: _DialogReference
) -> Iterator[Finding]:
    """RFC 3891 §4: a replacing INVITE goes to the Contact of the dialog it replaces."""
    key = _recipient(flow, ref)
    contacts = [
        m
        for m in flow.in_call(ref.call_id, before=msg)
        if m.author == key and m.contact and m.author_tag in (ref.to_tag, ref.from_tag)
    ]
    if contacts and contacts[-1].contact != ref.target:
        yield Finding(
            msg.label,
            "replaces-tags",
            WARNING,
            f"{msg.label}: {ref.where} asks for an INVITE to {ref.target}, but a replacing "
            f"INVITE should go to {flow.who(key or '')}'s Contact in the dialog it replaces, "
            f"{contacts[-1].contact} ({contacts[-1].label}), so that it reaches the device "
            f"that holds that dialog (RFC 3891 §4).",
        )


# --- SDP -------------------------------------------------------------------------------------


def check_sdp(flow: FlowAnalysis) -> Iterator[Finding]:
    for msg in flow.messages:
        if msg.sip.body is None or msg.sip.body.kind != "sdp" or msg.is_unchanged_relay:
            continue
        for problem in _sdp_problems(msg.sip):
            yield Finding(msg.label, "sdp", ERROR, f"{msg.label}'s SDP {problem}.")


def _sdp_problems(sip: SipMessage) -> Iterator[str]:
    assert sip.body is not None
    lines = sip.body.sdp
    yield from _sdp_order_problems(lines)
    for line in lines:
        if line.type == "s" and line.value == "":
            yield (
                "has an empty s= line: SDP does not allow it; write 's=-' or 's= ' (RFC 3264 §5)"
            )
        elif line.type != "s" and line.value[:1].isspace():
            yield f"line {line.line} has a space after '{line.type}=': SDP allows none there"
        elif line.type in SDP_FIELDS and len(line.value.split()) != SDP_FIELDS[line.type]:
            yield (
                f"line {line.line} ({line.type}=) has {len(line.value.split())} fields, "
                f"not {SDP_FIELDS[line.type]} (RFC 4566 §5)"
            )
        elif line.type == "m" and len(line.value.split()) < 4:
            yield f"line {line.line} (m=) needs media, port, protocol and formats (RFC 4566 §5.14)"
    yield from _sdp_connection_problems(lines)


def _sdp_order_problems(lines: list[SdpLine]) -> Iterator[str]:
    rank, order, previous = -1, SDP_SESSION_ORDER, None
    for line in lines:
        if line.type == "m":
            rank, order = 0, SDP_MEDIA_ORDER
        elif line.type in order and line.type != "v":
            if order[line.type] < rank:
                yield (
                    f"line {line.line} ({line.type}=) comes after {previous}=: the order is "
                    f"v o s i u e p c b t r z k a, then each m= with i c b k a (RFC 4566 §5)"
                )
            rank = max(rank, order[line.type])
        previous = line.type


def _sdp_connection_problems(lines: list[SdpLine]) -> Iterator[str]:
    sections: list[list[str]] = [[]]
    for line in lines:
        if line.type == "m":
            sections.append([])
        sections[-1].append(line.type)
    session, media = sections[0], sections[1:]
    if "c" not in session and any("c" not in section for section in media):
        yield "has a media stream without a c= line, and no c= at session level (RFC 4566 §5.7)"


class _Description(NamedTuple):
    """One side's session description as a message carries it."""

    msg: FlowMessage
    origin: list[str]  # the six fields of o=
    rest: list[tuple[str, str]]  # every other line


def check_sdp_origin(flow: FlowAnalysis) -> Iterator[Finding]:
    last: dict[tuple[str | None, str | None], _Description] = {}
    sessions: dict[tuple[str, ...], FlowMessage] = {}
    for msg in flow.messages:
        body = msg.sip.body
        if body is None or body.kind != "sdp" or msg.origin is not msg:
            continue  # a relay that changes the SDP is proxy-relay's business
        origin = next((line.value.split() for line in body.sdp if line.type == "o"), [])
        if len(origin) != 6:
            continue  # the sdp rule says what is wrong with it
        rest = [(line.type, line.value) for line in body.sdp if line.type != "o"]
        described = _Description(msg, origin, rest)
        key = (msg.call_id, msg.author_tag)  # one side of one dialog
        if key in last:
            yield from _origin_problems(flow, last[key], described)
        else:
            yield from _reused_origin(msg, sessions.get(_identity(origin)))
        last[key] = described
        sessions.setdefault(_identity(origin), msg)


def _identity(origin: list[str]) -> tuple[str, ...]:
    """All of o= but the version: the globally unique name of a session (RFC 4566 §5.2)."""
    return (*origin[:2], *origin[3:])


def _reused_origin(msg: FlowMessage, first: FlowMessage | None) -> Iterator[Finding]:
    if first is not None:
        yield Finding(
            msg.label,
            "sdp-origin",
            WARNING,
            f"{msg.label} starts a new session (Call-ID {msg.call_id}) with the o= line of "
            f"{first.label}, another session: username, session id and address together name "
            f"one session, globally (RFC 4566 §5.2).",
        )


def _origin_problems(flow: FlowAnalysis, old: _Description, new: _Description) -> Iterator[Finding]:
    label, who, why = new.msg.label, flow.who(new.msg.author), "(RFC 3264 §8)"
    for index, name in ((1, "session id"), (0, "username"), (5, "address")):
        if new.origin[index] != old.origin[index]:
            yield Finding(
                label,
                "sdp-origin",
                ERROR,
                f"{label}: {who}'s o= {name} changed from {old.origin[index]} "
                f"({old.msg.label}) to {new.origin[index]}: within one session the o= line "
                f"stays the same except for the version {why}.",
            )
    if not (new.origin[2].isdigit() and old.origin[2].isdigit()):
        return
    version, old_version = int(new.origin[2]), int(old.origin[2])
    if version == old_version and new.rest != old.rest:
        problem = f"changes the SDP of {old.msg.label} but keeps its o= version {version}"
    elif version not in (old_version, old_version + 1):
        problem = (
            f"has o= version {version} after {old_version} in {old.msg.label}: the version "
            f"grows by one with each changed description"
        )
    else:
        return
    yield Finding(label, "sdp-origin", ERROR, f"{label}: {who}'s SDP {problem} {why}.")


def check_dialog_info_version(flow: FlowAnalysis) -> Iterator[Finding]:
    last: dict[tuple, tuple[FlowMessage, int]] = {}
    for notify in flow.requests("NOTIFY"):
        body = notify.sip.body
        if body is None or body.kind != "dialog-info" or notify.origin is not notify:
            continue
        version = _dialog_info_version(body.text)
        if version is None:
            continue
        event = parse_params((notify.sip.header("Event") or "").partition(";")[2]).get("id")
        key = (notify.call_id, notify.from_tag, notify.to_tag, event)
        expected, after = _expected_version(flow, notify, last.get(key))
        if expected is not None and version != expected:
            yield Finding(
                notify.label,
                "dialog-info-version",
                ERROR,
                f"{notify.label}'s dialog-info has version {version} but {after}: versions "
                f"start at 0 and grow by one per document sent to a subscriber "
                f"(RFC 4235 §4.1).",
            )
        last[key] = (notify, version)


def _dialog_info_version(text: str) -> int | None:
    """The version attribute of the first <dialog-info> tag that has one.

    Each stretch of text is looked at once: a tag runs to its '>', and tags opened inside an
    unclosed one end where it ends, so they cannot hold a version it does not."""
    position = 0
    while (tag := _DIALOG_INFO_TAG.search(text, position)) is not None:
        end = text.find(">", tag.end())
        end = len(text) if end == -1 else end
        version = _VERSION_ATTRIBUTE.search(text, tag.end(), end)
        if version is not None:
            return int(version[1])
        position = end
    return None


def _expected_version(
    flow: FlowAnalysis, notify: FlowMessage, previous: tuple[FlowMessage, int] | None
) -> tuple[int | None, str]:
    """The version the NOTIFY's document should have, and why."""
    if previous is not None:
        return previous[1] + 1, f"{previous[0].label} had version {previous[1]}"
    initial = [
        m
        for m in flow.in_call(notify.call_id, before=notify)
        if m.sip.method == "SUBSCRIBE" and not m.to_tag and m.from_tag == notify.to_tag
    ]
    if initial:
        return 0, f"it is the first document of the subscription {initial[-1].label} started"
    return None, ""


def check_media_direction(flow: FlowAnalysis) -> Iterator[Finding]:
    """A media leg goes the way the two ends' session descriptions let it (RFC 3264 §6.1)."""
    messages = iter(flow.messages)
    latest: dict[str, FlowMessage] = {}  # each lane's last SDP, as the flow reaches the leg
    pending = next(messages, None)
    for index, step in enumerate(flow.document["steps"]):
        while pending is not None and pending.position < index:
            body = pending.sip.body
            if body is not None and body.kind == "sdp" and pending.origin is pending:
                latest[pending.author] = pending
            pending = next(messages, None)
        if step["kind"] == "media" and step["media"] != "none":
            problem = _direction_problem(flow, step, latest)
            if problem:
                yield Finding(step["label"], "media-direction", WARNING, problem)


def _direction_problem(
    flow: FlowAnalysis, step: dict[str, Any], latest: dict[str, FlowMessage]
) -> str | None:
    sender, receiver = latest.get(step["from"]), latest.get(step["to"])
    if sender is None or receiver is None or sender.call_id != receiver.call_id:
        return None  # the flow does not show the session both ends agreed on
    wants = {"sendonly": (True, False), "recvonly": (False, True), "inactive": (False, False)}
    for msg, sends in ((sender, True), (receiver, False)):
        direction = _sdp_direction(msg)
        can_send, can_receive = wants.get(direction, (True, True))
        two_way = step["media"] == "two-way"
        if (two_way or sends) and not can_send or (two_way or not sends) and not can_receive:
            return (
                f"{step['label']} is drawn {step['media']} between {flow.who(step['from'])} "
                f"and {flow.who(step['to'])}, but {flow.who(msg.author)}'s last session "
                f"description ({msg.label}) says a={direction} (RFC 3264 §6.1)."
            )
    return None


def _sdp_direction(msg: FlowMessage) -> str:
    """The direction of a description's first stream: its own attribute, else the session's."""
    assert msg.sip.body is not None
    session, media, in_media = "sendrecv", None, False
    for line in msg.sip.body.sdp:
        if line.type == "m":
            if in_media:
                break
            in_media = True
        elif line.type == "a" and line.value in ("sendrecv", "sendonly", "recvonly", "inactive"):
            if in_media:
                media = line.value
            else:
                session = line.value
    return media or session


# --- prose and captions --------------------------------------------------------------------


def check_participants_named(flow: FlowAnalysis) -> Iterator[Finding]:
    document = flow.document
    people = _people_of(document)
    quoted = [_SPACE.sub(" ", n.get("as_written", "")).strip() for n in document.get("notes", [])]
    lanes = ", ".join(p["name"] for p in document["participants"])
    for step, where, texts, discussed in _prose(document):
        named = _cast_in(" ".join(_without_quotes_of(t, quoted) for t in texts))
        for name in sorted(named - people - _cast_in(discussed), key=CAST.index):
            yield Finding(
                step,
                "participants-named",
                WARNING,
                f"{where} names {name}, who is not in this flow (its people are {lanes}).",
            )


def _people_of(document: dict[str, Any]) -> set[str]:
    """Cast names of the flow: in a participant's name or anywhere in its messages."""
    names = " ".join(p["name"] for p in document["participants"])
    messages = " ".join(s.get("message", "") for s in document["steps"])
    return _cast_in(names) | _cast_in(messages, _CAST_ANY_CASE)


def _cast_in(text: str, pattern: re.Pattern = _CAST_NAME) -> set[str]:
    return {match.capitalize() for match in pattern.findall(text)}


def _prose(document: dict[str, Any]) -> Iterator[tuple[str | None, str, list[str], str]]:
    """(step, where, texts, quoted source) for each piece of prose, all languages together.

    A note may name whoever its as_written names: it is discussing that wording.
    """
    yield None, "The summary", list(document.get("summary", {}).values()), ""
    for step in document["steps"]:
        label = step["label"]
        yield label, f"The annotation of {label}", list(step.get("annotation", {}).values()), ""
        yield label, f"The text of {label}", list(step.get("text", {}).values()), ""
    for note in document.get("notes", []):
        step = note.get("step")
        where = f"A note on {step}" if step else "A note on the flow"
        texts = [*note.get("discussion", {}).values(), note.get("correction", "")]
        yield step, where, texts, note.get("as_written", "")


def _without_quotes_of(text: str, quoted: list[str]) -> str:
    """The text minus quotations of the RFC's own words (a note's as_written)."""
    kept, position = [], 0
    for start, end in _quotations(text):
        inner = _SPACE.sub(" ", text[start + 1 : end - 1]).strip()
        if any(inner in source for source in quoted if source):
            kept.append(text[position:start])
            position = end
    return "".join(kept) + text[position:]


def _quotations(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each quotation, leftmost first: an opening mark, at least one
    character, its closing mark. Each mark is looked for once past the previous one, so
    the time is linear however many marks are left open."""
    next_open = {mark: text.find(mark) for mark in QUOTES}
    position = 0
    while True:
        open_at = {mark: at for mark, at in next_open.items() if at != -1}
        if not open_at:
            return
        mark = min(open_at, key=open_at.__getitem__)
        start = open_at[mark]
        close = text.find(QUOTES[mark], start + 1)
        if close == -1:  # no closing mark is left for this kind of quotation
            next_open[mark] = -1
            continue
        if close == start + 1:  # an empty quotation is none: its closing mark may open one
            position = start + 1
        else:
            yield start, close + 1
            position = close + 1
        for other, at in next_open.items():
            if at != -1 and at < position:
                next_open[other] = text.find(other, position)


def check_label_start_line(flow: FlowAnalysis) -> Iterator[Finding]:
    for msg in flow.messages:
        actual = str(msg.status) if msg.is_response else msg.sip.method
        caption = flow.captions.get(msg.label, "")
        said = _caption_says(caption)
        if said is not None and said != actual:
            yield Finding(
                msg.label,
                "label-start-line",
                ERROR,
                f"The diagram labels {msg.label} '{caption}' but the message is "
                f"'{msg.sip.start_line}'.",
            )
        heading = flow.headings.get(msg.label, "")
        problem = _heading_problem(msg, heading.partition("->")[0].split(), actual)
        if problem:
            yield Finding(
                msg.label,
                "label-start-line",
                ERROR,
                f"The listing heads {msg.label} '{heading}' but the message is "
                f"'{msg.sip.start_line}': {problem} (RFC 3261 §7.1, §7.2).",
            )


# Reason phrases of responses (RFC 3261 §21) that a heading may give after a status code.
REASON_WORDS = frozenset(
    "OK Trying Ringing Accepted Busy Unauthorized Forbidden Found Progress Queued "
    "Terminated Unavailable Declined Required".split()
)


def _heading_problem(msg: FlowMessage, words: list[str], actual: str | None) -> str | None:
    """What a listing heading ("200 OK Bob", "INVITE Alice") says that the message is not."""
    if not words:
        return None
    first = words[0].strip("()")
    if re.fullmatch(r"[1-6]\d\d", first):
        return None if first == actual else f"the heading names a {first} response"
    if not _CAPTION_SAYS.fullmatch(first):
        return None  # the heading does not name the message (ISUP, a description...)
    if first != actual:
        return f"the heading names a {first}"
    if msg.is_request and len(words) > 1 and words[1] in REASON_WORDS:
        return f"{first} is a request, but '{words[1]}' is the reason phrase of a response"
    return None


def _caption_says(caption: str) -> str | None:
    """The status code or method a caption names, if any."""
    said = _CAPTION_SAYS.search(caption)
    return said[0] if said else None


CHECKS: dict[str, Callable[[FlowAnalysis], Iterator[Finding]]] = {
    "message-parse": check_message_parse,
    "response-matches-request": check_response_matches_request,
    "response-path": check_response_path,
    "ack": check_ack,
    "cancel": check_cancel,
    "branch-unique": check_branch_unique,
    "dialog-tags": check_dialog_tags,
    "cseq-order": check_cseq_order,
    "remote-target": check_remote_target,
    "request-target": check_request_target,
    "max-forwards": check_max_forwards,
    "via-sent-by": check_via_sent_by,
    "via-received": check_via_received,
    "required-headers": check_required_headers,
    "proxy-relay": check_proxy_relay,
    "credentials": check_credentials,
    "uri-scheme": check_uri_scheme,
    "feature-tags": check_feature_tags,
    "replaces-tags": check_replaces_tags,
    "join-tags": check_join_tags,
    "sdp": check_sdp,
    "sdp-origin": check_sdp_origin,
    "dialog-info-version": check_dialog_info_version,
    "media-direction": check_media_direction,
    "participants-named": check_participants_named,
    "label-start-line": check_label_start_line,
}
assert tuple(CHECKS) == RULES
