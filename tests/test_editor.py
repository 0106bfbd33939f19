"""The editor in a browser's terms: what is posted, what is saved, what the editor is told."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User

from sipflows.models import Flow, FlowRevision
from tests.conftest import save_edit
from tests.editor_forms import form_fields, step_index

EDIT = "/flows/sample-call/edit/"


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


@pytest.fixture
def editor(client, db):
    user = User.objects.create_user("ed", password="a-long-test-password")
    user.groups.add(Group.objects.get_or_create(name="editor")[0])
    client.force_login(user)
    return user


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
