import re
from pathlib import Path

import pytest

from sipflows.sip.rfcreader import INFO, WARNING, clean_pages, read_call_flows

# The RFC texts are kept beside the repository, in ../shared/reference.
REFERENCE = next(
    (
        p / "shared" / "reference"
        for p in Path(__file__).resolve().parents[2:]
        if (p / "shared" / "reference").is_dir()
    ),
    Path(__file__).resolve().parents[2].parent / "shared" / "reference",
)
RFC5359 = REFERENCE / "rfc5359.txt"

# What RFC text puts between two pages: padding, footer, form feed, running header, margin.
PAGE_BREAK = """\



Doe                          Informational                      [Page 7]
\f
RFC 9999                   Sample Call Flows                    May 2024


"""

BASIC = """\
3.1.  Basic Call

   Alice              Bob
     |                 |
     |    INVITE F1    |
     |---------------->|
     |    200 OK F2    |
     |<----------------|
     |                 |

   Message Details

   F1 INVITE Alice -> Bob

   INVITE sip:bob@example.com SIP/2.0
   Via: SIP/2.0/UDP alice.example.com
    ;branch=z9hG4bK74bf9
   Content-Length: 0

   F2 200 OK Bob -> Alice

   SIP/2.0 200 OK
   Via: SIP/2.0/UDP alice.example.com
    ;branch=z9hG4bK74bf9
   Content-Length: 0

"""

INVITE = "INVITE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP alice.example.com\n"


def entry(label, what, direction):
    """A listing entry whose message is just a start line and one header."""
    start = f"SIP/2.0 {what}" if what[0].isdigit() else f"{what} sip:someone@example.com SIP/2.0"
    return f"   {label} {what} {direction}\n\n   {start}\n   Content-Length: 0\n\n"


def flow_section(diagram, *entries, heading="3.1.  Sample"):
    return f"{heading}\n\n{diagram}\n   Message Details\n\n" + "".join(entries)


def read(text, **options):
    return read_call_flows(text, **options)


def only_flow(text, **options):
    reading = read(text, **options)
    assert len(reading.flows) == 1
    return reading.flows[0]


def steps(text, **options):
    return {step["label"]: step for step in only_flow(text, **options)["steps"]}


def messages(problems, severity=WARNING):
    return [p.message for p in problems if p.severity == severity]


# --- A two-lane flow --------------------------------------------------------------------


def test_a_two_lane_flow_becomes_a_document_with_its_participants():
    assert only_flow(BASIC)["participants"] == [
        {"key": "alice", "name": "Alice", "role": "ua"},
        {"key": "bob", "name": "Bob", "role": "ua"},
    ]


def test_message_steps_carry_the_arrow_direction_and_the_listed_message():
    f2 = steps(BASIC)["F2"]
    assert (f2["kind"], f2["from"], f2["to"]) == ("message", "bob", "alice")
    assert f2["message"].startswith("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP alice.example.com\r\n")


def test_continuation_lines_keep_their_extra_leading_space():
    assert "\r\n ;branch=z9hG4bK74bf9\r\n" in steps(BASIC)["F1"]["message"]


def test_the_flow_is_named_after_its_heading():
    flow = only_flow(BASIC, document="rfc9999")
    assert flow["title"] == {"en": "Basic Call"}
    assert flow["source"] == {"document": "RFC 9999", "section": "3.1"}
    assert flow["slug"] == "rfc9999-3-1-basic-call"


def test_the_document_is_found_in_the_running_header():
    assert read(BASIC + PAGE_BREAK).document == "RFC 9999"


def test_rfc_5359_flows_take_the_slug_of_their_slot():
    text = BASIC.replace("3.1.  Basic Call", "2.16.  Call Pickup")
    assert only_flow(text, document="RFC 5359")["slug"] == "call-pickup"


def test_a_section_can_be_read_alone():
    text = BASIC + BASIC.replace("3.1.  Basic Call", "3.2.  Basic Call Again")
    assert [f["source"]["section"] for f in read(text, section="3.2").flows] == ["3.2"]


def test_asking_for_a_missing_section_is_reported():
    assert messages(read(BASIC, section="4.1").problems) == ["there is no section 4.1"]


def test_sections_without_a_ladder_are_skipped_silently():
    reading = read("1.  Overview\n\n   Prose about call flows.\n\n" + BASIC)
    assert len(reading.flows) == 1
    assert reading.problems == []


def test_a_figure_whose_arrows_name_no_sip_message_is_not_taken_for_a_call_flow():
    figure = "   A            B\n   |            |\n   |--request-->|\n   |            |\n"
    reading = read(f"4.  State Machine\n\n{figure}\n")
    assert reading.flows == []
    assert messages(reading.problems, INFO) == [
        "no arrow carries a SIP message: not read as a call flow"
    ]


# --- Pages ------------------------------------------------------------------------------


def test_page_furniture_is_dropped_and_lines_keep_their_numbers():
    text = "one\n" + PAGE_BREAK + "two\n"
    lines = clean_pages(text)
    assert [(line.text, line.number) for line in lines[:2]] == [
        ("one", 1),
        ("two", text.split("\n").index("two") + 1),  # as editors count: a form feed is no line
    ]


def test_a_page_break_inside_a_diagram_leaves_the_ladder_whole():
    text = BASIC.replace("     |    200 OK F2", PAGE_BREAK.rstrip("\n") + "\n     |    200 OK F2")
    assert [(s["label"], s["from"]) for s in only_flow(text)["steps"]] == [
        ("F1", "alice"),
        ("F2", "bob"),
    ]


def test_a_page_break_inside_a_message_adds_no_blank_line():
    text = BASIC.replace("   Via: SIP/2.0/UDP alice", PAGE_BREAK + "   Via: SIP/2.0/UDP alice", 1)
    assert steps(text)["F1"]["message"].startswith(
        "INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP alice.example.com\r\n"
    )


def test_a_blank_line_inside_a_message_survives():
    text = BASIC.replace("   Content-Length: 0\n\n   F2", "   Content-Length: 2\n\n   v=0\n\n   F2")
    assert steps(text)["F1"]["message"].endswith("Content-Length: 2\r\n\r\nv=0\r\n")


def test_a_blank_line_before_the_body_lost_at_a_page_break_is_restored_and_reported():
    text = BASIC.replace(
        "   Content-Length: 0\n\n   F2", "   Content-Length: 4\n" + PAGE_BREAK + "   v=0\n\n   F2"
    )
    reading = read(text)
    assert reading.flows[0]["steps"][0]["message"].endswith("Content-Length: 4\r\n\r\nv=0\r\n")
    assert messages(reading.problems, INFO) == [
        "F1: restored the blank line before the body, lost at a page break"
    ]


def test_problems_point_at_lines_of_the_original_text():
    text = PAGE_BREAK.lstrip("\n") + BASIC.replace("   F2 200 OK", "   F3 200 OK")
    problem = next(p for p in read(text).problems if p.message.startswith("F3"))
    assert text.split("\n")[problem.line - 1] == "   F3 200 OK Bob -> Alice"


# --- Lanes ------------------------------------------------------------------------------


def test_lane_names_may_have_two_words_or_stand_on_two_lines():
    diagram = """\
                                 Announcement
   Alice       Music Server         Server
     |              |                 |
     |  INVITE F1   |                 |
     |------------->|                 |
"""
    participants = only_flow(flow_section(diagram, entry("F1", "INVITE", "Alice -> Music Server")))[
        "participants"
    ]
    assert [(p["key"], p["name"], p["role"]) for p in participants] == [
        ("alice", "Alice", "ua"),
        ("music-server", "Music Server", "server"),
        ("announcement-server", "Announcement Server", "server"),
    ]


def test_a_name_may_end_beside_the_first_lifelines():
    diagram = """\
   Transferor    Transferee     Transfer
     |               |           Target
     |               |              |
     |   REFER F1    |              |
     |-------------->|              |
"""
    participants = only_flow(
        flow_section(diagram, entry("F1", "REFER", "Transferor -> Transferee"))
    )["participants"]
    assert [p["name"] for p in participants] == ["Transferor", "Transferee", "Transfer Target"]


def test_a_name_over_no_lifeline_is_reported():
    diagram = """\
   Alice       Bob        Carol
     |                      |
     |      INVITE F1       |
     |--------------------->|
"""
    reading = read(flow_section(diagram, entry("F1", "INVITE", "Alice -> Carol")))
    assert [p["name"] for p in reading.flows[0]["participants"]] == ["Alice", "Carol"]
    assert messages(reading.problems) == ["name 'Bob' is over no lifeline"]


# --- Arrows and their labels ------------------------------------------------------------

PROXIED = """\
   Alice        Proxy         Bob
     |            |            |
     |         INVITE F1       |
     |------------------------>|
     |  180 F2    |            |
     |<-----------|            |
     |            |----------->| 200 OK F3
     |            |INVITE(hold) F4
     |            |<-----------|
"""


def proxied():
    return steps(
        flow_section(
            PROXIED,
            entry("F1", "INVITE", "Alice -> Bob"),
            entry("F2", "180 Ringing", "Proxy -> Alice"),
            entry("F3", "200 OK", "Proxy -> Bob"),
            entry("F4", "INVITE", "Bob -> Proxy"),
        )
    )


def test_a_long_arrow_crosses_lanes_from_end_to_end():
    assert (proxied()["F1"]["from"], proxied()["F1"]["to"]) == ("alice", "bob")


def test_a_label_above_an_arrow_goes_with_it():
    assert (proxied()["F2"]["from"], proxied()["F2"]["to"]) == ("proxy", "alice")


def test_a_label_beside_an_arrow_goes_with_it():
    assert (proxied()["F3"]["from"], proxied()["F3"]["to"]) == ("proxy", "bob")


def test_a_label_overflowing_past_the_last_lifeline_goes_with_the_arrow_below():
    assert (proxied()["F4"]["from"], proxied()["F4"]["to"]) == ("bob", "proxy")


def test_the_caption_beside_the_f_label_is_kept():
    reading = read(
        flow_section(
            "   Alice              Bob\n     |                 |\n"
            "     | INVITE(hold) F1 |\n     |---------------->|\n",
            entry("F1", "INVITE", "Alice -> Bob"),
        )
    )
    assert [(c.label, c.text) for c in reading.captions] == [("F1", "INVITE(hold)")]


def test_an_arrow_without_listing_entry_is_kept_as_an_event_and_reported():
    reading = read(BASIC.split("   F2 200 OK")[0])
    f2 = reading.flows[0]["steps"][1]
    assert f2 == {
        "label": "F2",
        "kind": "event",
        "from": "bob",
        "to": "alice",
        "text": {"en": "200 OK F2"},
    }
    assert messages(reading.problems) == [
        "F2: '200 OK F2' has no entry in the listing: kept as an event"
    ]


def test_a_listing_entry_without_arrow_is_reported():
    reading = read(BASIC + entry("F3", "ACK", "Alice -> Bob"))
    assert messages(reading.problems) == ["F3: listed, but no arrow in the diagram carries it"]


def test_an_arrow_without_label_is_reported():
    text = BASIC.replace(
        "     |                 |\n\n   Message", "     |---------------->|\n\n   Message"
    )
    assert messages(read(text).problems) == ["arrow without label: not read"]


def test_the_diagram_order_is_kept_and_a_different_numbering_reported():
    diagram = """\
   Alice         Bob        Carol
     |            |            |
     |   BYE F1   |  NOTIFY F3 |
     |----------->|----------->|
     |  200 OK F2 |            |
     |<-----------|            |
"""
    text = flow_section(
        diagram,
        entry("F1", "BYE", "Alice -> Bob"),
        entry("F2", "200 OK", "Bob -> Alice"),
        entry("F3", "NOTIFY", "Bob -> Carol"),
    )
    reading = read(text)
    assert [s["label"] for s in reading.flows[0]["steps"]] == ["F1", "F3", "F2"]
    assert messages(reading.problems, INFO) == ["F2: drawn after F3; the diagram's order is kept"]


# --- Media and events -------------------------------------------------------------------

MEDIA = """\
   Alice        Proxy         Bob
     |            |            |
     |    Both Way RTP         |
     |<=======================>|
     |  Music     |            |
     |<===========|            |
     |        Ringback         |
     |========================>|
     |      No RTP Sent!       |
     |            |            |
     |       Bob is busy       |
     |            |  ACK F1    |
     |            |<-----------|
"""


def media_steps():
    return [
        {k: s.get(k) for k in ("label", "kind", "media", "from", "to", "text")}
        for s in only_flow(flow_section(MEDIA, entry("F1", "ACK", "Bob -> Proxy")))["steps"]
    ]


def test_a_two_way_media_leg_is_read_with_its_text():
    assert media_steps()[0] == {
        "label": "M1",
        "kind": "media",
        "media": "two-way",
        "from": "alice",
        "to": "bob",
        "text": {"en": "Both Way RTP"},
    }


def test_a_one_way_media_leg_runs_the_way_its_head_points():
    assert [(s["from"], s["to"], s["media"]) for s in media_steps()[1:3]] == [
        ("proxy", "alice", "one-way"),
        ("alice", "bob", "one-way"),
    ]


def test_no_rtp_written_across_lanes_is_media_none_between_them():
    assert media_steps()[3] == {
        "label": "M4",
        "kind": "media",
        "media": "none",
        "from": "alice",
        "to": "bob",
        "text": {"en": "No RTP Sent!"},
    }


def test_a_note_across_the_ladder_is_an_event():
    assert media_steps()[4] == {
        "label": "E1",
        "kind": "event",
        "media": None,
        "from": None,
        "to": None,
        "text": {"en": "Bob is busy"},
    }


# --- The listing ------------------------------------------------------------------------


def test_a_listing_name_like_a_lane_name_is_reconciled_and_reported():
    text = flow_section(PROXIED, entry("F2", "180 Ringing", "Proxy 1 -> Alice"))
    reading = read(text)
    assert "Listing says 'Proxy 1', diagram 'Proxy': taken as the same participant" in messages(
        reading.problems, INFO
    )


def test_a_listing_direction_unlike_the_arrow_is_reported_and_the_arrow_kept():
    reading = read(BASIC.replace("F2 200 OK Bob -> Alice", "F2 200 OK Alice -> Bob"))
    f2 = reading.flows[0]["steps"][1]
    assert (f2["from"], f2["to"]) == ("bob", "alice")
    assert messages(reading.problems) == [
        "F2: listing says 'Alice -> Bob', the diagram draws Bob -> Alice: "
        "the diagram's direction is kept"
    ]


def test_all_one_line_blocks_are_joined():
    text = BASIC.replace(
        "    ;branch=z9hG4bK74bf9\n   Content-Length: 0\n\n   F2",
        "    ;branch=z9hG4bK74bf9\n <allOneLine>\n   Refer-To: <sip:carol@example.com?Replaces=\n"
        "   12345%40example.com>\n </allOneLine>\n   Content-Length: 0\n\n   F2",
    )
    assert (
        "\r\nRefer-To: <sip:carol@example.com?Replaces=12345%40example.com>\r\n"
        in steps(text)["F1"]["message"]
    )


def test_comments_are_kept_apart_with_the_entry_they_stand_before():
    text = BASIC.replace("   F2 200 OK", "   /* Bob answers\n      at once. */\n\n   F2 200 OK")
    reading = read(text)
    assert "Bob answers" not in reading.flows[0]["steps"][0]["message"]
    assert [tuple(c)[:3] for c in reading.comments] == [
        ("3.1", "F2", "/* Bob answers\nat once. */")
    ]


def test_a_listing_with_the_label_on_the_start_line_is_read():
    text = BASIC.split("   Message Details")[0] + (
        "   F1    INVITE sip:bob@example.com SIP/2.0\n"
        "         Via: SIP/2.0/UDP alice.example.com\n\n"
        "   F2    SIP/2.0 200 OK\n"
        "         Content-Length: 0\n\n"
        "   The answer carries no body.\n"
    )
    assert steps(text)["F2"]["message"] == "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"


def test_prose_that_starts_with_an_f_label_is_no_listing_entry():
    text = BASIC.replace("   Message Details", "   F2 is the answer.\n\n   Message Details")
    assert read(text).problems == []


# --- RFC 5359 as published --------------------------------------------------------------


@pytest.fixture(scope="module")
def rfc5359():
    return read_call_flows(RFC5359.read_text(encoding="utf-8"))


def test_rfc5359_reads_whole(rfc5359):
    message_steps = [s for f in rfc5359.flows for s in f["steps"] if s["kind"] == "message"]
    start_line = re.compile(r"^(?:[A-Z]+ \S+ SIP/2\.0|SIP/2\.0 \d{3} .+)\r\n")
    assert rfc5359.document == "RFC 5359"
    assert len(rfc5359.flows) == 18
    assert len(message_steps) == 324
    assert all(start_line.match(s["message"]) for s in message_steps)
    assert {
        (p.section, p.message.split(":")[0])
        for p in rfc5359.problems
        if "the diagram's direction is kept" in p.message
    } == {("2.13", "F10"), ("2.13", "F11")}


# --- Hostile pages ------------------------------------------------------------------------


def test_a_form_feed_followed_by_a_running_header_on_its_line_is_a_page_break():
    text = BASIC.replace(
        "   Message Details", "\fINTERNET-DRAFT   Sample Flows   May 2024\n\n   Message Details"
    )
    assert [s["label"] for s in only_flow(text)["steps"]] == ["F1", "F2"]


def test_text_after_a_form_feed_on_its_line_starts_the_next_page():
    lines = clean_pages("one\n\fsome words\ntwo\n")
    assert [(line.text, line.after_break) for line in lines] == [
        ("one", False),
        ("some words", True),
        ("two", False),
        ("", False),
    ]


# --- Listings of every kind ---------------------------------------------------------------

THREE_ARROWS = """\
   Alice              Bob
     |                 |
     |    INVITE F1    |
     |---------------->|
     |      IAM F2     |
     |---------------->|
     |    INVITE F3    |
     |---------------->|
     |                 |
"""


def three_entries(second, third=None):
    third = third or entry("F3", "INVITE", "Alice -> Bob")
    return flow_section(THREE_ARROWS, entry("F1", "INVITE", "Alice -> Bob"), second, third)


ISUP_ENTRY = "   F2 IAM Alice -> Bob\n\n   IAM\n   CdPN=972-555-2222,NPI=E.164\n\n"


def test_an_entry_listing_no_sip_message_ends_the_message_before_it():
    f1 = steps(three_entries(ISUP_ENTRY))["F1"]
    assert "IAM" not in f1["message"]
    assert f1["message"] == ("INVITE sip:someone@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n")


def test_an_entry_listing_no_sip_message_is_an_event_and_said_so():
    reading = read(three_entries(ISUP_ENTRY))
    f2 = {s["label"]: s for s in reading.flows[0]["steps"]}["F2"]
    assert (f2["kind"], f2["text"]) == ("event", {"en": "IAM F2"})
    assert messages(reading.problems) == []
    assert messages(reading.problems, INFO) == [
        "F2: listed as 'IAM Alice -> Bob', which is not a SIP message: kept as an event"
    ]


def test_an_entry_heading_right_under_a_message_ends_it():
    second = ISUP_ENTRY.replace("\n\n   IAM", "\n   IAM")
    text = three_entries(second).replace("Content-Length: 0\n\n   F2", "Content-Length: 0\n   F2")
    assert "IAM" not in steps(text)["F1"]["message"]


def test_same_as_message_takes_that_messages_text():
    same = "   F3 INVITE Alice -> Bob\n\n   Same as Message F1\n\n"
    reading = read(three_entries(ISUP_ENTRY, same))
    by_label = {s["label"]: s for s in reading.flows[0]["steps"]}
    assert by_label["F3"]["kind"] == "message"
    assert by_label["F3"]["message"] == by_label["F1"]["message"]
    assert messages(reading.problems) == []
    assert "F3: listed as the same as F1: its message is used" in messages(reading.problems, INFO)


def test_resend_of_a_message_takes_that_messages_text():
    resend = "   F3 INVITE Alice -> Bob\n\n   Resend of Message F1\n\n"
    by_label = steps(three_entries(ISUP_ENTRY, resend))
    assert by_label["F3"]["message"] == by_label["F1"]["message"]


def test_same_as_an_entry_without_a_sip_message_is_an_event_and_said_so():
    same = "   F3 INVITE Alice -> Bob\n\n   Same as Message F2\n\n"
    reading = read(three_entries(ISUP_ENTRY, same))
    f3 = {s["label"]: s for s in reading.flows[0]["steps"]}["F3"]
    assert f3["kind"] == "event"
    assert messages(reading.problems) == [
        "F3: listed as the same as F2, which lists no SIP message: kept as an event"
    ]


def test_a_start_line_with_two_spaces_is_a_message_kept_as_written():
    text = BASIC.replace("   SIP/2.0 200 OK", "   SIP/2.0  200 OK")
    reading = read(text)
    f2 = {s["label"]: s for s in reading.flows[0]["steps"]}["F2"]
    assert f2["message"].startswith("SIP/2.0  200 OK\r\n")
    assert messages(reading.problems) == []
    assert any("'SIP/2.0  200 OK' is not spaced" in m for m in messages(reading.problems, INFO))


ONE_LINE = (
    "   F1 INVITE Alice -> Bob\n\n"
    "   INVITE sip:bob@example.com SIP/2.0\n"
    "   <allOneLine>\n"
    "   Refer-To: <sip:carol@example.com?Replaces=\n"
    "   12345%40example.com>\n"
    "   {close}\n"
    "   Content-Length: 0\n\n"
)


def one_line_flow(close):
    return (
        BASIC.split("   F1 INVITE")[0]
        + ONE_LINE.format(close=close)
        + entry("F2", "200 OK", "Bob -> Alice")
    )


def test_an_all_one_line_block_closed_loosely_is_joined_and_said_so():
    reading = read(one_line_flow("</allOneLine >"))
    f1 = reading.flows[0]["steps"][0]["message"]
    assert "\r\nRefer-To: <sip:carol@example.com?Replaces=12345%40example.com>\r\n" in f1
    assert messages(reading.problems, INFO) == ["F1: '</allOneLine >' taken as </allOneLine>"]


def test_an_all_one_line_block_never_closed_keeps_its_lines_and_is_reported():
    reading = read(one_line_flow("</allOneLne>"))
    f1 = reading.flows[0]["steps"][0]["message"]
    assert "\r\n<allOneLine>\r\nRefer-To: <sip:carol@example.com?Replaces=\r\n" in f1
    assert f1.endswith("12345%40example.com>\r\n</allOneLne>\r\nContent-Length: 0\r\n\r\n")
    assert messages(reading.problems) == [
        "F1: an <allOneLine> block is not closed: its lines are kept as written"
    ]


# --- Diagrams of every kind -----------------------------------------------------------------

NUMBERED = """\
4.1.  Flow I

             A              Controller
             |(1) INVITE no SDP  |
             |<------------------|
             |(2) 200 offer1     |
             |------------------>|
             |(3) RTP            |
             |...................|

                                Figure 1
"""


def test_arrows_numbered_in_parentheses_are_read_with_f_labels():
    flow = only_flow(NUMBERED)
    assert [(s["label"], s["kind"], s["from"]) for s in flow["steps"]] == [
        ("F1", "event", "controller"),
        ("F2", "event", "a"),
        ("M1", "media", "a"),
    ]
    assert "numbers its arrows (1), (2), ..." in flow["summary"]["en"]


def test_a_diagram_without_listing_is_reported_once_for_all_its_arrows():
    reading = read(NUMBERED)
    assert messages(reading.problems) == [
        "no listing gives the messages of this diagram: its 2 arrows are kept as events"
    ]
    assert "the arrows are numbered (1), (2), ...: read as F1, F2, ..." in messages(
        reading.problems, INFO
    )


def test_a_dotted_line_between_lifelines_is_a_media_leg_with_its_text():
    media = only_flow(NUMBERED)["steps"][2]
    assert (media["kind"], media["media"], media["text"]) == ("media", "two-way", {"en": "RTP"})


def test_unnumbered_arrows_get_generated_labels_that_the_flow_says_are_generated():
    text = NUMBERED.replace("(1) ", "").replace("(2) ", "").replace("(3) ", "")
    flow = only_flow(text)
    assert [s["label"] for s in flow["steps"] if s["kind"] == "event"] == ["F1", "F2"]
    assert "labels F1 to F2 were generated" in flow["summary"]["en"]
    assert "the arrows carry no labels: labelled F1 to F2 in the diagram's order " in (
        " ".join(messages(read(text).problems, INFO))
    )


def test_each_figure_of_a_section_becomes_a_flow_with_its_own_listing():
    second = BASIC.split("\n", 1)[1].replace("z9hG4bK74bf9", "z9hG4bKsecond")
    text = BASIC + "\n   Figure 1: First call\n\n" + second + "\n"
    text = text.replace(
        "   |                 |\n\n   Message", "   |                 |\n\n   Message", 1
    )
    reading = read(text)
    assert [f["slug"] for f in reading.flows] == ["3-1-basic-call", "3-1-basic-call-2"]
    first, again = ({s["label"]: s for s in f["steps"]} for f in reading.flows)
    assert "z9hG4bK74bf9" in first["F1"]["message"]
    assert "z9hG4bKsecond" in again["F1"]["message"]
    assert messages(reading.problems) == []


def test_an_unlabelled_entry_heading_ends_the_message_before_it():
    text = BASIC + "   Bob -> Carol\n\n   Seizure\n"
    f2 = steps(text)["F2"]["message"]
    assert "Seizure" not in f2 and "Carol" not in f2


BROKEN = """\
3.1.  Hold

   Alice              Bob
     |                 |
     |    INVITE F1    |
     |---------------->|

   Alice puts Bob on hold.

     |    200 OK F2    |
     |<----------------|
     |                 |
"""


def test_a_diagram_broken_by_a_line_of_prose_is_read_whole_with_its_names():
    text = BROKEN + "\n   Message Details\n\n" + BASIC.split("   Message Details\n\n")[1]
    flow = only_flow(text)
    assert [p["name"] for p in flow["participants"]] == ["Alice", "Bob"]
    assert [(s["label"], s["kind"]) for s in flow["steps"]] == [
        ("F1", "message"),
        ("E1", "event"),
        ("F2", "message"),
    ]
    assert flow["steps"][1]["text"] == {"en": "Alice puts Bob on hold."}
    assert messages(read(text).problems) == []


# BASIC with its lifelines two columns to the right of where its names would put them.
OFF_LIFELINES = (
    "\n".join(
        "Alice                 Bob"
        if line.strip() == "Alice              Bob"
        else "  " + line
        if line.startswith("     |")
        else line
        for line in BASIC.split("   Message Details")[0].splitlines()
    )
    + "\n"
)


def test_lane_names_written_off_their_lifelines_still_name_them_and_keep_the_arrows():
    text = OFF_LIFELINES + "   Message Details\n\n" + BASIC.split("   Message Details\n\n")[1]
    reading = read(text)
    flow = reading.flows[0]
    assert [p["name"] for p in flow["participants"]] == ["Alice", "Bob"]
    assert [(s["label"], s["kind"], s["from"]) for s in flow["steps"]] == [
        ("F1", "message", "alice"),
        ("F2", "message", "bob"),
    ]
    assert messages(reading.problems) == []


def test_a_name_far_from_every_lifeline_is_reported():
    text = OFF_LIFELINES.replace("Alice                 Bob", "Alice    Bob      Carol")
    assert "name 'Alice' is over no lifeline" in messages(read(text).problems)


def test_a_label_written_over_two_lines_is_one_caption_of_its_message():
    text = BASIC.replace(
        "     |    INVITE F1    |\n", "     |  INVITE (hold)  |\n     |       F1        |\n"
    )
    reading = read(text)
    assert [(s["label"], s["kind"]) for s in reading.flows[0]["steps"]] == [
        ("F1", "message"),
        ("F2", "message"),
    ]
    assert [(c.label, c.text) for c in reading.captions][0] == ("F1", "INVITE (hold)")
    assert messages(reading.problems) == []


def test_a_label_whose_f_label_comes_first_is_one_caption_too():
    text = BASIC.replace(
        "     |    INVITE F1    |\n", "     |       F1        |\n     |  INVITE (hold)  |\n"
    )
    reading = read(text)
    assert [s["kind"] for s in reading.flows[0]["steps"]] == ["message", "message"]
    assert [(c.label, c.text) for c in reading.captions][0] == ("F1", "INVITE (hold)")


def test_one_arrow_labelled_for_several_messages_gives_each_its_listed_direction():
    text = BASIC.replace("     |    200 OK F2    |\n     |<----------------|\n", "").replace(
        "     |    INVITE F1    |", "     | INVITE/200 F1 F2|"
    )
    reading = read(text)
    assert [(s["label"], s["from"], s["to"]) for s in reading.flows[0]["steps"]] == [
        ("F1", "alice", "bob"),
        ("F2", "bob", "alice"),
    ]
    assert messages(reading.problems) == []
    assert any("holds F1, F2" in m for m in messages(reading.problems, INFO))


def test_short_words_beside_the_ladder_mark_arrows_and_are_no_events():
    text = BASIC.replace("     |---------------->|", " d1  |---------------->|").replace(
        "     |<----------------|", " d1  |<----------------|"
    )
    reading = read(text)
    assert [s["kind"] for s in reading.flows[0]["steps"]] == ["message", "message"]
    assert "words beside the ladder ('d1') are not steps" in messages(reading.problems, INFO)


def test_an_arrow_crossing_a_lifeline_with_spaces_runs_to_the_far_lane():
    diagram = """\
   Alice        Proxy         Bob
     |            |            |
     |         INVITE F1       |
     |---------   |  --------->|
     |            |            |
"""
    text = flow_section(diagram, entry("F1", "INVITE", "Alice -> Bob"))
    f1 = steps(text)["F1"]
    assert (f1["from"], f1["to"]) == ("alice", "bob")
    assert messages(read(text).problems) == []


def test_entries_and_arrows_numbered_with_stars_are_read_as_f_labels():
    text = (
        BASIC.replace("INVITE F1", "INVITE *1")
        .replace("200 OK F2", "200 OK *2")
        .replace("   F1 INVITE Alice -> Bob", "   Message *1: Alice -> Bob")
        .replace("   F2 200 OK Bob -> Alice", "   Message *2: Bob -> Alice")
    )
    reading = read(text)
    assert [(s["label"], s["kind"]) for s in reading.flows[0]["steps"]] == [
        ("F1", "message"),
        ("F2", "message"),
    ]
    assert messages(reading.problems) == []
    assert "the arrows are numbered *1, *2, ...: read as F1, F2, ..." in messages(
        reading.problems, INFO
    )
