"""Every saved state of a flow is kept as a revision; one write path, refusing stale saves."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sipflows import selectors, services
from sipflows.documents import document_from_rows
from sipflows.models import Flow, FlowRevision, Step
from sipflows.sip.flowdoc import parse_documents
from tests.conftest import save_edit
from tests.samples import SAMPLE_FLOW


def export(*args):
    out = StringIO()
    call_command("export_flows", *args, stdout=out)
    return out.getvalue()


def annotate_f1(text):
    return lambda document: document["steps"][0].update(annotation={"en": text})


def test_each_save_is_the_next_revision_with_its_author_and_message(sample_flow):
    editor = User.objects.create_user("editor")
    save_edit(sample_flow, annotate_f1("First edit."), author=editor, message="Say more")
    save_edit(sample_flow, annotate_f1("Second edit."))
    revisions = list(sample_flow.revisions.order_by("number"))
    assert [r.number for r in revisions] == [1, 2, 3]
    assert (revisions[1].author, revisions[1].message) == (editor, "Say more")
    assert revisions[2].author is None
    assert revisions[1].document["steps"][0]["annotation"] == {"en": "First edit."}
    sample_flow.refresh_from_db()
    assert sample_flow.version == 3


def test_the_rows_are_the_current_revision(sample_flow):
    save_edit(sample_flow, lambda d: d["steps"].pop(2))
    flow = Flow.objects.get()
    assert document_from_rows(flow) == selectors.flow_document(flow=flow)


def test_rows_of_unchanged_steps_keep_their_ids(sample_flow):
    before = dict(Step.objects.values_list("label", "pk"))
    save_edit(sample_flow, annotate_f1("Changed."))
    assert dict(Step.objects.values_list("label", "pk")) == before


def test_a_stale_save_is_refused_naming_both_versions_and_changes_nothing(sample_flow):
    document = selectors.flow_document(flow=sample_flow)
    save_edit(sample_flow, annotate_f1("Saved by someone else."))
    stale = {**document, "title": {"en": "Mine"}}
    with pytest.raises(services.StaleRevision, match="revision 2 now.*made on revision 1"):
        services.flow_save(document=stale, base_version=1, flow=sample_flow)
    assert FlowRevision.objects.count() == 2
    assert Flow.objects.get().title["en"] == "Sample Call"


def test_revert_saves_the_old_document_as_a_new_revision_byte_for_byte(sample_flow):
    save_edit(sample_flow, annotate_f1("A change to undo."))
    services.flow_revert(flow=sample_flow, number=1, base_version=2)
    assert Flow.objects.get().version == 3
    assert export("sample-call") == export("--revision", "1", "sample-call")
    assert FlowRevision.objects.get(number=3).message == "Revert to revision 1"


def test_export_prints_a_past_revision_exactly_as_saved(sample_flow):
    first = export("sample-call")
    save_edit(sample_flow, annotate_f1("Later."))
    assert export("--revision", "1", "sample-call") == first
    assert export("--revision", "1", "--format", "json", "sample-call").startswith("[")


def test_importing_the_same_document_again_makes_no_revision(sample_flow):
    services.flows_import(documents=parse_documents(SAMPLE_FLOW, name="again.yaml"))
    assert FlowRevision.objects.count() == 1


def test_a_deleted_flow_leaves_its_pages_keeps_its_history_and_can_come_back(client, sample_flow):
    services.flow_delete(flow=sample_flow, base_version=1)
    assert client.get("/flows/sample-call/").status_code == 404
    assert client.get("/flows/sample-call/history/").status_code == 200
    assert "sample-call" not in client.get("/").content.decode()
    services.flow_revert(flow=sample_flow, number=1, base_version=2)
    assert client.get("/flows/sample-call/F1/").status_code == 200


def test_loading_the_fixtures_again_never_resurrects_a_deleted_flow(sample_flow):
    services.flow_delete(flow=sample_flow, base_version=1)
    documents = parse_documents(SAMPLE_FLOW, name="fixtures.yaml")
    assert services.flows_import(documents=documents, keep_existing=True) == []
    assert Flow.objects.get().is_deleted


def test_loading_the_fixtures_again_never_duplicates_a_renamed_flow(sample_flow):
    save_edit(sample_flow, lambda d: d.update(slug="our-sample-call"))
    documents = parse_documents(SAMPLE_FLOW, name="fixtures.yaml")
    services.flows_import(documents=documents, keep_existing=True)
    assert list(Flow.objects.values_list("slug", flat=True)) == ["our-sample-call"]


def test_a_new_flow_cannot_take_a_slug_the_library_uses(sample_flow):
    document = selectors.flow_document(flow=sample_flow)
    with pytest.raises(services.FlowSaveError, match="sample-call is in the library already"):
        services.flow_save(document=document, base_version=None)
    assert Flow.objects.count() == 1


def test_the_admin_deletes_flows_as_a_revision_and_leaves_no_stale_ladder(client, library):
    admin = User.objects.create_superuser("admin", password="a-long-test-password")
    client.force_login(admin)
    flow = Flow.objects.get(slug="call-pickup")
    response = client.post(
        "/admin/sipflows/flow/",
        {"action": "delete_selected", "_selected_action": [flow.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert client.get("/flows/call-pickup/").status_code == 404
    assert client.get("/flows/call-pickup/F7/").status_code == 404
    assert FlowRevision.objects.get(flow=flow, number=2).deletes
    # Steps are the projection of a revision: there is no way to delete them one by one.
    assert client.get("/admin/sipflows/step/").status_code == 404
    assert client.get(f"/admin/sipflows/flow/{flow.pk}/change/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_upgrading_a_library_without_revisions_keeps_every_flow():
    executor = MigrationExecutor(connection)
    before = [("sipflows", "0003_note_key")]
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    OldFlow = apps.get_model("sipflows", "Flow")
    OldParticipant = apps.get_model("sipflows", "Participant")
    OldStep = apps.get_model("sipflows", "Step")
    OldNote = apps.get_model("sipflows", "Note")
    old = OldFlow.objects.create(slug="kept", title={"en": "Kept"}, source_section="2.1")
    alice = OldParticipant.objects.create(flow=old, position=0, key="alice", name="Alice")
    bob = OldParticipant.objects.create(flow=old, position=1, key="bob", name="Bob")
    bye = OldStep.objects.create(
        flow=old,
        position=0,
        label="F1",
        kind="message",
        sender=alice,
        receiver=bob,
        message="BYE sip:bob@example.com SIP/2.0\r\n\r\n",
    )
    OldNote.objects.create(
        flow=old, step=bye, position=0, key="N1", kind="discussion", discussion={"en": "Bye."}
    )
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    flow = Flow.objects.get(slug="kept")
    assert flow.version == 1
    document = FlowRevision.objects.get(flow=flow).document
    assert document == document_from_rows(flow)
    assert document["steps"][0]["message"].startswith("BYE")
    assert document["notes"] == [
        {"key": "N1", "step": "F1", "kind": "discussion", "discussion": {"en": "Bye."}}
    ]
