import io
import re
import xml.etree.ElementTree as ET

import dpkt
import pytest

from sipflows.sip import sipp
from sipflows.sip.message import parse_message
from tests.sip.wire import SLUGS, library_document


def scenarios(slug, **options):
    files = sipp.export_sipp(library_document(slug), **options)
    return files, {
        name[:-4]: ET.fromstring(data) for name, data in files.items() if name.endswith(".xml")
    }


def sent_messages(slug):
    _, trees = scenarios(slug)
    return [send.text for tree in trees.values() for send in tree.iter("send")]


def test_every_message_step_is_sent_by_one_lane_and_expected_by_another():
    doc = library_document("consultation-hold")
    _, trees = scenarios("consultation-hold")
    sends = sum(len(list(tree.iter("send"))) for tree in trees.values())
    receives = sum(len(list(tree.iter("recv"))) for tree in trees.values())
    messages = [s for s in doc["steps"] if s["kind"] == "message"]
    assert (sends, receives) == (len(messages), len(messages))


def test_a_lane_expects_what_the_flow_sends_it_in_order():
    doc = library_document("call-hold")
    _, trees = scenarios("call-hold")
    expected = [
        (parse_message(s["message"]).method or str(parse_message(s["message"]).status_code))
        for s in doc["steps"]
        if s["kind"] == "message" and s["to"] == "alice"
    ]
    received = [r.get("request") or r.get("response") for r in trees["alice"].iter("recv")]
    assert received == expected


def test_folded_header_lines_go_out_joined():
    for message in sent_messages("call-hold"):
        head = message.split("\n\n")[0]
        assert not re.search(r"\n[ \t]", head)


def test_messages_go_over_udp_with_sip_uris():
    text = "".join(sent_messages("transfer-attended"))
    assert "TLS" not in text and "sips:" not in text and ":5061" not in text


def test_sipp_counts_every_body():
    lengths = [
        line
        for message in sent_messages("music-on-hold")
        for line in message.splitlines()
        if line.lower().startswith("content-length")
    ]
    assert lengths and set(lengths) == {"Content-Length: [len]"}


def test_lane_hosts_become_the_lane_table_addresses():
    text = "".join(sent_messages("call-hold"))
    assert "client.atlanta.example.com" not in text
    assert "Contact: <sip:alice@127.0.0.11:5060>" in text


def test_later_dialogs_are_kept_in_the_first_dialogs_sipp_call():
    call_ids = {
        line.split(":", 1)[1].strip()
        for message in sent_messages("transfer-attended")
        for line in message.splitlines()
        if line.startswith("Call-ID:")
    }
    first = "12345600@atlanta.example.com"
    assert first in call_ids and len(call_ids) > 1
    assert all(cid == first or cid.endswith("///" + first) for cid in call_ids)


def test_a_dialog_named_in_replaces_is_named_by_its_wire_call_id():
    text = "".join(sent_messages("transfer-attended"))
    replaces = re.findall(r"Replaces=([^&>]+)", text) + re.findall(r"Replaces: ([^;\n]+)", text)
    call_ids = set(re.findall(r"Call-ID: (\S+)", text))
    assert replaces
    assert all(value.replace("%40", "@").split("%3B")[0] in call_ids for value in replaces)


def test_a_lane_that_sends_without_having_just_received_pauses_first():
    _, trees = scenarios("call-pickup")
    first = next(iter(trees["bill"]))
    assert first.tag == "pause" and int(first.get("milliseconds")) > 0


def test_a_lane_that_answers_what_it_just_received_does_not_pause():
    _, trees = scenarios("call-hold")
    elements = [e.tag for e in trees["proxy"]]  # F1 in, F2 out at once
    assert elements[:3] == ["recv", "nop", "send"]


def test_lane_addresses_can_be_chosen():
    key, address = sipp.parse_lane_override("alice=10.1.2.3:5070:7000")
    files, trees = scenarios("call-hold", overrides={key: address})
    rows = [line.split("\t") for line in files["lanes.tsv"].decode().splitlines()]
    assert ["alice", "Alice", "ua", "client", "10.1.2.3", "5070", "7000"] in rows
    setdest = [e.get("host") for e in trees["proxy"].iter("setdest")]
    assert "10.1.2.3" in setdest


def test_a_lane_the_flow_does_not_have_is_refused():
    with pytest.raises(sipp.SippExportError, match="'dave' is not a lane of call-hold"):
        sipp.export_sipp(
            library_document("call-hold"), overrides={"dave": sipp.LaneAddress("10.0.0.1")}
        )


def test_a_malformed_lane_override_is_refused():
    with pytest.raises(sipp.SippExportError, match="KEY=IP"):
        sipp.parse_lane_override("alice@10.0.0.1")


def test_the_media_file_is_pcmu_in_20_ms_packets():
    files, _ = scenarios("call-hold")
    packets = list(dpkt.pcap.Reader(io.BytesIO(files["pcmu.pcap"])))
    rtp = [dpkt.rtp.RTP(dpkt.ethernet.Ethernet(buf).data.data.data) for _, buf in packets]
    assert {p.pt for p in rtp} == {0}
    assert round(packets[1][0] - packets[0][0], 3) == 0.02


def test_a_flow_without_media_ships_no_media_file():
    files, _ = scenarios("outgoing-call-screening")
    assert "pcmu.pcap" not in files


def test_the_run_script_starts_the_sender_of_the_first_message_last():
    files, _ = scenarios("call-hold")
    started = re.findall(r"^lane (\S+)", files["run.sh"].decode(), flags=re.MULTILINE)
    assert started == ["proxy", "bob", "alice"]


@pytest.mark.parametrize("slug", SLUGS)
def test_flow_plays_to_completion_between_sipp_processes(played, slug):
    _, trees = scenarios(slug)
    playback = played(slug)
    assert playback.returncode == 0, playback.output
    completed = re.findall(r"^(\S+): call completed$", playback.output, flags=re.MULTILINE)
    assert sorted(completed) == sorted(trees)
