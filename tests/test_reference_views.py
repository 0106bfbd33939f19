import pytest

from sipflows import services
from sipflows.sip.flowdoc import parse_documents
from sipflows.sip.reference import KINDS, reference
from tests.pages import by_id, parse_page, text_of
from tests.samples import SAMPLE_FLOW

pytestmark = pytest.mark.django_db


def get_page(client, path):
    response = client.get(path)
    assert response.status_code == 200
    return parse_page(response.content)


def links(element):
    return {a.get("href"): text_of(a) for a in element.iter("a")}


def test_the_index_lists_every_entry_of_every_kind(client, library):
    page = get_page(client, "/sip/")
    for kind in KINDS:
        section = by_id(page, kind)
        hrefs = links(section)
        assert len(section.findall(".//dt")) == len(reference()[kind])
        assert all(entry.url in hrefs for entry in reference()[kind].values())


def test_the_index_says_how_many_steps_carry_a_token(client, library):
    page = get_page(client, "/sip/")
    join = next(dt for dt in by_id(page, "header").iter("dt") if text_of(dt) == "Join")
    row = list(by_id(page, "header").find(".//dl"))
    assert "1 step" in text_of(row[row.index(join) + 1])


def test_a_header_page_explains_it_and_links_its_rfc_section(client, library):
    page = get_page(client, "/sip/header/Replaces/")
    assert "Replaces" in text_of(page.find(".//h1"))
    assert links(page)["https://www.rfc-editor.org/rfc/rfc3891#section-6.1"] == "RFC 3891 §6.1"


def test_a_header_page_lists_the_steps_carrying_it_with_the_line(client, library):
    page = get_page(client, "/sip/header/Replaces/")
    item = next(li for li in page.iter("li") if links(li).get("/flows/call-pickup/F7/") == "F7")
    assert "early-only" in text_of(item.find("code"))
    assert text_of(item.find("code")).startswith("Replaces: 12345600@atlanta.example.com")


def test_a_header_embedded_in_a_uri_counts_as_carried(client, library):
    page = get_page(client, "/sip/header/Replaces/")
    item = next(li for li in page.iter("li") if links(li).get("/flows/call-park/F5/") == "F5")
    assert text_of(item.find("code")).startswith(
        "Refer-To: <sips:a8342043f@atlanta.example.com;gr?"
    )


def test_a_parameter_with_several_meanings_shows_each(client, library):
    page = get_page(client, "/sip/param/tag/")
    assert text_of(by_id(page, "in-from").find("h2")) == "In From"
    assert text_of(by_id(page, "in-to").find("h2")) == "In To"


def test_names_with_slashes_and_equals_signs_have_pages(client, library):
    assert "application/sdp" in text_of(
        get_page(client, "/sip/body/application/sdp/").find(".//h1")
    )
    page = get_page(client, "/sip/sdp/a=sendonly/")
    assert {"/flows/call-hold/F10/", "/flows/call-hold/F11/"} <= set(links(page))


def test_a_token_outside_the_reference_has_no_page(client, library):
    assert client.get("/sip/header/X-Unheard-Of/").status_code == 404
    assert client.get("/sip/nonsense/Via/").status_code == 404


def test_the_reference_page_is_in_chinese_for_chinese_readers(client, library):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = get_page(client, "/sip/option-tag/replaces/")
    assert "Replaces 头" in text_of(page.find(".//h1"))


# --- token controls on the step page ---------------------------------------------------------


def test_each_token_control_is_described_by_an_explanation_on_the_page(client, library):
    page = get_page(client, "/flows/call-pickup/F7/")
    controls = [a for a in by_id(page, "message").iter("a") if a.get("aria-describedby")]
    assert len(controls) > 20
    for control in controls:
        tip = by_id(page, control.get("aria-describedby"))
        assert tip is not None and tip.get("role") == "tooltip"
        assert control.get("href").startswith("/sip/")


def test_the_explanation_names_the_token_and_its_rfc(client, library):
    page = get_page(client, "/flows/call-pickup/F7/")
    tip = by_id(page, "tip-param-early-only")
    assert "early" in text_of(tip)
    assert links(tip)["https://www.rfc-editor.org/rfc/rfc3891#section-3"] == "RFC 3891 §3"
    assert links(tip)["/sip/param/early-only/"]


# --- RFC references in annotations and notes -------------------------------------------------


def flow_with_annotation(text: str):
    document = parse_documents(SAMPLE_FLOW, name="sample.yaml")[0]
    document["steps"][0]["annotation"] = {"en": text, "zh": text}
    return services.flows_import(documents=[document])[0]


def test_rfc_references_in_an_annotation_link_to_the_section(client, db):
    flow_with_annotation(
        "Responses go back by Via (RFC 3261 §18.2.2; see RFC 3261, section 8.2.6.2)."
    )
    annotation = by_id(get_page(client, "/flows/sample-call/F1/"), "annotation")
    assert links(annotation) == {
        "https://www.rfc-editor.org/rfc/rfc3261#section-18.2.2": "RFC 3261 §18.2.2",
        "https://www.rfc-editor.org/rfc/rfc3261#section-8.2.6.2": "RFC 3261, section 8.2.6.2",
    }


def test_markup_in_an_annotation_stays_text_beside_the_rfc_links(client, db):
    attack = '<script>alert(1)</script><a href="https://evil.example">RFC 3261 §8</a> "RFC 1"'
    flow_with_annotation(attack)
    annotation = by_id(get_page(client, "/flows/sample-call/F1/"), "annotation")
    assert annotation.find(".//script") is None
    assert links(annotation) == {"https://www.rfc-editor.org/rfc/rfc3261#section-8": "RFC 3261 §8"}
    assert "<script>alert(1)</script>" in text_of(annotation)


def test_rfc_references_in_notes_link_to_the_section(client, library):
    page = get_page(client, "/notes/")
    hrefs = [a.get("href") for a in page.iter("a") if a.get("class") == "rfc"]
    assert "https://www.rfc-editor.org/rfc/rfc5359#section-2.16" in hrefs
