"""Unit tests for the ladder layout and its SVG template (no database)."""

import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string

from sipflows.ladder import (
    MIN_SPACING,
    ROW_GAP,
    Ladder,
    LaneSpec,
    StepSpec,
    layout_ladder,
)

SVG = "{http://www.w3.org/2000/svg}"


def lanes(n: int) -> list[LaneSpec]:
    return [LaneSpec(f"l{i}", f"Lane {i}", "ua") for i in range(1, n + 1)]


def msg(label: str, a: str, b: str, caption: str = "INVITE", **kw) -> StepSpec:
    return StepSpec(
        label=label,
        kind="message",
        from_key=a,
        to_key=b,
        caption=caption,
        media=None,
        has_notes=kw.get("has_notes", False),
        url=f"/flows/demo/{label}/",
    )


def media(label: str, a: str, b: str, mode: str) -> StepSpec:
    return StepSpec(label, "media", a, b, "RTP Media", mode, False, f"/m/{label}/")


def event(label: str, text: str) -> StepSpec:
    return StepSpec(label, "event", None, None, text, None, False, f"/e/{label}/")


def gaps(ladder: Ladder) -> list[int]:
    xs = [lane.x for lane in ladder.lanes]
    return [b - a for a, b in zip(xs, xs[1:], strict=False)]


def test_lane_x_increases_left_to_right():
    ladder = layout_ladder(lanes(4), [msg("F1", "l1", "l2")])
    assert all(g > 0 for g in gaps(ladder))
    assert [lane.key for lane in ladder.lanes] == ["l1", "l2", "l3", "l4"]


def test_message_right_to_left():
    row = layout_ladder(lanes(3), [msg("F1", "l3", "l1")]).rows[0]
    assert row.direction == "left"
    assert row.x1 > row.x2
    assert row.label_text == "F1 INVITE"


def test_message_spanning_lanes_reaches_far_lane():
    ladder = layout_ladder(lanes(4), [msg("F1", "l1", "l4")])
    row = ladder.rows[0]
    assert (row.x1, row.x2) == (ladder.lanes[0].x, ladder.lanes[3].x)
    assert row.direction == "right"


def test_self_message_draws_loop():
    row = layout_ladder(lanes(2), [msg("F1", "l2", "l2", "NOTIFY")]).rows[0]
    assert row.direction == "self"
    assert row.x1 == row.x2
    assert row.paths and row.heads
    assert row.text_anchor == "end"  # last lane: loops left, caption on the left


def test_spacing_grows_with_long_caption():
    short = layout_ladder(lanes(3), [msg("F1", "l1", "l2", "BYE")])
    long_caption = "SIP/2.0 181 Call Is Being Forwarded"
    long = layout_ladder(lanes(3), [msg("F1", "l1", "l2", long_caption)])
    assert gaps(short)[0] == MIN_SPACING
    assert gaps(long)[0] > MIN_SPACING
    assert gaps(long)[1] == MIN_SPACING  # only the gap it crosses widens


def test_rows_ordered_and_evenly_spaced():
    steps = [msg(f"F{i}", "l1", "l2") for i in range(1, 8)]
    ladder = layout_ladder(lanes(2), steps)
    assert [r.label for r in ladder.rows] == [s.label for s in steps]
    ys = [r.y for r in ladder.rows]
    assert {b - a for a, b in zip(ys, ys[1:], strict=False)} == {ROW_GAP}
    assert ys[-1] < ladder.body_height


def test_event_spans_all_lanes():
    ladder = layout_ladder(lanes(5), [event("E1", "Bob answers")])
    row = ladder.rows[0]
    assert row.direction == "span"
    assert row.x1 < ladder.lanes[0].x
    assert row.x2 > ladder.lanes[-1].x
    assert row.box_x == row.x1 and row.box_width == row.x2 - row.x1


@pytest.mark.parametrize(("mode", "heads"), [("two-way", 2), ("one-way", 1), ("none", 0)])
def test_media_modes_carried_through(mode: str, heads: int):
    row = layout_ladder(lanes(2), [media("M1", "l1", "l2", mode)]).rows[0]
    assert row.media == mode
    assert len(row.heads) == heads
    assert len(row.paths) == 2  # a double line
    assert bool(row.cross) == (mode == "none")


def test_unknown_lane_key_names_the_step():
    with pytest.raises(ValueError, match=r"F9.*'nowhere'"):
        layout_ladder(lanes(2), [msg("F9", "l1", "nowhere")])


def test_message_without_lanes_is_rejected():
    with pytest.raises(ValueError, match="F2"):
        layout_ladder(lanes(2), [msg("F2", "l1", None)])  # type: ignore[arg-type]


def test_big_flow_stays_laptop_sized():
    # Find-Me has 6 lanes, Consultation Hold 38 steps: take the worst of both,
    # with the long 181 between the first two lanes, as in Find-Me.
    names = ["Alice", "Proxy 1", "Proxy 2", "Bob", "Carol", "Voicemail Server"]
    specs = [LaneSpec(f"k{i}", n, "ua") for i, n in enumerate(names)]
    captions = ["INVITE Replaces:Bob", "(100 Trying)", "180 Ringing", "200 OK"]
    steps = [msg(f"F{i}", f"k{i % 5 + 1}", f"k{i % 5}", captions[i % 4]) for i in range(1, 38)]
    steps.append(msg("F38", "k1", "k0", "SIP/2.0 181 Call Is Being Forwarded"))
    ladder = layout_ladder(specs, steps)
    assert 1000 <= ladder.width < 1400
    assert ladder.height < 38 * 45
    assert ladder.height == ladder.header_height + ladder.body_height


def render(ladder: Ladder, current: str | None) -> str:
    return render_to_string("sipflows/ladder.html", {"ladder": ladder, "current": current})


def test_template_renders_well_formed_svg():
    steps = [
        msg("F1", "l1", "l2", has_notes=True),
        msg("F2", "l2", "l1", "<script>alert(1)</script>"),
        media("M1", "l1", "l2", "two-way"),
        event("E1", "Bob & Alice talk"),
    ]
    html = render(layout_ladder(lanes(2), steps), current="F2")
    root = ET.fromstring(f"<root>{html}</root>")  # raises if malformed
    links = list(root.iter(f"{SVG}a"))
    rows = {a.get("data-label"): a for a in links if "step-badge" not in a.get("class")}
    badges = [a for a in links if "step-badge" in a.get("class")]
    assert list(rows) == ["F1", "F2", "M1", "E1"]
    assert "is-current" in rows["F2"].get("class", "").split()
    assert rows["F2"].get("aria-current") == "step"
    assert "is-current" not in rows["F1"].get("class", "")
    assert [badge.get("href") for badge in badges] == ["/flows/demo/F1/#step-notes"]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    text = "".join(rows["F2"].find(f"{SVG}text").itertext())
    assert text == "F2 <script>alert(1)</script>"


SCREENING_LANES = [
    LaneSpec("alice", "Alice", "ua"),
    LaneSpec("proxy", "Proxy", "proxy"),
    LaneSpec("bob", "Bob", "ua"),
    LaneSpec("server", "Announcement Server", "server"),
]
# RFC 5359 §2.13 F11 as written: the listing heading and the diagram's arrow.
F11_AS_WRITTEN = """\
     F11 200 OK Announcement Server -> Proxy 1

               |    200 OK F11  |              |              |
               |--------------------------------------------->|
"""


def with_rfc_text(label: str, a: str, b: str, *texts: str) -> StepSpec:
    return StepSpec(label, "message", a, b, "200 OK", None, True, f"/f/{label}/", texts)


def test_an_arrow_the_rfc_drew_the_wrong_way_is_drawn_ghosted():
    layout = layout_ladder(
        SCREENING_LANES, [with_rfc_text("F11", "server", "alice", F11_AS_WRITTEN)]
    )
    ghost, xs = layout.rows[0].ghost, {lane.key: lane.x for lane in layout.lanes}
    assert (ghost.sender, ghost.receiver) == ("Alice", "Announcement Server")
    assert ghost.path.startswith(f"M{xs['alice']},")
    assert ghost.head.split()[1].startswith(f"{xs['server']},")  # the tip, at the server


def test_a_listing_heading_gives_the_ghost_where_the_diagram_agrees_with_the_step():
    heading_only = "        F10 INVITE Alice -> Proxy 1\n"
    layout = layout_ladder(SCREENING_LANES, [with_rfc_text("F10", "alice", "server", heading_only)])
    assert (layout.rows[0].ghost.sender, layout.rows[0].ghost.receiver) == ("Alice", "Proxy")


def test_no_ghost_when_the_rfc_text_agrees_or_says_nothing_of_direction():
    steps = [
        with_rfc_text("F1", "alice", "server", "        F1 INVITE Alice -> Announcement Server\n"),
        with_rfc_text("F2", "alice", "proxy", "Contact: <sips:ms.biloxi.example.com>\n"),
        # A drawing with only two of the four lifelines cannot be placed on the lanes.
        with_rfc_text("F3", "alice", "proxy", "   |   F3   |\n   |<-------|\n"),
    ]
    assert [row.ghost for row in layout_ladder(SCREENING_LANES, steps).rows] == [None] * 3


def test_the_ghost_is_drawn_in_the_svg():
    layout = layout_ladder(
        SCREENING_LANES, [with_rfc_text("F11", "server", "alice", F11_AS_WRITTEN)]
    )
    root = ET.fromstring(f"<root>{render(layout, current=None)}</root>")
    ghosts = list(root.iter(f"{SVG}g"))
    assert [g.get("class") for g in ghosts if g.get("class") == "step-ghost"] == ["step-ghost"]


def test_only_the_current_row_or_the_first_is_a_tab_stop():
    steps = [msg("F1", "l1", "l2"), msg("F2", "l2", "l1"), msg("F3", "l1", "l2")]
    for current, tabbable in ((None, "F1"), ("F2", "F2")):
        root = ET.fromstring(f"<root>{render(layout_ladder(lanes(2), steps), current)}</root>")
        stops = [a.get("data-label") for a in root.iter(f"{SVG}a") if a.get("tabindex") != "-1"]
        assert stops == [tabbable]
