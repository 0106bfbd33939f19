import copy

import yaml

from sipflows.sip.draftcheck import validate_collecting
from tests.samples import SAMPLE_FLOW


def sample():
    return copy.deepcopy(yaml.safe_load(SAMPLE_FLOW))


def test_a_good_document_validates_with_no_problems():
    document, problems = validate_collecting(sample(), name="d")
    assert problems == [] and document["slug"] == "sample-call"


def test_every_problem_is_found_not_only_the_first():
    doc = sample()
    doc["participants"][1]["role"] = "boss"
    doc["steps"][0]["to"] = "carol"
    doc["steps"][3]["kind"] = "dream"
    doc["notes"][0]["discussion"] = {}
    document, problems = validate_collecting(doc, name="d")
    assert document is None
    assert [(p.step, p.key) for p in problems] == [
        (None, "participants[1].role"),
        ("F1", "to"),
        ("E1", "kind"),
        (None, "notes[0].discussion"),
    ]


def test_a_document_that_is_not_a_mapping_gives_one_problem():
    document, problems = validate_collecting(["not", "a", "flow"], name="d")
    assert document is None and len(problems) == 1


def test_the_original_is_left_as_it_was():
    doc = sample()
    doc["steps"][0]["kind"] = "dream"
    before = copy.deepcopy(doc)
    validate_collecting(doc, name="d")
    assert doc == before
