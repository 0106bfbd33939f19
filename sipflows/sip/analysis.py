"""One analysis of a flow, shared by the checker and the learner's views (pure code).

A flow's messages are parsed once and related: which message a proxy relays as which (by its
Vias), which request a response answers on its hop (top Via and CSeq method, RFC 3261
§17.1.3), which dialogs are set up (Call-ID and the pair of tags, §12), whose tag, URI and
host each one is.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .message import SipMessage, Via, parse_message, parse_name_addr

# Requests and responses to them whose Contact sets the remote target (RFC 3261 §12,
# RFC 3311, RFC 6665 §4.1.2, RFC 3515).
TARGET_REFRESH = frozenset({"INVITE", "UPDATE", "SUBSCRIBE", "NOTIFY", "REFER"})
DIALOG_CREATING = frozenset({"INVITE", "SUBSCRIBE", "REFER"})


ViaKey = tuple[str, str | None]  # (sent-by, branch): what identifies a hop's transaction
DialogKey = tuple[str | None, frozenset[str | None]]  # Call-ID and the two tags


@dataclass(eq=False)
class FlowMessage:
    """One message step, with what the flow tells about it."""

    position: int
    label: str
    sender: str
    receiver: str
    sip: SipMessage
    vias: tuple[ViaKey, ...]
    received: FlowMessage | None = None  # the message a proxy received and relays as this one
    request: FlowMessage | None = None  # for a response: the request it answers on this hop

    @property
    def origin(self) -> FlowMessage:
        """The first hop of a relayed message."""
        return self.received.origin if self.received else self

    @property
    def author(self) -> str:
        return self.origin.sender

    @property
    def is_request(self) -> bool:
        return self.sip.kind == "request"

    @property
    def is_response(self) -> bool:
        return self.sip.kind == "response"

    @cached_property
    def method(self) -> str | None:
        """The request's method, or for a response the method of its CSeq."""
        if self.is_request:
            return self.sip.method
        return self.cseq[1] if self.cseq else None

    @cached_property
    def cseq(self) -> tuple[int, str] | None:
        return self.sip.cseq

    @cached_property
    def from_tag(self) -> str | None:
        return self.sip.from_tag

    @cached_property
    def to_tag(self) -> str | None:
        return self.sip.to_tag

    @cached_property
    def number(self) -> int | None:
        return self.cseq[0] if self.cseq else None

    @property
    def status(self) -> int:
        return self.sip.status_code or 0

    @cached_property
    def call_id(self) -> str | None:
        return self.sip.call_id

    @cached_property
    def author_tag(self) -> str | None:
        """The tag of the side that wrote the message: From for requests, To for responses."""
        return self.from_tag if self.is_request else self.to_tag

    @cached_property
    def peer_tag(self) -> str | None:
        return self.to_tag if self.is_request else self.from_tag

    @cached_property
    def dialog_key(self) -> DialogKey:
        return self.call_id, frozenset((self.from_tag, self.to_tag))

    @cached_property
    def contact(self) -> str | None:
        value = self.sip.header("Contact")
        return parse_name_addr(value).uri if value else None

    @property
    def is_unchanged_relay(self) -> bool:
        """A relayed message whose body is what the proxy received (checked there already)."""
        return self.received is not None and body_text(self.received.sip) == body_text(self.sip)


class FlowAnalysis:
    """The parsed messages of a document and the relations between them."""

    def __init__(
        self,
        document: dict[str, Any],
        captions: Mapping[str, str],
        headings: Mapping[str, str] | None = None,
    ):
        self.document, self.captions = document, captions
        self.headings = headings or {}  # F-label -> the listing's heading ("ACK Carol -> Bob")
        self.names = {p["key"]: p["name"] for p in document["participants"]}
        self.labels = [step["label"] for step in document["steps"]]
        self.all_messages = [
            FlowMessage(
                index,
                step["label"],
                step["from"],
                step["to"],
                sip,
                tuple((v.sent_by.lower(), v.branch) for v in sip.vias),
            )
            for index, step in enumerate(document["steps"])
            if step["kind"] == "message"
            for sip in [parse_message(step["message"])]
        ]
        self.messages = [m for m in self.all_messages if m.sip.kind != "unknown"]
        # Messages are related within their call and their hop, so each message is compared
        # with its call's and its top Via's messages only: time grows with the flow.
        self.calls: dict[str | None, list[FlowMessage]] = defaultdict(list)
        self.requests_by_top_via: dict[ViaKey, list[FlowMessage]] = defaultdict(list)
        self.answers: dict[int, list[FlowMessage]] = defaultdict(list)
        for msg in self.messages:
            msg.received = relayed_from(msg, self.calls[msg.call_id])
            if msg.is_response:
                hop = self.requests_by_top_via.get(msg.vias[0], []) if msg.vias else []
                msg.request = answered_request(msg, hop)
                if msg.request is not None:
                    self.answers[msg.request.position].append(msg)
            elif msg.vias:
                self.requests_by_top_via[msg.vias[0]].append(msg)
            self.calls[msg.call_id].append(msg)
        self.tag_owner = self._tag_owners()
        self.uri_owners = self._uri_owners()
        self._count_hosts()
        self._count_addresses()
        self.dialogs = self._dialogs()
        self._acked: dict[int, FlowMessage | None] = {}

    def who(self, key: str) -> str:
        return self.names.get(key, key)

    def before(self, msg: FlowMessage) -> list[FlowMessage]:
        return [m for m in self.messages if m.position < msg.position]

    def in_call(self, call_id: str | None, before: FlowMessage | None = None) -> list[FlowMessage]:
        """The messages of one call (Call-ID), all or those before `before`."""
        messages = self.calls.get(call_id, [])
        if before is None:
            return messages
        return [m for m in messages if m.position < before.position]

    def requests(self, method: str | None = None) -> Iterator[FlowMessage]:
        return (m for m in self.messages if m.is_request and method in (None, m.sip.method))

    def responses(self) -> Iterator[FlowMessage]:
        return (m for m in self.messages if m.is_response)

    def _tag_owners(self) -> dict[tuple[str | None, str], str]:
        owners: dict[tuple[str | None, str], str] = {}
        for msg in self.messages:
            if msg.author_tag:
                owners.setdefault((msg.call_id, msg.author_tag), msg.author)
        return owners

    def _uri_owners(self) -> dict[str, str]:
        """Whose address a URI is: the From and Contact of requests one sends, the To and
        Contact of responses one sends."""
        owners: dict[str, str] = {}
        for msg in self.messages:
            mine = ("From", "Contact") if msg.is_request else ("To", "Contact")
            for name in mine:
                for value in msg.sip.header_values(name):
                    owners.setdefault(bare_uri(parse_name_addr(value).uri), msg.author)
        return owners

    def _count_hosts(self) -> None:
        """Whose address (host and port) a name is: the top Via of the requests one sends and
        the Contact of the messages one writes; with the first step that shows it."""
        self.host_votes: dict[str, Counter] = defaultdict(Counter)
        self.host_seen: dict[tuple[str, str], str] = {}
        for msg in self.messages:
            top = msg.sip.vias[0] if msg.sip.vias else None
            claims = [(via_address(top), msg.sender)] if msg.is_request and top else []
            claims += [(address_of(msg.contact), msg.author)] if msg.contact else []
            for host, who in claims:
                self.host_votes[host][who] += 1
                self.host_seen.setdefault((host, who), msg.label)

    def _count_addresses(self) -> None:
        """The source addresses recorded for each Via host and the other way round, with the
        first step showing each pair."""
        self.received_by_host: dict[str, Counter] = defaultdict(Counter)
        self.hosts_by_address: dict[str, Counter] = defaultdict(Counter)
        self.received_seen: dict[tuple[str, str], list[str]] = defaultdict(list)
        for msg in self.messages:
            for via in msg.sip.vias:
                received, host = via.params.get("received"), host_of(via.sent_by)
                if received:
                    self.received_by_host[host][received] += 1
                    self.hosts_by_address[received][host] += 1
                    labels = self.received_seen[(host, received)]
                    labels += [msg.label] if msg.label not in labels else []

    def uri_owner(self, uri: str) -> str | None:
        return self.uri_owners.get(bare_uri(uri))

    def owner(self, call_id: str | None, tag: str) -> str:
        key = self.tag_owner.get((call_id, tag))
        return f"{tag} ({self.who(key)})" if key else tag

    def _dialogs(self) -> dict[DialogKey, FlowMessage]:
        """Dialogs set up in the flow, each with the first message that set it up."""
        dialogs: dict[DialogKey, FlowMessage] = {}
        for msg in self.messages:
            if sets_up_dialog(msg, self.calls[msg.call_id]):
                dialogs.setdefault(msg.dialog_key, msg)
        return dialogs

    def dialogs_of_call(self, call_id: str | None) -> list[frozenset[str | None]]:
        return [tags for (cid, tags) in self.dialogs if cid == call_id]

    def acked_response(self, ack: FlowMessage) -> FlowMessage | None:
        """The final response to an INVITE that an ACK acknowledges, as its sender got it."""
        if ack.position not in self._acked:
            finals = [
                m
                for m in self.in_call(ack.call_id, before=ack)
                if m.is_response
                and m.status >= 200
                and m.method == "INVITE"
                and m.call_id == ack.call_id
            ]
            received = [m for m in finals if m.receiver == ack.sender]
            same_tag = [m for m in finals if m.to_tag == ack.to_tag]
            # The tag names the response even when the ladder draws it to someone else.
            best = [m for m in received if m in same_tag] or same_tag or received
            self._acked[ack.position] = best[-1] if best else None
        return self._acked[ack.position]

    def is_non_2xx_ack(self, msg: FlowMessage) -> bool:
        if msg.sip.method != "ACK":
            return False
        acked = self.acked_response(msg)
        return acked is not None and acked.status >= 300


def bare_uri(uri: str) -> str:
    """user@host of a URI, for telling whose address it is."""
    address = uri.partition(":")[2] if ":" in uri.split("@")[0] else uri
    return re.split(r"[;?>]", address, maxsplit=1)[0].lower()


def body_text(sip: SipMessage) -> str | None:
    return sip.body.text if sip.body else None


def relayed_from(msg: FlowMessage, earlier: list[FlowMessage]) -> FlowMessage | None:
    """The message a proxy received and relays as `msg`: it shows in the Vias.

    A relayed request has the proxy's Via on top of the received ones; a relayed response has
    its top Via among the received one's (exactly below the proxy's, when done right).
    """
    if not msg.vias:
        return None
    for other in reversed(earlier):
        if other.receiver != msg.sender or other.sip.kind != msg.sip.kind:
            continue
        if other.call_id != msg.call_id or other.cseq != msg.cseq:
            continue
        if msg.is_request and msg.vias[1:] == other.vias:
            return other
        if msg.is_response and other.status == msg.status and msg.vias[0] in other.vias[1:]:
            return other
        if msg.is_response and other.status == msg.status and msg.vias == other.vias:
            return other  # relayed with the proxy's own Via still on top
    return None


def answered_request(response: FlowMessage, earlier: list[FlowMessage]) -> FlowMessage | None:
    """The request with the response's top Via and CSeq method (RFC 3261 §17.1.3)."""
    for other in reversed(earlier):
        if (
            other.is_request
            and other.sip.method not in ("ACK", None)
            and other.sip.method == response.method
            and other.vias[:1] == response.vias[:1]
            and response.vias
        ):
            return other
    return None


def sets_up_dialog(msg: FlowMessage, messages: list[FlowMessage]) -> bool:
    """A 1xx/2xx with a To tag to a dialog-creating request, or a NOTIFY of a subscription."""
    if not (msg.from_tag and msg.to_tag):
        return False
    if msg.is_response:
        initial = msg.request is None or msg.request.to_tag is None
        return initial and 101 <= msg.status < 300 and msg.method in DIALOG_CREATING
    return msg.sip.method == "NOTIFY" and any(
        m.sip.method in ("SUBSCRIBE", "REFER")
        and m.call_id == msg.call_id
        and m.from_tag == msg.to_tag
        for m in messages
        if m.is_request
    )


def via_address(via: Via) -> str:
    """host:port of a Via, its transport deciding the default port."""
    return address_of(via.sent_by, secure=via.transport.upper() == "TLS")


def address_of(sent_by_or_uri: str, secure: bool = False) -> str:
    """host:port of a sent-by or a SIP URI, the port made explicit (5060, or 5061 for TLS
    and sips:, RFC 3261 §19.1.2, §18.2.2): one host may hold several participants."""
    address = sent_by_or_uri.rpartition("@")[2] if "@" in sent_by_or_uri else sent_by_or_uri
    secure = secure or sent_by_or_uri.lower().startswith("sips:")
    address = address.partition(":")[2] if address.startswith(("sip:", "sips:")) else address
    hostport = re.split(r"[;?>]", address, maxsplit=1)[0].lower()
    if hostport.startswith("["):  # an IPv6 reference: [2001:db8::1]:5060
        host, _, port = hostport.partition("]")
        host, port = host + "]", port.lstrip(":")
    else:
        host, _, port = hostport.partition(":")
    return f"{host}:{port or (5061 if secure else 5060)}"


def host_of(sent_by_or_uri: str) -> str:
    """The host of a sent-by ("host:5061") or of a SIP URI."""
    address = sent_by_or_uri.rpartition("@")[2] if "@" in sent_by_or_uri else sent_by_or_uri
    address = address.partition(":")[2] if address.startswith(("sip:", "sips:")) else address
    return re.split(r"[:;?>]", address, maxsplit=1)[0].lower()
