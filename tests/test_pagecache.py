"""Pages kept per version and language: served again without rendering, never stale."""

import asyncio
import gzip
import re
from html.parser import HTMLParser

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.test import Client
from django.test.signals import template_rendered

from sipflows import services
from sipflows.asgi import application
from tests.conftest import save_edit

# Requests go through the ASGI application, which closes its database connection when each
# one ends: each test gets a real database, not a transaction held open around it.
pytestmark = pytest.mark.django_db(transaction=True)

STEP = "/flows/sample-call/F1/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([A-Za-z0-9]+)"')


class Response:
    def __init__(self, status: int, headers: list, body: bytes):
        self.status = status
        self.headers: dict[str, str] = {}
        self.cookies: dict[str, str] = {}
        for name, value in headers:
            name, value = name.decode().lower(), value.decode("latin-1")
            if name == "set-cookie":
                cookie, _, _ = value.partition(";")
                self.cookies[cookie.split("=", 1)[0]] = cookie.split("=", 1)[1]
            else:
                self.headers[name] = value
        self.body = body

    @property
    def html(self) -> str:
        body = self.body
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        return body.decode()


def get(path: str, **headers: str) -> Response:
    """A request through the whole ASGI application, as uvicorn passes it on."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            *((name.replace("_", "-").lower().encode(), v.encode()) for name, v in headers.items()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    messages = []
    requests = iter([{"type": "http.request", "body": b"", "more_body": False}])

    async def receive():
        request = next(requests, None)
        if request is not None:
            return request
        await asyncio.Event().wait()  # the client stays until the response is sent

    async def send(message):
        messages.append(message)

    async_to_sync(application)(scope, receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return Response(start["status"], start["headers"], body)


@pytest.fixture
def renders():
    """How many templates were rendered since the test began."""
    rendered = []

    def count(sender, **kwargs):
        rendered.append(kwargs["template"].name)

    template_rendered.connect(count)
    yield rendered
    template_rendered.disconnect(count)


class TextOf(HTMLParser):
    """The text inside the element with a given id."""

    def __init__(self, element_id: str):
        super().__init__()
        self.element_id, self.depth, self.text = element_id, 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth or dict(attrs).get("id") == self.element_id:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.text.append(data)


def text_of(html: str, element_id: str) -> str:
    parser = TextOf(element_id)
    parser.feed(html)
    return " ".join("".join(parser.text).split())


def without_tokens(html: str) -> str:
    return TOKEN.sub("", html)


def test_a_second_reader_gets_the_same_page_without_a_render(sample_flow, renders):
    first = get(STEP)
    assert renders
    renders.clear()
    second = get(STEP)
    assert second.status == 200
    assert renders == []
    assert without_tokens(second.html) == without_tokens(first.html)


def test_an_edit_shows_on_the_next_request(sample_flow):
    assert "Alice invites Bob." in text_of(get(STEP).html, "annotation")
    save_edit(
        sample_flow,
        lambda d: d["steps"][0].update(annotation={"en": "Alice calls Bob now.", "zh": "呼叫"}),
    )
    assert text_of(get(STEP).html, "annotation") == "Alice calls Bob now."


def test_a_restored_revision_shows_on_the_next_request(sample_flow):
    save_edit(sample_flow, lambda d: d["steps"][0].update(annotation={"en": "Later words."}))
    assert text_of(get(STEP).html, "annotation") == "Later words."
    services.flow_revert(flow=sample_flow, number=1, base_version=2)
    assert text_of(get(STEP).html, "annotation") == "Alice invites Bob."


def test_the_overview_and_notes_follow_an_edit_too(sample_flow):
    get("/flows/sample-call/")
    get("/notes/")

    def edit(document):
        document["summary"] = {"en": "A new summary.", "zh": "新摘要"}
        document["notes"][0]["discussion"] = {"en": "A new discussion.", "zh": "新讨论"}

    save_edit(sample_flow, edit)
    assert "A new summary." in get("/flows/sample-call/").html
    assert "A new discussion." in get("/notes/").html


def test_a_reader_whose_copy_is_current_gets_304(sample_flow):
    first = get(STEP)
    cookie = f"csrftoken={first.cookies['csrftoken']}"
    kept = get(STEP, cookie=cookie)
    again = get(STEP, cookie=cookie, if_none_match=kept.headers["etag"])
    assert again.status == 304
    assert again.body == b""
    assert kept.headers["last-modified"]


def test_a_copy_from_another_csrf_cookie_is_not_current(sample_flow):
    """Its token would not pass this reader's CSRF check."""
    first = get(STEP)
    other = get(STEP, cookie="csrftoken=" + "b" * 32, if_none_match=first.headers["etag"])
    assert other.status == 200


def test_a_kept_page_is_gzipped_for_readers_who_accept_it(sample_flow):
    get(STEP)
    zipped = get(STEP, accept_encoding="gzip, deflate, br")
    plain = get(STEP)
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert without_tokens(zipped.html) == without_tokens(plain.html)
    assert len(zipped.body) < len(plain.body) / 2


def test_the_token_in_a_kept_page_passes_the_csrf_check(sample_flow):
    get(STEP)
    kept = get(STEP, accept_encoding="gzip")
    token = TOKEN.search(kept.html)[1]
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = kept.cookies["csrftoken"]
    response = client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": STEP, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def signed_in_cookie(username: str) -> str:
    client = Client()
    client.force_login(User.objects.create_user(username, password="a-long-test-password"))
    return f"sessionid={client.cookies['sessionid'].value}"


def test_a_signed_in_readers_name_never_reaches_anonymous_readers(sample_flow):
    signed_in = get(STEP, cookie=signed_in_cookie("margaret"))
    anonymous = get(STEP)
    anonymous_again = get(STEP)
    assert "margaret" in signed_in.html
    assert "margaret" not in anonymous.html
    assert "margaret" not in anonymous_again.html


def test_a_signed_in_reader_never_gets_the_anonymous_page(sample_flow):
    get(STEP)
    get(STEP)
    assert "margaret" in get(STEP, cookie=signed_in_cookie("margaret")).html


def test_the_language_is_part_of_what_is_kept(sample_flow):
    english = get(STEP, accept_language="en")
    chinese = get(STEP, accept_language="zh-hans")
    chinese_again = get(STEP, cookie="django_language=zh-hans")
    english_again = get(STEP, accept_language="en")
    assert '<html lang="en">' in english.html
    assert '<html lang="zh-hans">' in chinese.html
    assert '<html lang="zh-hans">' in chinese_again.html
    assert '<html lang="en">' in english_again.html


def test_an_htmx_request_gets_the_frame_not_the_kept_page(sample_flow):
    get(STEP)
    frame = get(STEP, hx_request="true")
    assert "<html" not in frame.html
    assert 'id="step-panel"' in frame.html


def test_the_follow_page_moves_with_the_class(sample_flow):
    owner = User.objects.create_user("teacher", password="a-long-test-password")
    session = services.live_session_start(flow=sample_flow, owner=owner)
    path = f"/live/{session.code}/"
    assert 'data-current=""' in get(path).html
    services.live_session_move(code=session.code, to=lambda session: "F2")
    assert 'data-current="F2"' in get(path).html


def test_static_files_have_hashed_names_and_a_long_lifetime(sample_flow):
    stylesheet = re.search(r'href="(/static/sipflows/css/app\.[0-9a-f]{12}\.css)"', get(STEP).html)
    served = get(stylesheet[1], accept_encoding="gzip")
    assert served.status == 200
    assert served.headers["content-encoding"] == "gzip"
    max_age = re.search(r"max-age=(\d+)", served.headers["cache-control"])
    assert int(max_age[1]) >= 365 * 24 * 3600


def test_a_kept_page_goes_out_before_django_handles_the_request(sample_flow):
    """Readers without a session are answered in front of Django, with no request cycle."""
    from django.core.signals import request_started

    get(STEP)
    started = []
    request_started.connect(started.append)
    try:
        assert get(STEP).status == 200
    finally:
        request_started.disconnect(started.append)
    assert started == []
