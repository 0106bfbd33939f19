import io
import struct
from pathlib import Path

import dpkt
import pytest

from sipflows.sip import pcap
from tests.sip.packets import ip_packet, noise, pcap_file, tcp, udp
from tests.sip.wire import SLUGS, library_document

CAPTURES = Path(__file__).resolve().parent.parent / "data" / "pcap"
ALICE, BOB = ("192.0.2.10", 5060), ("192.0.2.20", 5060)
SDP = (
    "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n"
    "c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n"
)
INVITE = (
    "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK74bf9\r\n"
    "Max-Forwards: 70\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1234567\r\n"
    "To: Bob <sip:bob@biloxi.example.com>\r\n"
    "Call-ID: 12345600@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:alice@192.0.2.10:5060>\r\n"
    "Content-Type: application/sdp\r\n"
    f"Content-Length: {len(SDP)}\r\n"
    "\r\n" + SDP
).encode()
OK = (
    b"SIP/2.0 486 Busy Here\r\n"
    b"Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK74bf9\r\n"
    b"From: Alice <sip:alice@atlanta.example.com>;tag=1234567\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
    b"Call-ID: 12345600@atlanta.example.com\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def committed(name):
    return (CAPTURES / name).read_bytes()


def test_a_committed_capture_reads_back_as_the_library_flow():
    documents = pcap.import_capture(committed("call-hold.pcap"), name="call-hold.pcap").documents
    assert len(documents) == 1
    assert pcap.message_sequence(documents[0]) == pcap.message_sequence(
        library_document("call-hold")
    )


def test_lanes_are_named_from_the_messages_and_a_proxy_shows_itself():
    [document] = pcap.import_capture(committed("call-hold.pcap"), name="c.pcap").documents
    lanes = [(p["name"], p["role"]) for p in document["participants"]]
    assert lanes == [("Alice", "ua"), ("Proxy", "proxy"), ("Bob", "ua")]


def test_rtp_becomes_media_legs_cut_where_the_stream_pauses():
    [document] = pcap.import_capture(committed("call-hold.pcap"), name="c.pcap").documents
    legs = [s["media"] for s in document["steps"] if s["kind"] == "media"]
    assert legs == ["two-way", "two-way"]  # talking, (held: nothing), talking again


def test_dialogs_that_name_each_other_are_one_flow():
    capture = committed("transfer-attended.pcap")
    [document] = pcap.import_capture(capture, name="t.pcap").documents
    call_ids = {
        line.split(":", 1)[1].strip()
        for step in document["steps"]
        if step["kind"] == "message"
        for line in step["message"].splitlines()
        if line.startswith("Call-ID:")
    }
    assert len(call_ids) == 3


def test_steps_get_f_labels_in_capture_order():
    [document] = pcap.import_capture(committed("call-hold.pcap"), name="c.pcap").documents
    labels = [s["label"] for s in document["steps"] if s["kind"] == "message"]
    assert labels == [f"F{n}" for n in range(1, 26)]


def test_a_retransmission_is_folded_into_the_first_copy_and_said_so():
    invite = udp(ALICE, BOB, INVITE.replace(b"TCP", b"UDP"))
    capture = pcap_file([invite, invite, invite, udp(BOB, ALICE, OK.replace(b"TCP", b"UDP"))])
    [document] = pcap.import_capture(capture, name="r.pcap").documents
    first = document["steps"][0]
    assert len(document["steps"]) == 2
    assert "retransmitted 2 time(s) (packets 2, 3)" in first["annotation"]["en"]


def test_sip_over_tcp_is_reassembled_across_segments():
    start = 1000
    packets = [
        tcp(ALICE, BOB, start - 1, b"", flags=0x02),
        tcp(ALICE, BOB, start, INVITE[:100]),
        tcp(ALICE, BOB, start + 100, INVITE[100:]),
        tcp(ALICE, BOB, start + 100, INVITE[100:]),  # a TCP retransmission
        tcp(BOB, ALICE, 5000, OK),
    ]
    [document] = pcap.import_capture(pcap_file(packets), name="tcp.pcap").documents
    steps = document["steps"]
    assert [s["message"].split("\r\n")[0] for s in steps] == [
        "INVITE sip:bob@biloxi.example.com SIP/2.0",
        "SIP/2.0 486 Busy Here",
    ]
    assert steps[0]["message"].endswith("m=audio 49170 RTP/AVP 0\r\n")


def test_ip_fragments_are_joined():
    datagram = struct.pack("!HHHH", 5060, 5060, 8 + len(INVITE), 0) + INVITE
    packets = [
        ip_packet(ALICE[0], BOB[0], 17, datagram[:200], ident=7, more=True),
        ip_packet(ALICE[0], BOB[0], 17, datagram[200:], ident=7, offset=200),
    ]
    [document] = pcap.import_capture(pcap_file(packets), name="frag.pcap").documents
    assert document["steps"][0]["message"].startswith("INVITE ")


def test_pcapng_is_read_too():
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out, linktype=1)
    for _, frame in dpkt.pcap.Reader(io.BytesIO(committed("call-hold.pcap"))):
        writer.writepkt(frame)
    [document] = pcap.import_capture(out.getvalue(), name="c.pcapng").documents
    assert len([s for s in document["steps"] if s["kind"] == "message"]) == 25


def test_tls_is_reported_as_unreadable():
    packets = [
        tcp(ALICE, (BOB[0], 5061), 1, b"\x16\x03\x01\x00\x05hello"),
        udp(ALICE, BOB, INVITE.replace(b"TCP", b"UDP")),
    ]
    problems = pcap.import_capture(pcap_file(packets), name="tls.pcap").problems
    assert any(p.startswith("packet 1: TLS") and "keys" in p for p in problems)


def test_something_else_on_a_sip_port_is_reported_with_its_packet_number():
    packets = [udp(ALICE, BOB, INVITE.replace(b"TCP", b"UDP")), udp(BOB, ALICE, b"hello")]
    problems = pcap.import_capture(pcap_file(packets), name="x.pcap").problems
    assert "packet 2: UDP 192.0.2.20:5060 -> 192.0.2.10:5060 is not a SIP message" in problems


def test_a_truncated_capture_names_the_packet_it_ends_in():
    data = committed("call-hold.pcap")
    with pytest.raises(pcap.CaptureError, match=r"^packet \d+: the capture ends inside it"):
        pcap.import_capture(data[: len(data) // 2], name="cut.pcap")


def test_an_unknown_link_type_is_refused_by_name():
    data = bytearray(committed("call-hold.pcap"))
    data[20:24] = struct.pack("<I", 147)
    with pytest.raises(pcap.CaptureError, match="link type 147 is not one sipflows reads"):
        pcap.import_capture(bytes(data), name="odd.pcap")


def test_a_file_that_is_no_capture_is_refused():
    with pytest.raises(pcap.CaptureError, match="not a pcap or pcapng capture"):
        pcap.import_capture(b"INVITE sip:bob@example.com SIP/2.0\r\n", name="x.pcap")


def test_ten_thousand_packets_of_noise_hold_no_sip():
    with pytest.raises(pcap.CaptureError, match="no SIP message in 10000 packet"):
        pcap.import_capture(noise(10_000), name="noise.pcap")


@pytest.mark.parametrize("slug", SLUGS)
def test_a_played_flow_comes_back_from_its_capture(played, slug):
    documents = pcap.import_capture(played(slug).capture, name=f"{slug}.pcap").documents
    assert len(documents) == 1
    assert pcap.message_sequence(documents[0]) == pcap.message_sequence(library_document(slug))


def test_lanes_on_one_host_are_told_apart_by_their_ports():
    capture = committed("call-hold-one-host.pcap")  # every lane on 127.0.0.11, its own port
    [document] = pcap.import_capture(capture, name="one-host.pcap").documents
    assert [p["name"] for p in document["participants"]] == ["Alice", "Proxy", "Bob"]
    assert pcap.message_sequence(document) == pcap.message_sequence(library_document("call-hold"))


def test_packets_that_are_neither_sip_nor_announced_rtp_are_counted_with_the_first():
    packets = [
        udp(ALICE, BOB, INVITE.replace(b"TCP", b"UDP")),
        udp(("198.51.100.1", 4000), ("198.51.100.2", 9), b"noise"),
        udp(("198.51.100.1", 4000), ("198.51.100.2", 9), b"noise"),
    ]
    problems = pcap.import_capture(pcap_file(packets), name="x.pcap").problems
    assert (
        "2 packet(s) hold neither SIP nor RTP of an announced stream (the first: packet 2)"
        in problems
    )
