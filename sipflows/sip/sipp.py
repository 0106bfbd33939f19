"""SIPp scenarios that play a flow between real SIP agents: one SIPp process per lane (pure code).

Every lane replays its own part of the flow: it sends the library's messages in wire form
(unfolded, UDP, ``sip:``, lane hosts turned into the lane table's addresses, ``[len]``) to the
lane that receives them, and expects the messages the flow sends it, in the flow's order.
Methods, statuses, header sets, tags, CSeqs and branches stay as the library has them.

The order SIP itself does not impose (a lane that sends without having just received the
message before it) is kept by one timeline: every message step takes a slot, media and
events take their length, and such a lane pauses for the time the steps since its last
action take. Only the lane that acts next pauses; the others wait at their ``<recv>``.
"""

from __future__ import annotations

import re
import shlex
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from .message import LINE_BREAK, parse_message

SLOT_MS = 200  # a message step on the timeline: far more than a loopback hop takes
EVENT_MS = 500  # an event or a period without media, which the document gives no length
MEDIA_MS = 600  # the length of the media file a media leg plays
MEDIA_FILE = "pcmu.pcap"
LANE_TIME_LIMIT_S = 30
FIRST_HOST = 11  # lanes get 127.0.0.11, 127.0.0.12, ...

# What the wire form cannot keep from the library's messages, said in every export.
NOT_REPRODUCED = (
    "TLS (sips:, SIP/2.0/TLS, port 5061): the messages go over UDP with sip: URIs",
    "header folding: continuation lines are joined",
    "Via received= parameters: a numeric sent-by equal to the source needs none",
    "Content-Length values: SIPp counts each body ([len])",
    "Call-IDs of dialogs after the first: <library local part>///<first Call-ID>, "
    "so SIPp keeps all of a lane's dialogs in one call",
    "indentation of XML bodies: SIPp strips leading blanks",
    "host names of lanes: the lane table's addresses",
)


@dataclass(frozen=True)
class LaneAddress:
    ip: str
    sip_port: int = 5060
    media_port: int = 6000

    @property
    def sip(self) -> str:
        return f"{self.ip}:{self.sip_port}"


@dataclass(frozen=True)
class Action:
    """One element of a lane's scenario, at a step of the flow."""

    start: int  # on the timeline, in milliseconds
    kind: str  # send, recv or media
    label: str
    peer: str = ""
    text: str = ""  # wire form (send) or what is expected (recv: method or status code)


class SippExportError(ValueError):
    """A flow that cannot be written as SIPp scenarios; str() says which step and why."""


def default_lane_table(doc: Mapping[str, Any]) -> dict[str, LaneAddress]:
    return {
        lane["key"]: LaneAddress(f"127.0.0.{FIRST_HOST + index}")
        for index, lane in enumerate(doc["participants"])
    }


def parse_lane_override(text: str) -> tuple[str, LaneAddress]:
    """KEY=IP[:SIP_PORT[:MEDIA_PORT]], as the export command takes it."""
    match = re.fullmatch(r"([a-z0-9-]+)=(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?(?::(\d+))?", text)
    if not match:
        raise SippExportError(f"'{text}' is not KEY=IP[:SIP_PORT[:MEDIA_PORT]]")
    return match[1], LaneAddress(match[2], int(match[3] or 5060), int(match[4] or 6000))


def export_sipp(
    doc: Mapping[str, Any], overrides: Mapping[str, LaneAddress] | None = None
) -> dict[str, bytes]:
    """The files of the export: one scenario per lane, the lane table, media, run.sh, README."""
    lanes = {**default_lane_table(doc), **(overrides or {})}
    unknown = sorted(set(lanes) - {lane["key"] for lane in doc["participants"]})
    if unknown:
        raise SippExportError(f"'{unknown[0]}' is not a lane of {doc['slug']}")
    actions = lane_actions(doc, lanes)
    modes = {key: _mode(acts) for key, acts in actions.items()}
    files: dict[str, bytes] = {
        f"{key}.xml": scenario_xml(doc["slug"], key, acts, lanes).encode()
        for key, acts in actions.items()
    }
    files["lanes.tsv"] = _lane_table_text(doc, lanes, modes).encode()
    files["run.sh"] = run_script(doc, lanes, actions).encode()
    files["README.txt"] = _readme(doc).encode()
    if any(act.kind == "media" for acts in actions.values() for act in acts):
        files[MEDIA_FILE] = pcmu_pcap(MEDIA_MS)
    return files


# --- from stored message to wire form -------------------------------------------------------


def lane_hosts(doc: Mapping[str, Any]) -> dict[str, str]:
    """Host name -> lane key: top Via and Contact of what a lane sends, then SDP addresses."""
    roles = {lane["key"]: lane["role"] for lane in doc["participants"]}
    hosts: dict[str, str] = {}
    messages = [(s["from"], parse_message(s["message"])) for s in _message_steps(doc)]
    for sender, sip in messages:
        if sip.kind == "request" and sip.vias:
            hosts.setdefault(_host(sip.vias[0].sent_by), sender)
        if roles[sender] != "proxy":
            for contact in sip.header_values("Contact"):
                host = _uri_host(contact)
                if host:
                    hosts.setdefault(host, sender)
    for sender, sip in messages:  # SDP last: a lane that relays a body is not its author
        if sip.body and sip.body.kind == "sdp" and roles[sender] != "proxy":
            for line in sip.body.sdp:
                if line.type in "oc":
                    hosts.setdefault(line.value.split()[-1], sender)
    return hosts


def wire_call_ids(doc: Mapping[str, Any]) -> dict[str, str]:
    """Library Call-ID -> the one on the wire; the first dialog's is the SIPp call's own."""
    ids: list[str] = []
    for step in _message_steps(doc):
        call_id = parse_message(step["message"]).call_id
        if call_id and call_id not in ids:
            ids.append(call_id)
    if not ids:
        raise SippExportError(f"{doc['slug']}: no message carries a Call-ID")
    first = ids[0]
    return {cid: first if cid == first else f"{cid.split('@')[0]}///{first}" for cid in ids}


def wire_form(
    message: str,
    lanes: Mapping[str, LaneAddress],
    hosts: Mapping[str, str],
    call_ids: Mapping[str, str],
) -> str:
    """The stored (CRLF) message as one lane sends it, LF-separated for the scenario file."""
    head, _, body = message.partition("\r\n\r\n")
    header_lines = _unfold(LINE_BREAK.split(head))
    body_lines = LINE_BREAK.split(body) if body else []
    placeholders: dict[str, str] = {}
    for number, wire in enumerate(call_ids.values()):
        placeholders[f"\x00{number}\x00"] = wire
        placeholders[f"\x00{number}e\x00"] = wire.replace("@", "%40")
    lines = [_protect_call_ids(line, call_ids) for line in header_lines]
    body_lines = [_protect_call_ids(line, call_ids) for line in body_lines]
    lines = [_wire_header(line) for line in lines]
    if re.search(r"(?im)^(content-type|c)\s*:\s*message/sipfrag", head):
        body_lines = [_wire_header(line, counted=False) for line in _unfold(body_lines)]
    body_lines = _wire_sdp(body_lines, lanes, hosts)
    text = "\n".join(lines) + "\n\n" + "\n".join(body_lines)
    text = re.sub(r"\bsips:", "sip:", text, flags=re.IGNORECASE)
    for host in sorted(hosts, key=len, reverse=True):
        address = lanes[hosts[host]].sip
        text = re.sub(rf"(?<![\w.-]){re.escape(host)}(?::\d+)?(?![\w.-])", address, text)
    for placeholder, wire in placeholders.items():
        text = text.replace(placeholder, wire)
    return text.rstrip("\n") + "\n" + ("" if body_lines and any(body_lines) else "\n")


def _unfold(lines: list[str]) -> list[str]:
    joined: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t") and joined:
            rest = line.strip()
            joined[-1] += rest if rest[:1] in (";", ",") else " " + rest
        else:
            joined.append(line)
    return joined


def _protect_call_ids(line: str, call_ids: Mapping[str, str]) -> str:
    for number, cid in sorted(enumerate(call_ids), key=lambda item: -len(item[1])):
        line = line.replace(cid, f"\x00{number}\x00")
        line = line.replace(cid.replace("@", "%40"), f"\x00{number}e\x00")
    return line


def _wire_header(line: str, counted: bool = True) -> str:
    """Content-Length becomes SIPp's count, except inside a message/sipfrag body."""
    name, colon, value = line.partition(":")
    canonical = name.strip().lower()
    if not colon:
        return line
    if canonical in ("content-length", "l") and counted:
        return f"{name}: [len]"
    if canonical in ("via", "v"):
        value = re.sub(r"SIP\s*/\s*2\.0\s*/\s*\w+", "SIP/2.0/UDP", value, flags=re.IGNORECASE)
        value = re.sub(r";\s*received=[^;,\s]*", "", value, flags=re.IGNORECASE)
        return f"{name}:{value}"
    return line


def _wire_sdp(
    lines: list[str], lanes: Mapping[str, LaneAddress], hosts: Mapping[str, str]
) -> list[str]:
    owner = None
    for line in lines:
        if line[:2] in ("c=", "o="):
            owner = hosts.get(line.split()[-1], owner)
    out = []
    for line in lines:
        if line[:2] in ("c=", "o=") and line.split()[-1] in hosts:
            words = line.split()
            words[-1] = lanes[hosts[words[-1]]].ip
            line = " ".join(words)
        elif line.startswith("m=") and owner:
            line = re.sub(r"^(m=\S+ )\d+", rf"\g<1>{lanes[owner].media_port}", line)
        out.append(line)
    return out


def _host(sent_by: str) -> str:
    return re.sub(r":\d+$", "", sent_by.strip())


def _uri_host(value: str) -> str | None:
    match = re.search(r"sips?:(?:[^@;>\s]*@)?([\w.-]+)", value, flags=re.IGNORECASE)
    return match[1] if match else None


# --- lanes and order ------------------------------------------------------------------------


def _message_steps(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [s for s in doc["steps"] if s["kind"] == "message"]


def timeline(doc: Mapping[str, Any]) -> list[int]:
    """When each step starts, in milliseconds after the first lane that sends starts."""
    starts, now = [], 0
    for step in doc["steps"]:
        starts.append(now)
        now += _length(step)
    return starts


def _length(step: Mapping[str, Any]) -> int:
    if step["kind"] == "message":
        return SLOT_MS
    if step["kind"] == "media" and step["media"] != "none":
        return MEDIA_MS + SLOT_MS
    return EVENT_MS


def lane_actions(
    doc: Mapping[str, Any], lanes: Mapping[str, LaneAddress]
) -> dict[str, list[Action]]:
    """Each lane's sends, receives and media legs, in the flow's order."""
    hosts, call_ids = lane_hosts(doc), wire_call_ids(doc)
    actions: dict[str, list[Action]] = {lane["key"]: [] for lane in doc["participants"]}
    for start, step in zip(timeline(doc), doc["steps"], strict=True):
        label = step["label"]
        if step["kind"] == "message":
            sip = parse_message(step["message"])
            if sip.kind not in ("request", "response"):
                raise SippExportError(f"{doc['slug']}: step {label}: not a SIP request or response")
            if step["from"] == step["to"]:
                raise SippExportError(f"{doc['slug']}: step {label}: a lane sends to itself")
            wire = wire_form(step["message"], lanes, hosts, call_ids)
            expected = sip.method if sip.kind == "request" else str(sip.status_code)
            actions[step["from"]].append(Action(start, "send", label, step["to"], wire))
            actions[step["to"]].append(Action(start, "recv", label, step["from"], expected or ""))
        elif step["kind"] == "media" and step["media"] != "none":
            players = [step["from"], step["to"]] if step["media"] == "two-way" else [step["from"]]
            for lane in dict.fromkeys(players):
                actions[lane].append(Action(start, "media", label, step["to"]))
    return {key: acts for key, acts in actions.items() if acts}


def _mode(actions: list[Action]) -> str:
    """A lane whose first SIP action is a receive runs as a server, others as clients."""
    first = next(act for act in actions if act.kind != "media")
    return "server" if first.kind == "recv" else "client"


def pauses_for(actions: list[Action]) -> list[int]:
    """Milliseconds a lane waits before each of its actions (only sends and media wait)."""
    result, ready = [], 0  # when the lane's previous action is done, on the timeline
    for act in actions:
        result.append(max(0, act.start - ready) if act.kind != "recv" else 0)
        ready = act.start + (SLOT_MS if act.kind != "media" else 0)
    return result


def scenario_xml(
    slug: str, lane: str, actions: list[Action], lanes: Mapping[str, LaneAddress]
) -> str:
    """A lane's scenario: its sends (after their pause, to their receiver), receives, media."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<scenario name={quoteattr(f'{slug}: {lane}')}>",
    ]
    for act, wait in zip(actions, pauses_for(actions), strict=True):
        out.append(f"  <!-- {act.label}: {_comment(act)} -->")
        if wait:
            out.append(f'  <pause milliseconds="{wait}"/>')
        if act.kind == "send":
            peer = lanes[act.peer]
            out.append(
                f'  <nop><action><setdest host="{peer.ip}" port="{peer.sip_port}"'
                ' protocol="udp"/></action></nop>'
            )
            if "]]>" in act.text:
                raise SippExportError(f"{slug}: step {act.label}: the message holds ']]>'")
            out.append("  <send><![CDATA[\n" + act.text + "]]></send>")
        elif act.kind == "recv":
            attribute = "response" if act.text.isdigit() else "request"
            out.append(f"  <recv {attribute}={quoteattr(act.text)}/>")
        else:
            out.append(
                f"  <nop><action><exec play_pcap_audio={quoteattr(MEDIA_FILE)}/></action></nop>"
            )
    out.append("</scenario>")
    return "\n".join(out) + "\n"


def _comment(act: Action) -> str:
    what = {"send": f"to {act.peer}", "recv": f"from {act.peer}", "media": "media leg"}[act.kind]
    first_line = act.text.split("\n", 1)[0] if act.kind == "send" else act.text
    return re.sub(r"-{2,}", "-", f"{first_line} {what}".strip())


def run_script(
    doc: Mapping[str, Any], lanes: Mapping[str, LaneAddress], actions: Mapping[str, list[Action]]
) -> str:
    """Starts the servers, then the clients (the sender of the first message last), each
    bounded in time; exits non-zero unless every lane's call succeeded."""
    call_id = next(iter(wire_call_ids(doc).values()))
    first_sender = _message_steps(doc)[0]["from"]
    modes = {key: _mode(acts) for key, acts in actions.items()}
    order = [k for k in actions if modes[k] == "server"]
    clients = [k for k in actions if modes[k] == "client" and k != first_sender] + [first_sender]
    order += clients
    lines = [
        "#!/bin/sh",
        f"# Plays {doc['slug']} between one SIPp per lane (lanes.tsv); logs in ./logs.",
        "# Needs SIPp (Debian: sip-tester) and rights to bind the lane addresses.",
        'cd "$(dirname "$0")" || exit 2',
        "SIPP=${SIPP:-sipp}",
        f"LIMIT=${{LIMIT:-{LANE_TIME_LIMIT_S}}}",
        "mkdir -p logs",
        "# CAPTURE=FILE ./run.sh also records the lanes' packets (tcpdump; CAPTURE_IFACE=lo).",
        'if [ -n "${CAPTURE:-}" ]; then',
        "  : >logs/tcpdump.log",
        '  tcpdump -i "${CAPTURE_IFACE:-lo}" --immediate-mode -U -Z "$(id -un)" -w "$CAPTURE" \\',
        f"    {shlex.quote(capture_filter(lanes, actions))} 2>logs/tcpdump.log &",
        "  capture_pid=$!",
        "  for _ in $(seq 50); do grep -q listening logs/tcpdump.log && break; sleep 0.1; done",
        "fi",
        "lane() {",
        "  name=$1; shift",
        '  timeout -k 2 "$LIMIT" "$SIPP" "$@" -sf "$name.xml" -m 1 -nostdin \\',
        '    -timeout "$LIMIT" -timeout_error -trace_err -error_file "logs/$name-errors.log" \\',
        '    -trace_msg -message_file "logs/$name-messages.log" >"logs/$name.out" 2>&1 &',
        '  eval "pid_$(echo "$name" | tr - _)=$!"',
        "}",
    ]
    for key in order:
        address = lanes[key]
        args = ["-i", address.ip, "-p", str(address.sip_port)]
        args += ["-mi", address.ip, "-mp", str(address.media_port)]
        if modes[key] == "client":
            first_send = next(a for a in actions[key] if a.kind == "send")
            args = [lanes[first_send.peer].sip] + args + ["-cid_str", call_id]
        if modes[key] == "client" and key == clients[0] and key != order[0]:
            lines.append("sleep 0.5  # the servers bind their sockets")
        lines.append(f"lane {shlex.quote(key)} " + " ".join(shlex.quote(a) for a in args))
    lines += [
        "failed=0",
        f"for name in {' '.join(order)}; do",
        '  eval "pid=\\$pid_$(echo "$name" | tr - _)"',
        '  if wait "$pid"; then echo "$name: call completed"; else',
        '    echo "$name: call failed (exit $?), see logs/$name-errors.log"; failed=1; fi',
        "done",
        'if [ -n "${capture_pid:-}" ]; then  # stop once every packet is written',
        '  size=-1; while [ "$size" != "$(wc -c <"$CAPTURE")" ]; do',
        '    size=$(wc -c <"$CAPTURE"); sleep 0.5; done',
        '  kill -INT "$capture_pid"; wait "$capture_pid"',
        "fi",
        'exit "$failed"',
    ]
    return "\n".join(lines) + "\n"


def capture_filter(lanes: Mapping[str, LaneAddress], actions: Mapping[str, list[Action]]) -> str:
    """The lanes' SIP and media packets, and nothing else on the interface."""
    hosts = " or ".join(f"host {lanes[key].ip}" for key in actions)
    return f"udp and ({hosts})"


def _lane_table_text(
    doc: Mapping[str, Any], lanes: Mapping[str, LaneAddress], modes: Mapping[str, str]
) -> str:
    rows = ["key\tname\trole\tmode\tip\tsip_port\tmedia_port"]
    for lane in doc["participants"]:
        if lane["key"] in modes:
            address = lanes[lane["key"]]
            rows.append(
                "\t".join(
                    [lane["key"], lane["name"], lane["role"], modes[lane["key"]], address.ip]
                    + [str(address.sip_port), str(address.media_port)]
                )
            )
    return "\n".join(rows) + "\n"


def _readme(doc: Mapping[str, Any]) -> str:
    lines = [
        f"{doc['title']['en']}: SIPp scenarios, one per lane ({doc['slug']}).",
        "",
        "Run ./run.sh: it starts one SIPp per lane on the addresses of lanes.tsv and exits",
        "non-zero unless every lane's call completed. Each lane replays the library's messages",
        "in the flow's order; a lane that sends without having just received pauses for as long",
        f"as the steps before take ({SLOT_MS} ms a message, {MEDIA_MS} ms of audio a media leg,",
        f"{EVENT_MS} ms an event or a silent period).",
        "",
        "Not reproduced from the library's messages:",
    ]
    lines += [f"- {item}" for item in NOT_REPRODUCED]
    return "\n".join(lines) + "\n"


def pcmu_pcap(milliseconds: int) -> bytes:
    """RTP audio for SIPp's play_pcap_audio: PCMU (payload 0) packets of 20 ms, a quiet tone."""
    ulaw = bytes(0x7F if (i // 10) % 2 else 0x70 for i in range(160))
    header = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # Ethernet
    packets = []
    for number in range(milliseconds // 20):
        rtp = struct.pack("!BBHII", 0x80, 0, number, number * 160, 0x5F1F5F1F) + ulaw
        udp = struct.pack("!HHHH", 6000, 6000, 8 + len(rtp), 0) + rtp
        ip = (
            struct.pack(
                "!BBHHHBBH4s4s",
                0x45,
                0,
                20 + len(udp),
                0,
                0,
                64,
                17,
                0,
                bytes([127, 0, 0, 1]),
                bytes([127, 0, 0, 1]),
            )
            + udp
        )
        frame = bytes(12) + b"\x08\x00" + ip
        seconds, micros = divmod(number * 20_000, 1_000_000)
        packets.append(struct.pack("<IIII", seconds, micros, len(frame), len(frame)) + frame)
    return header + b"".join(packets)
