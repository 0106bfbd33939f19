"""The step page's depth: what changed, dialogs at the step, the RFC as printed; the ladder's
dialog colours; the as-written documents beside the fixtures."""

from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from sipflows.management.commands.refresh_as_written import DEFAULT_RFC
from sipflows.models import Flow

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
VOID = {"br", "img", "input", "link", "meta", "hr", "source", "path", "rect", "line", "polygon"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, **attrs):
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and all(
                (v in n.attrs.get(k.rstrip("_"), "").split())
                if k == "class_"
                else n.attrs.get(k) == v
                for k, v in attrs.items()
            )
        ]

    def by_id(self, id_):
        found = self.find_all(id=id_)
        return found[0] if found else None


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.root = self.current = Node("#document", [])

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node.parent is not None and node.tag != tag:
            node = node.parent
        if node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def page(client, path: str) -> Node:
    response = client.get(path)
    assert response.status_code == 200
    builder = TreeBuilder()
    builder.feed(response.content.decode())
    return builder.root


def words(node: Node) -> str:
    return " ".join(node.text.split())


def test_the_as_written_view_of_2_13_f11_shows_the_arrow_as_drawn(client, library):
    section = page(client, "/flows/incoming-call-screening/F11/").by_id("step-as-written")
    [arrow] = section.find_all("p", class_="drawn-arrow")
    assert "Alice → Announcement Server" in words(arrow)
    assert "Announcement Server → Alice" in words(arrow.find_all("mark")[0])


def test_the_as_written_view_of_2_13_f11_gives_the_listings_direction(client, library):
    section = page(client, "/flows/incoming-call-screening/F11/").by_id("step-as-written")
    remarks = [words(li) for li in section.find_all("li")]
    assert any("Announcement Server -> Proxy 1" in remark for remark in remarks)


def test_the_as_written_view_of_2_16_f7_marks_the_printed_tag(client, library):
    section = page(client, "/flows/call-pickup/F7/").by_id("step-as-written")
    printed = [words(d) for d in section.find_all("del")]
    corrected = [words(i) for i in section.find_all("ins")]
    assert any("from-tag=314578;" in line for line in printed)
    assert any("from-tag=3145678;" in line for line in corrected)


def test_the_ladder_marks_the_steps_the_library_corrected(client, library):
    ladder = page(client, "/flows/call-pickup/F1/").by_id("ladder-panel")
    arrows = [a for a in ladder.find_all("a") if "data-label" in a.attrs]
    marked = {
        a.attrs["data-label"]
        for a in arrows
        if "is-written-differs" in a.attrs.get("class", "").split()
    }
    assert "F7" in marked and len(marked) < len(arrows)


def test_a_flow_outside_rfc_5359_has_no_as_written_switch(client, sample_flow):
    document = page(client, "/flows/sample-call/F1/")
    assert document.by_id("as-written-switch") is None
    assert document.by_id("step-as-written") is None


def test_a_relayed_invite_says_what_the_proxy_changed(client, library):
    section = page(client, "/flows/call-hold/F2/").by_id("step-changes")
    parts = [words(span) for span in section.find_all("span", class_="part")]
    assert {"Via", "Max-Forwards", "Record-Route"} <= set(parts)
    assert section.find_all("a", href="/flows/call-hold/F1/")


def test_what_changed_is_explained_in_chinese(client, library):
    client.cookies["django_language"] = "zh-hans"
    section = page(client, "/flows/call-hold/F2/").by_id("step-changes")
    assert "代理" in words(section)


def test_the_step_shows_each_dialog_with_its_state(client, library):
    section = page(client, "/flows/transfer-attended/F17/").by_id("step-dialogs")
    cards = section.find_all("div", class_="dialog-card")
    assert [words(c.find_all("span", class_="dialog-state")[0]) for c in cards] == [
        "confirmed",
        "confirmed",
    ]
    assert "refer;id=1025" in words(section.find_all("ul", class_="subscriptions")[0])


def test_the_step_lists_open_transactions(client, library):
    section = page(client, "/flows/find-me/F2/").by_id("step-dialogs")
    opened = [words(li) for li in section.find_all("ul", class_="transactions")[0].find_all("li")]
    assert [line.split()[0] for line in opened] == ["F1", "F2"]


def test_ladder_arrows_carry_their_dialog(client, library):
    ladder = page(client, "/flows/find-me/F1/")
    dialogs = {
        a.attrs["data-label"]: a.attrs.get("data-dialog")
        for a in ladder.find_all("a")
        if "data-label" in a.attrs and a.attrs.get("id", "").startswith("step-")
    }
    assert dialogs["F4"] != dialogs["F17"]
    assert dialogs["F3"] is None  # a 100 Trying is in no dialog
    legend = ladder.by_id("dialog-legend").find_all("li")
    assert len(legend) == len({d for d in dialogs.values() if d is not None})


def test_frames_carry_the_depth_partials(library):
    from sipflows.frames import drawn_revision, render_frame
    from sipflows.selectors import revision_current

    flow = drawn_revision(revision_current(slug="call-pickup"), base_url="/flows/call-pickup/")
    builder = TreeBuilder()
    builder.feed(render_frame(flow, flow.index("F8"), language="en"))
    panel = builder.root.by_id("step-panel")
    assert (
        panel.by_id("step-changes")
        and panel.by_id("step-dialogs")
        and panel.by_id("step-as-written")
    )


def test_importing_the_fixtures_folder_leaves_the_as_written_flows_out(db):
    call_command("import_flows", str(FIXTURES), stdout=StringIO())
    assert Flow.objects.count() == len(list(FIXTURES.glob("*.yaml")))
    title = Flow.objects.get(slug="incoming-call-screening").title
    assert title["en"] == "Incoming Call Screening"


def test_refresh_as_written_gives_the_files_kept_beside_the_fixtures(tmp_path):
    call_command(
        "refresh_as_written", "--rfc", str(DEFAULT_RFC), "--out", str(tmp_path), stdout=StringIO()
    )
    for kept in sorted((FIXTURES / "as-written").glob("*.yaml")):
        assert (tmp_path / kept.name).read_text() == kept.read_text()


def test_refresh_as_written_refuses_a_text_that_is_not_rfc_5359(tmp_path):
    other = tmp_path / "rfc0000.txt"
    other.write_text("Nothing to read here.\n")
    with pytest.raises(Exception, match="is it RFC 5359"):
        call_command("refresh_as_written", "--rfc", str(other), "--out", str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
