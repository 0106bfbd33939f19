"""The RFC as printed, set against the corrected flows."""

from pathlib import Path

from sipflows.sip.aswritten import CORRECTED, WRITTEN, compare_as_written
from sipflows.sip.flowdoc import parse_documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def printed(slug: str):
    load = lambda path: parse_documents(path.read_bytes(), name=path.name)[0]  # noqa: E731
    return compare_as_written(
        load(FIXTURES / f"{slug}.yaml"), load(FIXTURES / "as-written" / f"{slug}.yaml")
    )


def test_the_arrow_of_2_13_f11_is_drawn_to_the_announcement_server():
    step = printed("incoming-call-screening")["F11"]
    assert (step.sender, step.receiver) == ("Alice", "Announcement Server")
    assert step.arrow_differs


def test_the_reader_notes_that_2_13_f11_is_listed_from_the_announcement_server():
    step = printed("incoming-call-screening")["F11"]
    assert any("Announcement Server -> Proxy 1" in remark for remark in step.remarks)


def test_2_16_f7_marks_the_printed_from_tag_and_its_correction():
    lines = printed("call-pickup")["F7"].lines
    assert any("from-tag=314578;" in line.text for line in lines if line.status == WRITTEN)
    assert any("from-tag=3145678;" in line.text for line in lines if line.status == CORRECTED)


def test_the_printed_lines_give_back_the_rfcs_message_exactly():
    document = parse_documents(
        (FIXTURES / "as-written" / "call-pickup.yaml").read_bytes(), name="call-pickup"
    )[0]
    listed = next(step["message"] for step in document["steps"] if step["label"] == "F7")
    lines = printed("call-pickup")["F7"].lines
    assert [line.text for line in lines if line.status != CORRECTED] == listed.splitlines()
