from types import SimpleNamespace

from sipflows.templatetags.sipflows import kind_counts, note_diff


def marked(pieces) -> list[str]:
    return [piece.text for piece in pieces if piece.changed]


def note(as_written: str, correction: str):
    return SimpleNamespace(as_written=as_written, correction=correction)


def test_a_changed_word_is_marked_on_both_sides():
    diff = note_diff(
        note("the subscription between Bob and Carol", "the subscription between Bob and Bill")
    )
    assert marked(diff.written) == ["Carol"]
    assert marked(diff.corrected) == ["Bill"]


def test_a_digit_missing_from_a_tag_marks_only_that_digit():
    diff = note_diff(note(";from-tag=314578;to-tag=1234567", ";from-tag=3145678;to-tag=1234567"))
    assert marked(diff.written) == []
    assert marked(diff.corrected) == ["6"]


def test_an_added_line_is_marked_in_the_correction_only():
    diff = note_diff(
        note(
            "Max-Forwards: 70\nFrom: Alice\n", "Max-Forwards: 70\nRoute: <sips:ss1>\nFrom: Alice\n"
        )
    )
    assert marked(diff.written) == []
    assert "".join(marked(diff.corrected)).strip() == "Route: <sips:ss1>"


def test_the_pieces_put_back_together_are_the_texts():
    written, corrected = (
        "F11 200 OK Announcement Server -> Proxy 1\n",
        "F11 200 OK Announcement Server -> Alice\n",
    )
    diff = note_diff(note(written, corrected))
    assert "".join(p.text for p in diff.written) == written
    assert "".join(p.text for p in diff.corrected) == corrected


def test_notes_are_counted_by_kind_in_the_order_they_come():
    notes = [SimpleNamespace(kind=k) for k in ("rfc-defect", "discussion", "rfc-defect")]
    assert kind_counts(notes) == [("rfc-defect", 2), ("discussion", 1)]
