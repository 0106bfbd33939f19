import re

import pytest
from django.urls import reverse

from tests.conftest import save_edit

pytestmark = pytest.mark.django_db


def test_home_shows_all_18_slots_even_when_flows_are_missing(client, sample_flow):
    page = client.get("/").content.decode()
    for section in ("2.1", "2.6", "2.12", "2.18"):
        assert f"§{section}" in page
    assert page.count("not in the library yet") == 18


def test_home_links_the_flows_the_library_holds(client, library):
    page = client.get("/").content.decode()
    assert 'href="/flows/call-pickup/"' in page
    assert page.count("not in the library yet") == 18 - len(library)


def test_flows_outside_rfc_5359_are_listed_too(client, sample_flow):
    page = client.get("/").content.decode()
    assert 'href="/flows/sample-call/"' in page


def test_overview_shows_the_ladder_summary_and_a_start_link(client, sample_flow):
    page = client.get("/flows/sample-call/").content.decode()
    assert '<svg class="ladder-body"' in page
    assert "Alice calls Bob and hangs up." in page
    assert 'rel="next" data-step-link data-label="F1" href="/flows/sample-call/F1/"' in page


def test_step_page_highlights_the_current_arrow(client, sample_flow):
    page = client.get("/flows/sample-call/F2/").content.decode()
    assert page.count("is-current") == 1
    assert re.search(r'<a [^>]*is-current[^>]*data-label="F2"', page)


def test_step_page_shows_the_highlighted_message_and_annotation(client, sample_flow):
    page = client.get("/flows/sample-call/F1/").content.decode()
    assert 'class="sipmsg"' in page
    assert '<span class="na">Max-Forwards</span>' in page
    assert "Alice invites Bob." in page


def test_annotation_text_is_escaped(client, sample_flow):
    page = client.get("/flows/sample-call/F2/").content.decode()
    assert "Bob answers &lt;at once&gt;." in page


def test_step_page_puts_the_rfc_as_written_beside_the_correction(client, sample_flow):
    page = client.get("/flows/sample-call/F2/").content.decode()
    notes = page.split('id="step-notes"')[1]
    assert "The RFC as written" in notes
    assert "tag=314578" in notes.split('class="as-written"')[1].split("</figure>")[0]
    assert "tag=3145678" in notes.split('class="correction"')[1].split("</figure>")[0]


def test_previous_and_next_are_plain_links(client, sample_flow):
    page = client.get("/flows/sample-call/F2/").content.decode()
    assert 'rel="prev" data-step-link data-label="F1" href="/flows/sample-call/F1/"' in page
    assert 'rel="next" data-step-link data-label="M1" href="/flows/sample-call/M1/"' in page


def test_media_and_event_steps_have_their_own_pages(client, sample_flow):
    assert "Two-way RTP" in client.get("/flows/sample-call/M1/").content.decode()
    assert "Bob is busy" in client.get("/flows/sample-call/E1/").content.decode()


def test_htmx_request_gets_only_the_step_frame(client, sample_flow):
    response = client.get("/flows/sample-call/F1/", headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="ladder-cursor" hx-swap-oob="true"')
    assert '<div id="step-panel" class="step-panel" hx-swap-oob="true">' in body
    assert "<html" not in body and "<svg" not in body
    assert "Alice invites Bob." in body


def test_unknown_flow_and_step_are_404(client, sample_flow):
    assert client.get("/flows/no-such-flow/").status_code == 404
    assert client.get("/flows/sample-call/F99/").status_code == 404


def test_notes_page_lists_every_note_with_a_link_to_its_step(client, sample_flow):
    page = client.get(reverse("notes")).content.decode()
    assert page.count('class="note note-') == 2
    assert 'href="/flows/sample-call/F2/"' in page


def test_chinese_sticks_once_chosen(client, sample_flow):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get("/flows/sample-call/F1/").content.decode()
    assert "Alice 邀请 Bob。" in page
    assert "Alice invites Bob." not in page
    assert '<html lang="zh-hans">' in page


def test_chinese_ui_strings_are_translated(client, sample_flow):
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    page = client.get("/flows/sample-call/F2/").content.decode()
    assert "RFC 原文" in page


def test_step_page_shows_what_the_checker_finds_on_that_step(client, sample_flow):
    assert 'id="step-findings"' not in client.get("/flows/sample-call/F2/").content.decode()
    # Break F2 the way RFC 5359 §2.2 F19 is broken: a Call-ID that is not its request's.

    def break_call_id(document):
        f2 = document["steps"][1]
        f2["message"] = f2["message"].replace("12345600@atlanta", "99999@atlanta")

    save_edit(sample_flow, break_call_id)  # a new revision, checked again
    page = client.get("/flows/sample-call/F2/").content.decode()
    findings = page.split('id="step-findings"')[1].split("</section>")[0]
    assert "response-matches-request" in findings
    assert "99999@atlanta" in findings
    assert 'id="step-findings"' not in client.get("/flows/sample-call/F1/").content.decode()


@pytest.mark.parametrize("path", ["/flows/call-park/", "/flows/call-park/F5/", "/notes/"])
def test_pages_take_a_few_queries_however_many_notes_there_are(
    client, library, django_assert_max_num_queries, path
):
    with django_assert_max_num_queries(6):
        assert client.get(path).status_code == 200


def test_an_edited_event_shows_on_the_ladder_at_once(client, sample_flow):
    assert "Bob is busy" in client.get("/flows/sample-call/").content.decode()
    save_edit(
        sample_flow, lambda document: document["steps"][-1].update(text={"en": "Bob is away"})
    )
    ladder = client.get("/flows/sample-call/").content.decode().split('class="ladder-body"')[1]
    assert "Bob is away" in ladder and "Bob is busy" not in ladder
