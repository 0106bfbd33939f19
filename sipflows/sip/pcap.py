"""Reading a packet capture (pcap or pcapng) back into flow documents (pure code).

SIP over UDP (IP fragments joined) and TCP (streams reassembled), on any port. Lanes are SIP
endpoints, an address and a port, named from the messages; a proxy shows itself by re-sending
a request it received with one more Via. Retransmissions (the same bytes on the same hop, up
to Via received/rport) are folded into the first copy and said so. Messages are grouped into
flows by Call-ID, by the dialogs they name (Replaces, Join, Target-Dialog, Refer-To
?Replaces=, dialog-info call-id) and by the user agents they share close in time. RTP becomes
media legs per stream and direction, cut where the stream pauses; no payload is kept.
Anything that cannot be read is reported with its packet number.
"""

from __future__ import annotations

import io
import ipaddress
import re
import struct
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import dpkt

from .flowdoc import FlowDocumentError, validate_document
from .message import SipMessage, parse_message

Endpoint = tuple[str, int]  # address and port

JOIN_GAP_S = 10.0  # dialogs of the same user agents this close in time belong to one flow
RTP_PAUSE_S = 0.3  # a stream silent this long ends a media leg
MAX_RECORD_BYTES = 1 << 20
SIP_START = re.compile(rb"^(?:[A-Z]+ \S+ SIP/2\.0|SIP/2\.0 \d{3} )")
SIP_PORTS = (5060, 5061)
RTP_PAYLOADS = {0: "PCMU", 3: "GSM", 4: "G723", 8: "PCMA", 9: "G722", 18: "G729"}

LINK_ETHERNET, LINK_NULL, LINK_RAW, LINK_SLL, LINK_SLL2 = 1, 0, 101, 113, 276
LINK_LOOP, LINK_IPV4, LINK_IPV6 = 108, 228, 229
LINK_NAMES = {
    LINK_NULL: "BSD loopback",
    LINK_ETHERNET: "Ethernet",
    LINK_RAW: "raw IP",
    LINK_LOOP: "OpenBSD loopback",
    LINK_SLL: "Linux cooked",
    LINK_SLL2: "Linux cooked v2",
    LINK_IPV4: "IPv4",
    LINK_IPV6: "IPv6",
}


class CaptureError(ValueError):
    """A capture that cannot be read at all; str() names the packet where it can."""


@dataclass
class Captured:
    """One SIP message as it crossed the wire."""

    number: int  # the packet holding its first byte
    time: float
    src: Endpoint
    dst: Endpoint
    transport: str  # UDP or TCP
    data: bytes
    sip: SipMessage
    retransmissions: list[int] = field(default_factory=list)  # their packet numbers


@dataclass
class RtpPacket:
    number: int
    time: float
    src: Endpoint
    dst: Endpoint
    ssrc: int
    seq: int
    payload_type: int


@dataclass
class Capture:
    messages: list[Captured]
    rtp: list[RtpPacket]
    problems: list[str]  # "packet 12: ..."
    packets: int


@dataclass
class CaptureImport:
    documents: list[dict[str, Any]]
    problems: list[str]


def import_capture(data: bytes, *, name: str) -> CaptureImport:
    """Flow documents from a capture; CaptureError if it holds no SIP that can be read."""
    capture = read_capture(data)
    if not capture.messages:
        raise CaptureError(
            f"{name}: no SIP message in {capture.packets} packet(s)"
            + (f" ({capture.problems[0]})" if capture.problems else "")
        )
    documents = flow_documents(capture, name=name)
    return CaptureImport(documents, capture.problems)


# --- packets ---------------------------------------------------------------------------------


def read_capture(data: bytes) -> Capture:
    linktype, records = _records(data)
    if linktype not in LINK_NAMES:
        raise CaptureError(
            f"link type {linktype} is not one sipflows reads "
            f"(it reads {', '.join(sorted(LINK_NAMES.values()))})"
        )
    reader = _Reader()
    count = 0
    for number, time, frame in records:
        count = number
        reader.packet(number, time, _network_layer(linktype, frame))
    return reader.finish(count)


def _records(data: bytes) -> tuple[int, Iterator[tuple[int, float, bytes]]]:
    magic = data[:4]
    if magic in (
        b"\xd4\xc3\xb2\xa1",
        b"\x4d\x3c\xb2\xa1",
        b"\xa1\xb2\xc3\xd4",
        b"\xa1\xb2\x3c\x4d",
    ):
        return _classic(data)
    if magic == b"\x0a\x0d\x0d\x0a":
        return _pcapng(data)
    raise CaptureError("not a pcap or pcapng capture (its first bytes say neither)")


def _classic(data: bytes) -> tuple[int, Iterator[tuple[int, float, bytes]]]:
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    divisor = 1e9 if data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1e6
    if len(data) < 24:
        raise CaptureError("the capture ends inside its file header (truncated)")
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFFFFFF

    def records() -> Iterator[tuple[int, float, bytes]]:
        offset, number = 24, 0
        while offset < len(data):
            number += 1
            if offset + 16 > len(data):
                raise CaptureError(
                    f"packet {number}: the capture ends inside its header (truncated)"
                )
            seconds, fraction, caplen, _ = struct.unpack_from(order + "IIII", data, offset)
            if caplen > MAX_RECORD_BYTES:
                raise CaptureError(f"packet {number}: claims {caplen} bytes; the file is damaged")
            if offset + 16 + caplen > len(data):
                raise CaptureError(
                    f"packet {number}: the capture ends inside it (truncated: "
                    f"{len(data) - offset - 16} of {caplen} bytes)"
                )
            yield number, seconds + fraction / divisor, data[offset + 16 : offset + 16 + caplen]
            offset += 16 + caplen

    return linktype, records()


def _pcapng(data: bytes) -> tuple[int, Iterator[tuple[int, float, bytes]]]:
    try:
        reader = dpkt.pcapng.Reader(io.BytesIO(data))
    except (ValueError, struct.error, dpkt.UnpackError) as exc:
        raise CaptureError(f"the pcapng header cannot be read ({exc})") from None
    linktype = reader.datalink()

    def records() -> Iterator[tuple[int, float, bytes]]:
        number = 0
        iterator = iter(reader)
        while True:
            try:
                time, frame = next(iterator)
            except StopIteration:
                return
            except (ValueError, struct.error, dpkt.UnpackError, dpkt.NeedData) as exc:
                raise CaptureError(
                    f"packet {number + 1}: cannot be read (truncated or damaged: {exc})"
                ) from None
            number += 1
            yield number, float(time), bytes(frame)

    return linktype, records()


def _network_layer(linktype: int, frame: bytes) -> bytes | None:
    """The IP packet inside a frame, or None when it holds none."""
    try:
        if linktype == LINK_ETHERNET:
            ether = dpkt.ethernet.Ethernet(frame)
            return bytes(ether.data) if ether.type in (0x0800, 0x86DD) else None
        if linktype in (LINK_NULL, LINK_LOOP):
            return frame[4:]
        if linktype == LINK_SLL:
            return frame[16:] if frame[14:16] in (b"\x08\x00", b"\x86\xdd") else None
        if linktype == LINK_SLL2:
            return frame[20:] if frame[0:2] in (b"\x08\x00", b"\x86\xdd") else None
        return frame
    except (dpkt.UnpackError, dpkt.NeedData, struct.error):
        return None


class _Reader:
    """Turns packets into SIP messages and RTP, keeping what it could not read."""

    def __init__(self) -> None:
        self.messages: list[Captured] = []
        self.udp: list[tuple[int, float, Endpoint, Endpoint, bytes]] = []
        self.problems: list[str] = []
        self.fragments: dict[tuple, list[tuple[int, int, bytes, bool]]] = defaultdict(list)
        self.streams: dict[tuple[Endpoint, Endpoint], list[tuple[int, float, int, bytes]]] = (
            defaultdict(list)
        )
        self.tls: set[tuple[Endpoint, Endpoint]] = set()
        self.unread = 0
        self.first_unread = 0

    def packet(self, number: int, time: float, raw: bytes | None) -> None:
        ip = _ip(raw) if raw else None
        if ip is None:
            self._not_read(number)
            return
        src_ip, dst_ip, protocol, payload, fragment = ip
        if fragment is not None:
            joined = self._fragment(number, (src_ip, dst_ip, protocol, fragment[0]), fragment)
            if joined is None:
                return
            payload = joined
        if protocol == 17 and len(payload) >= 8:
            sport, dport = struct.unpack_from("!HH", payload)
            self.udp.append((number, time, (src_ip, sport), (dst_ip, dport), payload[8:]))
        elif protocol == 6 and len(payload) >= 20:
            sport, dport, seq = struct.unpack_from("!HHI", payload)
            offset = (payload[12] >> 4) * 4
            data = payload[offset:]
            key = ((src_ip, sport), (dst_ip, dport))
            if payload[13] & 0x02:  # SYN: the stream starts after it
                self.streams[key].append((number, time, (seq + 1) & 0xFFFFFFFF, b""))
            elif data:
                self.streams[key].append((number, time, seq, data))
        else:
            self._not_read(number)

    def _fragment(self, number: int, key: tuple, fragment: tuple) -> bytes | None:
        _, offset, data, more = fragment
        parts = self.fragments[key]
        parts.append((offset, number, data, more))
        parts.sort()
        if parts[-1][3]:
            return None
        expected = 0
        for part_offset, _, part, _ in parts:
            if part_offset != expected:
                return None
            expected += len(part)
        del self.fragments[key]
        return b"".join(part for _, _, part, _ in parts)

    def _not_read(self, number: int) -> None:
        self.unread += 1
        self.first_unread = self.first_unread or number

    def finish(self, packets: int) -> Capture:
        for key, parts in self.fragments.items():
            self.problems.append(
                f"packet {parts[0][1]}: an IP fragment of {key[0]} -> {key[1]} whose other parts "
                "are missing"
            )
        rtp_candidates = []
        for number, time, src, dst, payload in self.udp:
            if SIP_START.match(payload):
                self._add(number, time, src, dst, "UDP", payload)
            elif payload.strip(b"\r\n\x00") == b"":
                continue  # keep-alive
            elif src[1] in SIP_PORTS or dst[1] in SIP_PORTS:
                self.problems.append(
                    f"packet {number}: UDP {_show(src)} -> {_show(dst)} is not a SIP message"
                )
            else:
                rtp_candidates.append((number, time, src, dst, payload))
        for key, segments in self.streams.items():
            self._stream(key, segments)
        self.messages.sort(key=lambda m: (m.time, m.number))
        rtp = self._rtp(rtp_candidates)
        kept = {packet.number for packet in rtp}
        other = [number for number, *_ in rtp_candidates if number not in kept]
        firsts = other[:1] + ([self.first_unread] if self.first_unread else [])
        if firsts:
            self.problems.append(
                f"{self.unread + len(other)} packet(s) hold neither SIP nor RTP of an announced "
                f"stream (the first: packet {min(firsts)})"
            )
        return Capture(_fold(self.messages), rtp, self.problems, packets)

    def _add(self, number: int, time: float, src: Endpoint, dst: Endpoint, t: str, data: bytes):
        sip = parse_message(data)
        if sip.kind not in ("request", "response"):
            self.problems.append(f"packet {number}: {t} {_show(src)} -> {_show(dst)}: not SIP")
            return
        self.messages.append(Captured(number, time, src, dst, t, data, sip))

    def _stream(self, key: tuple[Endpoint, Endpoint], segments: list) -> None:
        src, dst = key
        payloads = [s for s in segments if s[3]]
        if not payloads:
            return
        if payloads[0][3][:1] in (b"\x16", b"\x17") and payloads[0][3][1:2] == b"\x03":
            self.problems.append(
                f"packet {payloads[0][0]}: TLS {_show(src)} -> {_show(dst)}: SIP over TLS "
                "cannot be read without the session keys"
            )
            return
        base = min(s[2] for s in segments) if segments[0][3] == b"" else payloads[0][2]
        ordered = sorted(payloads, key=lambda s: (s[2] - base) & 0xFFFFFFFF)
        stream, owners = bytearray(), []  # owners: (offset where a packet's bytes start, packet)
        for number, time, seq, data in ordered:
            start = (seq - base) & 0xFFFFFFFF
            if start > len(stream):
                self.problems.append(
                    f"packet {number}: TCP {_show(src)} -> {_show(dst)}: "
                    f"{start - len(stream)} byte(s) before it were not captured; "
                    "the rest of this stream is left out"
                )
                break
            fresh = data[len(stream) - start :]
            if fresh:
                owners.append((len(stream), number, time))
                stream += fresh
        self._split_stream(bytes(stream), owners, src, dst)

    def _split_stream(self, stream: bytes, owners: list, src: Endpoint, dst: Endpoint) -> None:
        offset = 0
        while offset < len(stream):
            while stream[offset : offset + 2] == b"\r\n":
                offset += 2
            if offset >= len(stream):
                return
            first = _owner(owners, offset)
            end = stream.find(b"\r\n\r\n", offset)
            if end < 0 or not SIP_START.match(stream[offset:]):
                self.problems.append(
                    f"packet {first[0]}: TCP {_show(src)} -> {_show(dst)}: "
                    "the stream holds no SIP message here; the rest of it is left out"
                )
                return
            head = stream[offset:end]
            match = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
            size = int(match[1]) if match else 0
            stop = end + 4 + size
            if stop > len(stream):
                self.problems.append(
                    f"packet {first[0]}: TCP {_show(src)} -> {_show(dst)}: the capture ends "
                    "inside this message"
                )
                return
            last = _owner(owners, stop - 1)
            self._add(first[0], last[1], src, dst, "TCP", stream[offset:stop])
            offset = stop

    def _rtp(self, candidates: list) -> list[RtpPacket]:
        announced = _announced_media(self.messages)
        packets = []
        for number, time, src, dst, payload in candidates:
            if len(payload) < 12 or payload[0] >> 6 != 2:
                continue
            if src not in announced and dst not in announced:
                continue
            seq, _, ssrc = struct.unpack_from("!HII", payload, 2)
            packets.append(RtpPacket(number, time, src, dst, ssrc, seq, payload[1] & 0x7F))
        return packets


def _ip(raw: bytes) -> tuple[str, str, int, bytes, tuple | None] | None:
    """Source, destination, protocol, payload and (id, offset, data, more) for a fragment."""
    try:
        if raw[0] >> 4 == 4:
            ip = dpkt.ip.IP(raw)
            src, dst = _address(ip.src), _address(ip.dst)
            header = raw[: ip.hl * 4]
            payload = raw[len(header) : ip.len] if ip.len else raw[len(header) :]
            flags = struct.unpack_from("!H", raw, 6)[0]
            offset, more = (flags & dpkt.ip.IP_OFFMASK) * 8, bool(flags & dpkt.ip.IP_MF)
            fragment = (ip.id, offset, payload, more) if offset or more else None
            return src, dst, ip.p, payload, fragment
        if raw[0] >> 4 == 6:
            ip6 = dpkt.ip6.IP6(raw)
            return _address(ip6.src), _address(ip6.dst), ip6.nxt, bytes(raw[40:]), None
    except (dpkt.UnpackError, dpkt.NeedData, struct.error, IndexError):
        return None
    return None


def _address(packed: bytes) -> str:
    return str(ipaddress.ip_address(packed))


def _show(endpoint: Endpoint) -> str:
    host, port = endpoint
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _owner(owners: list, offset: int) -> tuple[int, float]:
    found = owners[0]
    for start, number, time in owners:
        if start > offset:
            break
        found = (start, number, time)
    return found[1], found[2]


def _fold(messages: list[Captured]) -> list[Captured]:
    """The same bytes on the same hop again are a retransmission of the first copy."""
    first: dict[tuple, Captured] = {}
    kept = []
    for message in messages:
        key = (message.src, message.dst, _comparable(message.data))
        if key in first:
            first[key].retransmissions.append(message.number)
        else:
            first[key] = message
            kept.append(message)
    return kept


def _comparable(data: bytes) -> bytes:
    return re.sub(rb";\s*(?:received|rport)(?:=[^;,\r\n]*)?", b"", data, flags=re.IGNORECASE)


def _announced_media(messages: list[Captured]) -> dict[Endpoint, Captured]:
    """Media address -> the first message that advertised it in SDP."""
    announced: dict[Endpoint, Captured] = {}
    for message in messages:
        body = message.sip.body
        if not body or body.kind != "sdp":
            continue
        host = None
        for line in body.sdp:
            if line.type == "c":
                host = line.value.split()[-1]
            elif line.type == "m":
                words = line.value.split()
                if host and len(words) > 1 and words[1].isdigit() and words[1] != "0":
                    announced.setdefault((host, int(words[1])), message)
    return announced


# --- flows -----------------------------------------------------------------------------------


@dataclass
class _Lane:
    endpoint: Endpoint
    key: str = ""
    name: str = ""
    role: str = "ua"


def flow_documents(capture: Capture, *, name: str) -> list[dict[str, Any]]:
    messages = capture.messages
    proxies = _proxies(messages)
    groups = _group(messages, proxies)
    announced = _announced_media(messages)
    legs = _media_legs(capture.rtp)
    base = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\.(pcapng|pcap|cap)$", "", name.lower())).strip("-")
    base = (base or "capture")[:40].strip("-")
    documents = []
    for index, group in enumerate(groups, start=1):
        call_ids = {m.sip.call_id for m in group}
        flow_legs = [
            leg for leg in legs if leg.origin(announced) and leg.origin(announced) in call_ids
        ]
        document = _document(group, flow_legs, announced, proxies, f"{base}-{index}", name, index)
        try:
            documents.append(validate_document(document, name=name))
        except FlowDocumentError as exc:
            raise CaptureError(f"packet {group[0].number}: {exc.problem}") from None
    unplaced = [leg for leg in legs if not leg.origin(announced)]
    for leg in unplaced:
        capture.problems.append(
            f"packet {leg.first}: RTP {_show(leg.src)} -> {_show(leg.dst)} belongs to no SDP "
            "offer or answer in the capture; left out"
        )
    return documents


def _proxies(messages: list[Captured]) -> set[Endpoint]:
    """Endpoints that re-send a request they received with one more Via on top."""
    received: dict[tuple, int] = {}
    proxies = set()
    for message in messages:
        if message.sip.kind != "request":
            continue
        key = (message.sip.call_id, message.sip.header("CSeq"), message.sip.method)
        vias = len(message.sip.vias)
        if received.get((message.src, key), vias) < vias:
            proxies.add(message.src)
        received[(message.dst, key)] = vias
    return proxies


def _group(messages: list[Captured], proxies: set[Endpoint]) -> list[list[Captured]]:
    by_call: dict[str | None, list[Captured]] = defaultdict(list)
    for message in messages:
        by_call[message.sip.call_id].append(message)
    parent = {call_id: call_id for call_id in by_call}

    def root(call_id: str | None) -> str | None:
        while parent[call_id] != call_id:
            parent[call_id] = parent[parent[call_id]]
            call_id = parent[call_id]
        return call_id

    def join(a: str | None, b: str | None) -> None:
        parent[root(a)] = root(b)

    for call_id, group in by_call.items():
        for message in group:
            for referenced in _references(message.sip):
                if referenced in parent:
                    join(call_id, referenced)
    spans = {
        call_id: (
            group[0].time,
            group[-1].time,
            {e for m in group for e in (m.src, m.dst)} - proxies,
        )
        for call_id, group in by_call.items()
    }
    calls = list(by_call)
    for i, a in enumerate(calls):
        for b in calls[i + 1 :]:
            (a0, a1, a_lanes), (b0, b1, b_lanes) = spans[a], spans[b]
            if a_lanes & b_lanes and b0 - a1 <= JOIN_GAP_S and a0 - b1 <= JOIN_GAP_S:
                join(a, b)
    flows: dict[str | None, list[Captured]] = defaultdict(list)
    for message in messages:
        flows[root(message.sip.call_id)].append(message)
    return list(flows.values())


def _references(sip: SipMessage) -> set[str]:
    """Call-IDs of the other dialogs a message names."""
    found = set()
    for header in ("Replaces", "Join", "Target-Dialog"):
        for value in sip.header_values(header):
            found.add(value.split(";")[0].strip())
    for value in sip.header_values("Refer-To"):
        match = re.search(r"[?&]Replaces=([^&>;]+)", value, flags=re.IGNORECASE)
        if match:
            found.add(unquote(match[1]).split(";")[0])
    if sip.body and "dialog-info" in (sip.body.content_type or ""):
        found.update(re.findall(r'call-id="([^"]+)"', sip.body.text))
    return found


@dataclass
class _Leg:
    src: Endpoint
    dst: Endpoint
    first: int
    start: float
    end: float
    packets: int
    payload_type: int
    back: int = 0  # packets the other way, for a two-way leg

    def origin(self, announced: dict[Endpoint, Captured]) -> str | None:
        """The Call-ID whose SDP announced this leg's addresses."""
        for endpoint in (self.dst, self.src):
            if endpoint in announced:
                return announced[endpoint].sip.call_id
        return None


def _media_legs(rtp: list[RtpPacket]) -> list[_Leg]:
    streams: dict[tuple, list[RtpPacket]] = defaultdict(list)
    for packet in rtp:
        streams[(packet.src, packet.dst, packet.ssrc)].append(packet)
    runs: list[_Leg] = []
    for (src, dst, _), packets in streams.items():
        current: _Leg | None = None
        previous: RtpPacket | None = None
        for packet in packets:
            pause = previous and (
                packet.time - previous.time > RTP_PAUSE_S
                or not 0 < (packet.seq - previous.seq) & 0xFFFF < 1000
            )
            if current is None or pause:
                current = _Leg(
                    src, dst, packet.number, packet.time, packet.time, 0, packet.payload_type
                )
                runs.append(current)
            current.end, current.packets = packet.time, current.packets + 1
            previous = packet
    runs.sort(key=lambda leg: leg.start)
    legs: list[_Leg] = []
    for run in runs:
        partner = next(
            (
                leg
                for leg in legs
                if _same_media(leg.src, run.dst)
                and _same_media(leg.dst, run.src)
                and not leg.back
                and run.start <= leg.end
                and leg.start <= run.end
            ),
            None,
        )
        if partner:
            partner.back = run.packets
            partner.end = max(partner.end, run.end)
        else:
            legs.append(run)
    return legs


def _same_media(a: Endpoint, b: Endpoint) -> bool:
    """One media address; a sender may show port 0 (SIPp's pcap player does)."""
    return a[0] == b[0] and (a[1] == b[1] or 0 in (a[1], b[1]))


def _media_owner(address: Endpoint, owners: dict[Endpoint, Endpoint]) -> Endpoint | None:
    """The SIP endpoint that announced a media address (or one on its host)."""
    if address in owners:
        return owners[address]
    return next((lane for media, lane in owners.items() if _same_media(media, address)), None)


def _document(
    group: list[Captured],
    legs: list[_Leg],
    announced: dict[Endpoint, Captured],
    proxies: set[Endpoint],
    slug: str,
    name: str,
    index: int,
) -> dict[str, Any]:
    lanes: dict[Endpoint, _Lane] = {}
    for message in group:
        for endpoint in (message.src, message.dst):
            lanes.setdefault(endpoint, _Lane(endpoint))
    media_lane = {address: message.src for address, message in announced.items()}
    _name_lanes(lanes, group, proxies)
    timed: list[tuple[float, int, dict[str, Any]]] = []
    for number, message in enumerate(group, start=1):
        step: dict[str, Any] = {
            "label": f"F{number}",
            "kind": "message",
            "from": lanes[message.src].key,
            "to": lanes[message.dst].key,
            "message": message.data.decode("utf-8", errors="replace"),
        }
        if message.retransmissions:
            packets = ", ".join(map(str, message.retransmissions))
            count = len(message.retransmissions)
            step["annotation"] = {
                "en": f"Packet {message.number}, over {message.transport}; retransmitted "
                f"{count} time(s) (packets {packets}), shown once.",
                "zh": f"分组 {message.number}，经 {message.transport}；重传 {count} 次"
                f"（分组 {packets}），此处只显示一次。",
            }
        else:
            step["annotation"] = {
                "en": f"Packet {message.number}, over {message.transport}.",
                "zh": f"分组 {message.number}，经 {message.transport}。",
            }
        timed.append((message.time, message.number, step))
    placed: list[tuple[_Leg, Endpoint, Endpoint]] = []
    for leg in legs:
        sender, receiver = _media_owner(leg.src, media_lane), _media_owner(leg.dst, media_lane)
        if sender is not None and receiver is not None and {sender, receiver} <= set(lanes):
            placed.append((leg, sender, receiver))
    for number, (leg, sender, receiver) in enumerate(placed, start=1):
        codec = RTP_PAYLOADS.get(leg.payload_type, f"payload type {leg.payload_type}")
        two_way = leg.back > 0
        counts = f"{leg.packets} + {leg.back}" if two_way else str(leg.packets)
        step = {
            "label": f"M{number}",
            "kind": "media",
            "from": lanes[sender].key,
            "to": lanes[receiver].key,
            "media": "two-way" if two_way else "one-way",
            "text": {
                "en": f"RTP {codec}, {'both ways' if two_way else 'one way'}: {counts} packets "
                f"from packet {leg.first}, {leg.end - leg.start:.1f} s.",
                "zh": f"RTP {codec}，{'双向' if two_way else '单向'}：{counts} 个分组，"
                f"自分组 {leg.first} 起，{leg.end - leg.start:.1f} 秒。",
            },
        }
        timed.append((leg.start, leg.first, step))
    timed.sort(key=lambda item: (item[0], item[1]))
    folded = sum(len(m.retransmissions) for m in group)
    numbers = [m.number for m in group]
    return {
        "slug": slug,
        "title": {"en": f"{name}: call {index}", "zh": f"{name}：第 {index} 个呼叫"},
        "source": {"document": name, "section": f"packets {min(numbers)}-{max(numbers)}"},
        "summary": {
            "en": f"Read from the capture {name}: {len(group)} SIP messages between "
            f"{len(lanes)} endpoints, {len(legs)} media leg(s); {folded} retransmission(s) "
            "folded. Lanes are the endpoints' addresses and ports.",
            "zh": f"读自抓包文件 {name}：{len(lanes)} 个端点之间的 {len(group)} 条 SIP 消息，"
            f"{len(legs)} 段媒体；已合并 {folded} 次重传。每条泳道是一个端点的地址和端口。",
        },
        "participants": [
            {"key": lane.key, "name": lane.name, "role": lane.role} for lane in lanes.values()
        ],
        "steps": [step for _, _, step in timed],
    }


def _name_lanes(lanes: dict[Endpoint, _Lane], group: list[Captured], proxies: set) -> None:
    """Names from the messages: the display name a UA sends as itself, else its Contact user,
    else Via host; proxies are proxies."""
    votes: dict[Endpoint, Counter[str]] = defaultdict(Counter)
    for message in group:
        sip = message.sip
        if message.src in proxies:
            continue
        if sip.kind == "request" and len(sip.vias) == 1:
            votes[message.src][_display(sip.header("From"))] += 2
        elif sip.kind == "response" and sip.header("Contact"):
            votes[message.src][_display(sip.header("To"))] += 1
        contact = re.search(r"sips?:([^@;>\s]+)@", sip.header("Contact") or "")
        if contact:
            votes[message.src][contact[1]] += 0
    taken: set[str] = set()
    for number, (endpoint, lane) in enumerate(lanes.items(), start=1):
        lane.role = "proxy" if endpoint in proxies else "ua"
        candidates = [n for n, _ in votes[endpoint].most_common() if n]
        lane.name = "Proxy" if lane.role == "proxy" else (candidates[0] if candidates else "")
        lane.name = lane.name or _show(endpoint)
        key = re.sub(r"[^a-z0-9]+", "-", lane.name.lower()).strip("-")[:28] or f"lane-{number}"
        unique, suffix = key, 2
        while unique in taken:
            unique, suffix = f"{key}-{suffix}", suffix + 1
        taken.add(unique)
        lane.key = unique
    names = Counter(lane.name for lane in lanes.values())
    for endpoint, lane in lanes.items():
        if names[lane.name] > 1:
            lane.name = f"{lane.name} ({_show(endpoint)})"


def _display(value: str | None) -> str:
    if not value:
        return ""
    match = re.match(r'\s*"([^"]*)"\s*<', value) or re.match(r"\s*([^<\"]+?)\s*<", value)
    return match[1].strip() if match else ""


def message_sequence(document: dict[str, Any]) -> list[tuple[str, int, int]]:
    """What a capture of the flow must give back: each message's method or status code with
    its sender and receiver, lanes numbered by first appearance (a capture names its lanes
    from the messages, not as the library does)."""
    order: dict[str, int] = {}
    sequence = []
    for step in document["steps"]:
        if step["kind"] == "message":
            sip = parse_message(step["message"])
            what = sip.method if sip.kind == "request" else str(sip.status_code)
            sender = order.setdefault(step["from"], len(order))
            receiver = order.setdefault(step["to"], len(order))
            sequence.append((what or "", sender, receiver))
    return sequence
