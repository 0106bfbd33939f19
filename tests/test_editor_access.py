"""Who may edit, downloads and uploads, as the browser sees them."""

import json

import pytest
import yaml
from bs4 import BeautifulSoup
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from sipflows.models import Flow, FlowRevision
from sipflows.sip.rfcreader import read_call_flows
from tests.conftest import save_edit
from tests.editor_forms import form_fields
from tests.sip.test_rfcreader import BASIC, PAGE_BREAK

EDITOR_PAGES = ["/flows/sample-call/edit/", "/flows/new/", "/flows/import/", "/flows/import/rfc/"]


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


@pytest.mark.parametrize("url", EDITOR_PAGES)
def test_someone_not_signed_in_is_sent_to_sign_in(client, sample_flow, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("url", EDITOR_PAGES)
def test_a_reader_who_is_not_an_editor_is_told_plainly(client, sample_flow, url):
    client.force_login(User.objects.create_user("reader"))
    response = client.get(url)
    assert response.status_code == 403
    assert "may read the library but not edit it" in text(
        BeautifulSoup(response.content, "html.parser")
    )


def test_a_reader_cannot_save_by_posting(client, sample_flow):
    client.force_login(User.objects.create_user("reader"))
    response = client.post("/flows/sample-call/edit/", {"op": "save", "slug": "x"})
    assert response.status_code == 403
    assert Flow.objects.get(pk=sample_flow.pk).version == 1


def test_a_superuser_may_edit(client, sample_flow):
    client.force_login(User.objects.create_superuser("root", password="a-long-test-password"))
    assert client.get("/flows/sample-call/edit/").status_code == 200


def test_editors_see_an_edit_link_on_the_flow_and_readers_do_not(client, editor, sample_flow):
    page = BeautifulSoup(client.get("/flows/sample-call/").content, "html.parser")
    assert page.find(id="edit-link")["href"] == "/flows/sample-call/edit/"
    client.logout()
    page = BeautifulSoup(client.get("/flows/sample-call/").content, "html.parser")
    assert page.find(id="edit-link") is None


def test_a_save_without_the_csrf_token_is_refused(sample_flow, editor):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    data = form_fields(strict.get("/flows/sample-call/edit/").content)
    data.pop("csrfmiddlewaretoken")
    data.update({"op": "save", "change_message": "no token"})
    assert strict.post("/flows/sample-call/edit/", data).status_code == 403
    assert Flow.objects.get(pk=sample_flow.pk).version == 1


def test_htmx_posts_carry_the_csrf_token_in_a_header(sample_flow, editor):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(editor)
    page = BeautifulSoup(strict.get("/flows/sample-call/edit/").content, "html.parser")
    token = json.loads(page.find(id="editor-form")["hx-headers"])["X-CSRFToken"]
    data = form_fields(str(page))
    data.pop("csrfmiddlewaretoken")
    response = strict.post(
        "/flows/sample-call/edit/",
        {**data, "op": "check:0"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200


# --- Downloads -------------------------------------------------------------------------------


def test_anyone_downloads_a_flow_as_yaml(client, sample_flow):
    response = client.get("/flows/sample-call/export/?format=yaml")
    assert response["Content-Disposition"] == 'attachment; filename="sample-call-r1.yaml"'
    assert yaml.safe_load(response.content)["slug"] == "sample-call"


def test_any_revision_downloads_as_json_exactly_as_saved(client, sample_flow):
    save_edit(sample_flow, lambda d: d["participants"][1].update(name="Robert"))
    response = client.get("/flows/sample-call/export/?format=json&revision=1")
    assert json.loads(response.content)[0]["participants"][1]["name"] == "Bob"


def test_an_unknown_revision_or_format_is_a_clear_400(client, sample_flow):
    assert client.get("/flows/sample-call/export/?format=yaml&revision=9").status_code == 400
    assert client.get("/flows/sample-call/export/?format=xml").status_code == 400


# --- Uploads ---------------------------------------------------------------------------------


def upload(client, name: str, content: bytes, url="/flows/import/"):
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def exported(client, revision="") -> dict:
    return yaml.safe_load(client.get(f"/flows/sample-call/export/?format=yaml{revision}").content)


def test_an_upload_is_previewed_against_the_current_revision_before_saving(
    client, editor, sample_flow
):
    document = exported(client)
    document["steps"][0]["annotation"]["en"] = "Uploaded words."
    response = upload(client, "flow.yaml", yaml.safe_dump(document, allow_unicode=True).encode())
    assert response.status_code == 200
    preview = BeautifulSoup(response.content, "html.parser").find(id="preview-sample-call")
    assert preview.find(id="diff-steps-F1")["data-status"] == "changed"
    assert Flow.objects.get(pk=sample_flow.pk).version == 1


def test_a_previewed_upload_saves_as_the_next_revision(client, editor, sample_flow):
    document = exported(client)
    document["steps"][0]["annotation"]["en"] = "Uploaded words."
    response = upload(client, "flow.yaml", yaml.safe_dump(document, allow_unicode=True).encode())
    data = _confirm_fields(response)
    assert client.post("/flows/import/", data).status_code == 302
    revision = FlowRevision.objects.get(flow=sample_flow, number=2)
    assert revision.document["steps"][0]["annotation"]["en"] == "Uploaded words."
    assert revision.author == editor


def _confirm_fields(response) -> dict:
    form = (
        BeautifulSoup(response.content, "html.parser")
        .find("textarea", attrs={"name": "document_text"})
        .find_parent("form")
    )
    form["id"] = "confirm"
    return form_fields(str(form), form_id="confirm")


def test_an_upload_confirmed_after_someone_saved_is_refused(client, editor, sample_flow):
    document = exported(client)
    document["steps"][0]["annotation"]["en"] = "Uploaded words."
    response = upload(client, "flow.yaml", yaml.safe_dump(document, allow_unicode=True).encode())
    save_edit(sample_flow, lambda d: d["participants"][1].update(name="Robert"))
    assert client.post("/flows/import/", _confirm_fields(response)).status_code == 409
    assert Flow.objects.get(pk=sample_flow.pk).version == 2


def test_an_upload_lists_every_problem_by_step_and_key_and_saves_nothing(
    client, editor, sample_flow
):
    document = exported(client)
    document["steps"][0]["from"] = "nobody"
    document["steps"][1]["kind"] = "telegram"
    document["notes"][0]["kind"] = "rumour"
    response = upload(client, "flow.yaml", yaml.safe_dump(document, allow_unicode=True).encode())
    assert response.status_code == 400
    problems = [
        text(li)
        for li in BeautifulSoup(response.content, "html.parser").select("#upload-problems li")
    ]
    assert len(problems) == 3
    assert "step F1: key 'from'" in problems[0]
    assert "step F2: key 'kind'" in problems[1]
    assert "key 'notes[0].kind'" in problems[2]
    assert Flow.objects.get(pk=sample_flow.pk).version == 1


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"slug: [unclosed", "not valid YAML"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b'{"slug": ', "not valid JSON"),
    ],
)
def test_an_upload_that_is_not_a_document_says_why(client, editor, sample_flow, content, said):
    response = upload(client, "bad.yaml", content)
    assert response.status_code == 400
    assert said in text(BeautifulSoup(response.content, "html.parser").find(id="upload-problems"))


def test_an_upload_over_the_size_limit_is_refused_plainly(client, editor, db):
    response = upload(client, "huge.yaml", b"#" * (4 * 1024 * 1024 + 1))
    assert response.status_code == 400
    assert "may be at most" in text(BeautifulSoup(response.content, "html.parser"))


# Two call-flow sections of RFC-style text: 2.15 (read as Call Park) and 2.16 (Call Pickup).
TWO_SECTIONS = (
    BASIC.replace("3.1.  Basic Call", "2.15.  Call Park")
    + PAGE_BREAK
    + BASIC.replace("3.1.  Basic Call", "2.16.  Call Pickup").replace("F2 200 OK", "F2 200 OK ??")
    + PAGE_BREAK
).replace("RFC 9999", "RFC 5359")


def test_rfc_text_lists_the_sections_with_the_readers_warnings(client, editor, db):
    response = upload(client, "rfc.txt", TWO_SECTIONS.encode(), url="/flows/import/rfc/")
    rows = BeautifulSoup(response.content, "html.parser").select("table.rfc-sections tbody tr")
    assert [row["id"] for row in rows] == ["section-2.15", "section-2.16"]
    reading = read_call_flows(TWO_SECTIONS)
    for row in rows:
        section = row["id"].removeprefix("section-")
        expected = [p.message for p in reading.problems if p.section == section]
        shown = [text(li) for li in row.select(".reader-warnings li")]
        assert len(shown) == len(expected)
        assert all(m in s for m, s in zip(expected, shown, strict=True))
    assert Flow.objects.count() == 0


def test_only_the_chosen_rfc_sections_are_imported(client, editor, db):
    response = upload(client, "rfc.txt", TWO_SECTIONS.encode(), url="/flows/import/rfc/")
    page = BeautifulSoup(response.content, "html.parser")
    rfc_text = page.find("textarea", attrs={"name": "rfc_text"}).string
    assert (
        client.post("/flows/import/rfc/", {"rfc_text": rfc_text, "section": ["2.16"]}).status_code
        == 302
    )
    assert list(Flow.objects.values_list("source_section", flat=True)) == ["2.16"]


def test_importing_no_section_is_refused(client, editor, db):
    response = client.post("/flows/import/rfc/", {"rfc_text": TWO_SECTIONS})
    assert response.status_code == 400
    assert Flow.objects.count() == 0


def test_an_upload_with_a_slug_the_library_uses_for_its_pages_is_refused(client, editor, db):
    from tests.samples import SAMPLE_FLOW

    response = upload(
        client, "new.yaml", SAMPLE_FLOW.replace("slug: sample-call", "slug: new").encode()
    )
    assert response.status_code == 400
    assert "key 'slug'" in text(
        BeautifulSoup(response.content, "html.parser").find(id="upload-problems")
    )
    assert not Flow.objects.exists()
