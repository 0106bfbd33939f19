"""The editor in a browser's terms: what is posted, what is saved, what the editor is told."""

import pytest
from bs4 import BeautifulSoup

from sipflows.models import Flow, FlowRevision
from tests.conftest import save_edit
from tests.editor_forms import form_fields, step_index

EDIT = "/flows/sample-call/edit/"


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


def opened(client, url=EDIT) -> dict[str, str]:
    response = client.get(url)
    assert response.status_code == 200
    return form_fields(response.content)


def test_an_editor_sees_the_flow_in_the_form(client, editor, sample_flow):
    data = opened(client)
    assert data["slug"] == "sample-call"
    assert data["step-0-label"] == "F1"
    assert data["step-0-message"].startswith("INVITE sip:")


def test_saving_the_form_unchanged_with_a_message_makes_one_revision(client, editor, sample_flow):
    data = opened(client)
    i = step_index(data, "F1")
    data.update(
        {f"step-{i}-annotation_en": "Alice calls.", "op": "save", "change_message": "Say it"}
    )
    response = client.post(EDIT, data)
    assert response.status_code == 302
    revision = FlowRevision.objects.get(flow=sample_flow, number=2)
    assert revision.message == "Say it"
    assert revision.author == editor
    assert revision.document["steps"][i]["annotation"]["en"] == "Alice calls."


def test_a_save_without_a_change_message_is_refused_and_keeps_what_was_typed(
    client, editor, sample_flow
):
    data = opened(client)
    data.update({"step-0-annotation_en": "Typed by hand", "op": "save", "change_message": ""})
    response = client.post(EDIT, data)
    assert response.status_code == 400
    assert form_fields(response.content)["step-0-annotation_en"] == "Typed by hand"
    assert "Say in a few words" in text(soup(response).find(id="editor-refusals"))
    assert Flow.objects.get(pk=sample_flow.pk).version == 1


def post(client, data, url=EDIT, **extra):
    return client.post(url, data, **extra)


def test_every_library_flow_comes_back_from_the_form_unchanged(client, editor, library):
    from sipflows import selectors
    from sipflows.forms import FlowDraft
    from sipflows.sip.flowdoc import validate_document

    for flow in library:
        data = opened(client, f"/flows/{flow.slug}/edit/")
        crlf = {k: v.replace("\n", "\r\n") for k, v in data.items()}  # as browsers post
        again = validate_document(FlowDraft.from_post(crlf).to_raw(), name=flow.slug)
        assert again == selectors.flow_document(flow=flow), flow.slug


def test_a_stale_save_shows_both_versions_and_keeps_the_draft(client, editor, sample_flow):
    data = opened(client)
    save_edit(sample_flow, lambda d: d["steps"][0]["annotation"].update(en="Theirs."))
    data.update({"step-0-annotation_en": "Mine.", "op": "save", "change_message": "mine"})
    response = post(client, data)
    assert response.status_code == 409
    page = soup(response)
    assert "revision 2" in text(page.find(id="conflict"))
    assert form_fields(response.content)["step-0-annotation_en"] == "Mine."
    choice = page.select_one('[data-choice="merge:step:F1:annotation"]')
    assert "Mine." in text(choice) and "Theirs." in text(choice)
    assert Flow.objects.get(pk=sample_flow.pk).version == 2


def conflicted(client, sample_flow, theirs, mine):
    """The form after a stale save: theirs saved meanwhile, mine typed on revision 1."""
    data = opened(client)
    save_edit(sample_flow, theirs)
    mine(data)
    data.update({"op": "save", "change_message": "mine"})
    response = post(client, data)
    assert response.status_code == 409
    return form_fields(response.content)


@pytest.fixture
def both_changed_f1(client, sample_flow):
    """The form after both sides changed F1's annotation: "Theirs." saved, "Mine." typed."""
    return conflicted(
        client,
        sample_flow,
        lambda d: d["steps"][0]["annotation"].update(en="Theirs."),
        lambda data: data.update({"step-0-annotation_en": "Mine."}),
    )


def test_merge_keeps_their_change_and_mine_by_default(client, editor, sample_flow):
    data = conflicted(
        client,
        sample_flow,
        lambda d: d["steps"][1]["annotation"].update(en="Their F2."),
        lambda data: data.update({"step-0-annotation_en": "My F1."}),
    )
    merged = post(client, {**data, "op": "merge"})
    assert merged.status_code == 200
    fields = form_fields(merged.content)
    assert (fields["step-0-annotation_en"], fields["step-1-annotation_en"]) == (
        "My F1.",
        "Their F2.",
    )
    assert fields["base_version"] == "2"
    saved = post(client, {**fields, "op": "save", "change_message": "merged"})
    assert saved.status_code == 302
    steps = FlowRevision.objects.get(flow=sample_flow, number=3).document["steps"]
    assert [s["annotation"]["en"] for s in steps[:2]] == ["My F1.", "Their F2."]


def test_merge_takes_theirs_where_the_editor_chooses_it(
    client, editor, sample_flow, both_changed_f1
):
    data = both_changed_f1
    data["merge:step:F1:annotation"] = "theirs"
    fields = form_fields(post(client, {**data, "op": "merge"}).content)
    assert fields["step-0-annotation_en"] == "Theirs."


def test_overwrite_saves_mine_and_keeps_theirs_in_the_history(
    client, editor, sample_flow, both_changed_f1
):
    data = both_changed_f1
    assert post(client, {**data, "op": "overwrite"}).status_code == 302
    current = FlowRevision.objects.get(flow=sample_flow, number=3).document
    theirs = FlowRevision.objects.get(flow=sample_flow, number=2).document
    assert current["steps"][0]["annotation"]["en"] == "Mine."
    assert theirs["steps"][0]["annotation"]["en"] == "Theirs."


def test_overwrite_is_refused_again_if_yet_another_save_came_in(
    client, editor, sample_flow, both_changed_f1
):
    data = both_changed_f1
    save_edit(sample_flow, lambda d: d["steps"][0]["annotation"].update(en="Third."))
    assert post(client, {**data, "op": "overwrite"}).status_code == 409
    assert Flow.objects.get(pk=sample_flow.pk).version == 3


def test_a_message_that_does_not_parse_is_saved_as_work_in_progress(client, editor, sample_flow):
    data = opened(client)
    data.update({"step-0-message": "INVITE half typed", "op": "save", "change_message": "draft F1"})
    response = post(client, data, follow=True)
    assert "work in progress" in text(soup(response).select_one(".notices"))
    assert soup(response).select_one("fieldset.is-work-in-progress .wip-badge")
    step_page = soup(client.get("/flows/sample-call/F1/"))
    assert step_page.find(id="work-in-progress")
    assert "message-parse" in text(step_page.find(id="step-findings"))


def test_a_step_that_parses_has_no_work_in_progress_badge(client, sample_flow):
    assert soup(client.get("/flows/sample-call/F1/")).find(id="work-in-progress") is None


def test_the_check_while_typing_lists_parser_problems_with_line_numbers(
    client, editor, sample_flow
):
    data = opened(client)
    data.update(
        {"step-0-message": "INVITE sip:bob@biloxi.example.com SIP/2.0\nVia", "op": "check:0"}
    )
    response = post(client, data, HTTP_HX_REQUEST="true")
    feedback = soup(response).find(id="step-0-feedback")
    assert "line 2" in text(feedback.select_one(".parse-problems"))


def test_the_check_while_typing_shows_the_checkers_finding_on_the_step(client, editor, sample_flow):
    data = opened(client)
    i = step_index(data, "F2")
    data[f"step-{i}-message"] = data[f"step-{i}-message"].replace(
        "CSeq: 1 INVITE", "CSeq: 2 INVITE"
    )
    data["op"] = f"check:{i}"
    response = post(client, data, HTTP_HX_REQUEST="true")
    findings = soup(response).find(id=f"step-{i}-feedback").select_one(".step-findings")
    assert "response-matches-request" in text(findings)


def test_the_check_while_typing_brings_the_preview_of_the_draft(client, editor, sample_flow):
    data = opened(client)
    data.update({"step-0-annotation_en": "Not saved yet.", "op": "check:0"})
    preview = soup(post(client, data, HTTP_HX_REQUEST="true")).find(id="editor-preview")
    assert preview["hx-swap-oob"] == "true"
    assert "Not saved yet." in text(preview.find(id="annotation"))
    assert preview.select_one(".ladder")


@pytest.mark.parametrize(
    ("op", "labels"),
    [
        ("step-insert:0", ["F3", "F1", "F2", "M1", "E1"]),
        ("step-insert:4", ["F1", "F2", "M1", "E1", "F3"]),
        ("step-up:1", ["F2", "F1", "M1", "E1"]),
        ("step-down:0", ["F2", "F1", "M1", "E1"]),
        ("step-remove:3", ["F1", "F2", "M1"]),
    ],
)
def test_step_actions_redraw_the_form_with_the_steps_in_order(
    client, editor, sample_flow, op, labels
):
    data = {**opened(client), "op": op}
    fields = form_fields(post(client, data, HTTP_HX_REQUEST="true").content)
    assert [fields[f"step-{i}-label"] for i in range(int(fields["steps"]))] == labels


def test_step_actions_keep_what_was_typed(client, editor, sample_flow):
    data = {**opened(client), "step-1-annotation_en": "typed", "op": "step-insert:0"}
    fields = form_fields(post(client, data, HTTP_HX_REQUEST="true").content)
    assert fields["step-2-annotation_en"] == "typed"


def test_removing_a_lane_that_steps_use_is_refused_naming_them(client, editor, sample_flow):
    data = {**opened(client), "op": "lane-remove:1"}
    response = post(client, data, HTTP_HX_REQUEST="true")
    refusal = text(soup(response).find(id="editor-refusals"))
    assert "F1, F2, M1" in refusal
    assert form_fields(response.content)["lanes"] == "2"


def test_an_unused_lane_can_be_added_renamed_and_removed(client, editor, sample_flow):
    fields = form_fields(post(client, {**opened(client), "op": "lane-add"}).content)
    assert fields["lanes"] == "3"
    fields = form_fields(post(client, {**fields, "op": "lane-remove:2"}).content)
    assert fields["lanes"] == "2"


def test_changing_a_lane_key_takes_its_steps_with_it(client, editor, sample_flow):
    data = {**opened(client), "lane-1-key": "robert", "op": "save", "change_message": "rename"}
    assert post(client, data).status_code == 302
    document = FlowRevision.objects.get(flow=sample_flow, number=2).document
    assert document["steps"][0]["to"] == "robert"


def test_lanes_reorder(client, editor, sample_flow):
    fields = form_fields(post(client, {**opened(client), "op": "lane-down:0"}).content)
    assert [fields["lane-0-key"], fields["lane-1-key"]] == ["bob", "alice"]


def test_a_note_can_be_added_and_saved(client, editor, sample_flow):
    fields = form_fields(post(client, {**opened(client), "op": "note-add"}).content)
    n = int(fields["notes"]) - 1
    fields.update(
        {
            f"note-{n}-step": "F1",
            f"note-{n}-discussion_en": "Why *this* matters.",
            f"note-{n}-discussion_zh": "为什么",
            f"note-{n}-acknowledges": "ack, cancel",
            "op": "save",
            "change_message": "note",
        }
    )
    assert post(client, fields).status_code == 302
    note = FlowRevision.objects.get(flow=sample_flow, number=2).document["notes"][-1]
    assert note["step"] == "F1" and note["acknowledges"] == ["ack", "cancel"]


def test_changing_a_step_kind_to_event_saves_its_text(client, editor, sample_flow):
    data = opened(client)
    data.update({"step-0-kind": "event", "step-0-text_en": "Alice thinks", "op": "save"})
    data.update({"step-0-sender": "", "step-0-receiver": "", "change_message": "kind"})
    assert post(client, data).status_code == 302
    step = FlowRevision.objects.get(flow=sample_flow, number=2).document["steps"][0]
    assert step == {
        "label": "F1",
        "kind": "event",
        "text": {"en": "Alice thinks"},
        "focus": ["Via"],
        "annotation": {"en": "Alice invites Bob.", "zh": "Alice 邀请 Bob。"},
    }


def test_a_draft_with_several_problems_lists_them_all_and_keeps_everything(
    client, editor, sample_flow
):
    data = opened(client)
    data.update({"step-0-sender": "", "step-1-label": "F1", "title_en": "", "op": "save"})
    data["change_message"] = "broken"
    response = post(client, data)
    assert response.status_code == 400
    problems = [text(li) for li in soup(response).select("#draft-problems li")]
    assert len(problems) >= 3
    assert any("key 'title'" in p for p in problems)
    assert any("step F1" in p and "'from'" in p for p in problems)
    assert form_fields(response.content)["step-1-label"] == "F1"


def test_a_message_over_64_kib_is_refused_and_kept(client, editor, sample_flow):
    data = opened(client)
    huge = data["step-0-message"] + "X-Padding: " + "a" * 70_000 + "\n"
    data.update({"step-0-message": huge, "op": "save", "change_message": "big"})
    response = post(client, data)
    assert response.status_code == 400
    assert "64 KiB" in text(soup(response).find(id="editor-refusals"))
    assert form_fields(response.content)["step-0-message"] == huge


def test_more_than_500_steps_are_refused_and_kept(client, editor, sample_flow):
    data = opened(client)
    for i in range(4, 502):
        data.update(
            {f"step-{i}-label": f"E{i}", f"step-{i}-kind": "event", f"step-{i}-text_en": "x"}
        )
    data.update({"steps": "502", "op": "save", "change_message": "long"})
    response = post(client, data)
    assert response.status_code == 400
    assert "at most 500" in text(soup(response).find(id="editor-refusals"))
    assert Flow.objects.get(pk=sample_flow.pk).version == 1


def test_a_new_flow_is_saved_as_revision_1(client, editor, db):
    data = opened(client, "/flows/new/")
    data.update({"slug": "my-pbx", "title_en": "My PBX", "change_message": "new", "op": "save"})
    data["step-0-message"] = "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
    response = post(client, data, url="/flows/new/")
    assert response.status_code == 302
    assert Flow.objects.get(slug="my-pbx").version == 1


def test_a_new_flow_may_not_take_a_slug_the_library_has(client, editor, sample_flow):
    data = opened(client, "/flows/new/")
    data.update({"slug": "sample-call", "title_en": "Again", "change_message": "x", "op": "save"})
    data["step-0-message"] = "OPTIONS sip:bob@biloxi.example.com SIP/2.0\n"
    response = post(client, data, url="/flows/new/")
    assert response.status_code == 400
    assert "already" in text(soup(response).find(id="editor-refusals"))


def test_duplicate_opens_a_copy_under_a_new_slug(client, editor, sample_flow):
    data = opened(client, "/flows/new/?from=sample-call")
    assert data["slug"] == "sample-call-copy"
    assert data["steps"] == "4"


def test_delete_is_a_revision_and_the_history_restores_it(client, editor, sample_flow):
    response = client.post("/flows/sample-call/delete/", {"base_version": 1})
    assert response.status_code == 302
    assert client.get("/flows/sample-call/").status_code == 404
    client.post("/flows/sample-call/revert/", {"number": 1, "base_version": 2})
    assert client.get("/flows/sample-call/").status_code == 200


def test_a_step_label_the_flows_own_pages_use_is_refused(client, editor, sample_flow):
    data = {**opened(client), "step-3-label": "history", "op": "save", "change_message": "x"}
    response = post(client, data)
    assert response.status_code == 400
    assert "step history" in text(soup(response).find(id="draft-problems"))


def test_the_editor_speaks_chinese_too(client, editor, sample_flow):
    client.cookies["django_language"] = "zh-hans"
    page = soup(client.get(EDIT))
    assert "保存为新的修订版本" in text(page.find(id="save-button"))


def test_a_post_too_large_for_the_server_says_so_and_saves_nothing(client, editor, sample_flow):
    data = {**opened(client), "op": "save", "change_message": "huge"}
    data["summary_en"] = "x" * (10 * 1024 * 1024 + 1)
    response = post(client, data)
    assert response.status_code == 400
    assert "could not be read" in text(soup(response))
    assert Flow.objects.get(pk=sample_flow.pk).version == 1


def test_a_save_after_someone_deleted_the_flow_says_so_and_can_bring_it_back(
    client, editor, sample_flow
):
    from sipflows import services

    data = opened(client)
    services.flow_delete(flow=sample_flow, base_version=1)
    data.update({"step-0-annotation_en": "Still mine.", "op": "save", "change_message": "m"})
    response = post(client, data)
    assert response.status_code == 409
    assert "deleted the flow" in text(soup(response).find(id="conflict"))
    fields = form_fields(response.content)
    assert post(client, {**fields, "op": "overwrite"}).status_code == 302
    assert client.get("/flows/sample-call/F1/").status_code == 200
