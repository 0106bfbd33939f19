"""The whole-flow page, /notes/ in reading order with its filters, and the small things
around them (sign-in link, favicon, the join link's warning)."""

from html.parser import HTMLParser

import pytest

from sipflows import services
from sipflows.models import Step

pytestmark = pytest.mark.django_db


class Page(HTMLParser):
    """The parts of a page a test looks at: elements by class, links, and their text."""

    def __init__(self, html: str):
        super().__init__()
        self.open: list[tuple[str, dict, list[str]]] = []
        self.elements: list[tuple[str, dict, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in (
            "meta",
            "link",
            "input",
            "br",
            "img",
            "path",
            "polygon",
            "circle",
            "line",
            "rect",
        ):
            self.elements.append((tag, dict(attrs), ""))
            return
        self.open.append((tag, dict(attrs), []))

    def handle_endtag(self, tag):
        while self.open:
            name, attrs, text = self.open.pop()
            self.elements.append((name, attrs, "".join(text)))
            if self.open:
                self.open[-1][2].extend(text)
            if name == tag:
                return

    def handle_data(self, data):
        if self.open:
            self.open[-1][2].append(data)

    def with_class(self, name: str) -> list[tuple[str, dict, str]]:
        return [e for e in self.elements if name in (e[1].get("class") or "").split()]

    def texts(self, name: str) -> list[str]:
        return [" ".join(text.split()) for _, _, text in self.with_class(name)]


def test_the_whole_flow_page_holds_every_step_with_its_annotation(client, library):
    page = Page(client.get("/flows/call-pickup/all/").content.decode())
    steps = page.with_class("all-step")
    assert [attrs["id"] for _, attrs, _ in steps][:3] == ["all-F1", "all-F2", "all-F3"]
    assert len(steps) == 16
    assert any("Replaces" in text for text in page.texts("annotation"))
    messages = Step.objects.filter(flow__slug="call-pickup", kind="message").count()
    assert len(page.with_class("sipmsg")) == messages  # media and event steps have none


def test_the_flow_page_links_its_whole_flow_page(client, sample_flow):
    page = Page(client.get("/flows/sample-call/F1/").content.decode())
    assert [a["href"] for _, a, _ in page.with_class("whole-flow")] == ["/flows/sample-call/all/"]


def test_notes_come_by_rfc_section_then_by_step(client, library):
    page = Page(client.get("/notes/").content.decode())
    sections = [text.split()[0] for text in page.texts("section") if text.startswith("§2.")]
    numbers = [tuple(int(n) for n in s[1:].split(".")) for s in sections]
    assert numbers == sorted(numbers) and len(numbers) == 18
    pickup = page.with_class("notes-flow")[15]
    assert pickup[1]["id"] == "notes-call-pickup"


def test_notes_filter_by_kind_and_flow(client, library):
    page = Page(client.get("/notes/?kind=rfc-defect&flow=call-pickup").content.decode())
    kinds = {
        attrs["class"]
        for _, attrs, _ in page.elements
        if attrs.get("class", "").startswith("note note-")
    }
    assert kinds == {"note note-rfc-defect"}
    assert [attrs["id"] for _, attrs, _ in page.with_class("notes-flow")] == ["notes-call-pickup"]


def test_an_unknown_filter_shows_every_note(client, sample_flow):
    page = Page(client.get("/notes/?kind=gossip&flow=nowhere").content.decode())
    assert len(page.with_class("note")) == 2


def test_the_sign_in_link_brings_the_reader_back_to_this_page(client, sample_flow):
    page = Page(client.get("/flows/sample-call/F2/").content.decode())
    links = [
        a["href"] for tag, a, text in page.elements if tag == "a" and "sign in" in text.lower()
    ]
    assert links == ["/accounts/login/?next=/flows/sample-call/F2/"]


def test_pages_name_a_favicon_that_is_served(client, sample_flow):
    page = Page(client.get("/").content.decode())
    icons = [a["href"] for tag, a, _ in page.elements if tag == "link" and a.get("rel") == "icon"]
    assert len(icons) == 1
    assert "/favicon." in icons[0] and icons[0].endswith(".svg")  # hashed by WhiteNoise
    assert client.get(icons[0]).status_code == 200


@pytest.fixture
def teacher(django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("teacher", password="a-long-test-password")
    user.groups.add(Group.objects.get(name="instructor"))
    return user


@pytest.mark.parametrize(
    "host, warned",
    [
        ("127.0.0.1:8000", True),
        ("localhost:8000", True),
        ("[::1]:8000", True),
        ("0.0.0.0:8000", True),
        ("192.0.2.10:8000", False),
        ("sipflows.example.com", False),
    ],
)
def test_a_join_link_other_devices_cannot_open_is_flagged(
    client, sample_flow, teacher, settings, host, warned
):
    settings.ALLOWED_HOSTS = ["*"]
    client.force_login(teacher)
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    page = Page(client.get(f"/live/{session.code}/present/", HTTP_HOST=host).content.decode())
    assert bool(page.with_class("join-warning")) is warned


def test_the_qr_code_scales_whole(client, sample_flow, teacher):
    client.force_login(teacher)
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    page = Page(client.get(f"/live/{session.code}/present/").content.decode())
    (qr,) = [attrs for tag, attrs, _ in page.with_class("segno")]
    assert "viewbox" in qr
    assert "width" not in qr and "height" not in qr
