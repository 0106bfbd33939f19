"""History, past revisions and diffs in the browser's terms: what a reader sees on the pages."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, User

from sipflows.models import Flow
from tests.conftest import save_edit

NEW_STEP = {"label": "F0", "kind": "event", "text": {"en": "Alice picks up the phone"}}


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status
    return BeautifulSoup(response.content, "html.parser")


def text(node) -> str:
    return " ".join(node.get_text(" ").split())


@pytest.fixture
def edited_flow(sample_flow):
    """Revision 2 inserts F0 before F1 and changes a note; revision 3 renames Bob."""
    editor = User.objects.create_user("ed")

    def insert_and_note(document):
        document["steps"].insert(0, NEW_STEP)
        document["notes"][1]["discussion"]["en"] = "A longer remark."

    save_edit(sample_flow, insert_and_note, author=editor, message="Start earlier")
    save_edit(sample_flow, lambda d: d["participants"][1].update(name="Robert"))
    return sample_flow


def test_history_lists_every_revision_with_what_changed(client, edited_flow):
    rows = page(client, "/flows/sample-call/history/").select("table.history tbody tr")
    assert [row.th.a.get_text() for row in rows] == ["3", "2", "1"]
    summaries = [text(row.select_one(".change-summary")) for row in rows]
    assert summaries == ["1 lane changed", "1 step added, 1 note changed", "first revision"]
    assert "ed" in text(rows[1]) and "Start earlier" in text(rows[1])
    assert "current" in text(rows[0])


def test_a_past_revision_is_stepped_through_and_says_which_it_is(client, edited_flow):
    soup = page(client, "/flows/sample-call/history/1/")
    banner = text(soup.select_one("#revision-banner"))
    assert "Revision 1 of 3" in banner and "imported" in banner
    assert soup.select_one("#revision-banner a[href='/flows/sample-call/']")
    arrows = [a["data-label"] for a in soup.select(".ladder-body a.step")]
    assert arrows == ["F1", "F2", "M1", "E1"]  # no F0 yet
    assert soup.select_one(".ladder-body a.step")["href"] == "/flows/sample-call/history/1/F1/"


def test_a_past_revisions_step_shows_that_revisions_text(client, edited_flow):
    soup = page(client, "/flows/sample-call/history/2/F2/")
    assert "Bob →" in text(soup.select_one(".step-title"))
    now = page(client, "/flows/sample-call/F2/")
    assert "Robert →" in text(now.select_one(".step-title"))


def test_a_step_the_revision_does_not_have_is_not_found(client, edited_flow):
    page(client, "/flows/sample-call/history/1/F0/", status=404)
    page(client, "/flows/sample-call/history/9/", status=404)


def test_the_diff_shows_steps_by_label_and_message_lines_with_marks(client, edited_flow):
    def retag(document):
        f2 = next(s for s in document["steps"] if s["label"] == "F2")
        f2["message"] = f2["message"].replace("tag=3145678", "tag=3145679")

    save_edit(edited_flow, retag)
    soup = page(client, "/flows/sample-call/diff/?from=1&to=4")
    steps = {li["id"]: li["data-status"] for li in soup.select("#diff-steps li.diff-item")}
    assert steps == {"diff-steps-F0": "added", "diff-steps-F2": "changed"}
    line = soup.select_one("#diff-steps-F2 .diff-line.is-replace")
    assert line.select_one(".old del").get_text() == "8"
    assert line.select_one(".new ins").get_text() == "9"
    lanes = soup.select("#diff-lanes li.diff-item")
    assert [li["data-status"] for li in lanes] == ["changed"]
    assert "Robert" in text(lanes[0])


def test_the_diff_works_either_way_round(client, edited_flow):
    soup = page(client, "/flows/sample-call/diff/?from=2&to=1")
    assert soup.select_one("#diff-steps-F0")["data-status"] == "removed"


@pytest.mark.parametrize("query", ["?from=1&to=7", "?from=x&to=1", "?from=1"])
def test_a_diff_of_revisions_that_do_not_exist_says_so(client, edited_flow, query):
    soup = page(client, f"/flows/sample-call/diff/{query}", status=400)
    assert "Choose two revisions" in text(soup.select_one(".errors"))


def test_editors_restore_a_revision_from_the_history(client, edited_flow):
    editor = User.objects.create_user("editor")
    editor.groups.add(Group.objects.get(name="editor"))
    client.force_login(editor)
    soup = page(client, "/flows/sample-call/history/")
    form = soup.select_one("form#revert-1")
    fields = {i["name"]: i["value"] for i in form.select("input")}
    response = client.post(form["action"], fields)
    assert response.status_code == 302
    assert Flow.objects.get().version == 4
    assert "F0" not in [
        a["data-label"] for a in page(client, "/flows/sample-call/").select(".ladder-body a.step")
    ]


def test_a_restore_on_a_stale_page_is_refused_and_says_why(client, edited_flow):
    editor = User.objects.create_superuser("admin")
    client.force_login(editor)
    response = client.post(
        "/flows/sample-call/revert/", {"number": 1, "base_version": 2}, follow=True
    )
    assert "is at revision 3 now" in text(BeautifulSoup(response.content, "html.parser"))
    assert Flow.objects.get().version == 3


def test_readers_cannot_restore(client, edited_flow):
    client.force_login(User.objects.create_user("reader"))
    assert (
        client.post("/flows/sample-call/revert/", {"number": 1, "base_version": 3}).status_code
        == 403
    )
    assert "revert-1" not in client.get("/flows/sample-call/history/").content.decode()
    assert Flow.objects.get().version == 3


@pytest.mark.parametrize(
    "path",
    ["/flows/{slug}/history/", "/flows/{slug}/history/1/", "/flows/{slug}/diff/?from=1&to=1"],
)
def test_history_revision_and_diff_pages_work_for_every_flow(client, library, path):
    for flow in library:
        assert client.get(path.format(slug=flow.slug)).status_code == 200, flow.slug
