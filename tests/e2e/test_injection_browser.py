"""Script injection in every editable field stays text on every page that shows it.

A flow is saved with payloads in every text field a document has (titles, summary, source,
lane names, step texts, focus, SIP messages, annotations, notes and a revision's message);
Chromium opens every page that shows them (step pages, overview, notes index, history, diff,
the editor with its preview and its feedback while typing, the conflict page, an upload's
preview, frames over the websocket, a live walkthrough) and no dialog opens and no injected
element or handler is in the document.
"""

import copy

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from playwright.sync_api import expect

from sipflows import services
from sipflows.models import FlowRevision
from sipflows.sip.flowdoc import dump_documents, parse_documents, validate_document
from tests.samples import SAMPLE_FLOW

pytestmark = pytest.mark.e2e

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"><svg onload=alert(1)>',
    "[x](javascript:alert(1))",
    "{{ request }} {% debug %}",
]
PAYLOAD = " ".join(PAYLOADS)

# Elements or attributes only an injection would put in a page.
FIND_INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) found.push(el.tagName + " " + attr.name);
      if (/^(href|src|xlink:href|action)$/.test(attr.name) && /^\\s*javascript:/i.test(attr.value))
        found.push(el.tagName + " " + attr.name);
    }
  }
  for (const script of document.querySelectorAll("script:not([src])")) found.push("inline script");
  if (document.querySelector('img[src="x"]')) found.push("img");
  return found;
}"""


def poisoned(document):
    """Every free-text field of the sample flow carrying the payloads."""
    doc = copy.deepcopy(document)
    doc["title"] = {"en": f"Evil {PAYLOAD}", "zh": PAYLOAD}
    doc["summary"] = {"en": PAYLOAD, "zh": PAYLOAD}
    doc["source"] = {"document": PAYLOAD[:90], "section": "9.9"}
    for lane in doc["participants"]:
        lane["name"] = f"{lane['name']} {PAYLOADS[0]}"
    for step in doc["steps"]:
        step["annotation"] = {"en": PAYLOAD, "zh": PAYLOAD}
        step["focus"] = PAYLOADS[:3]
        if step["kind"] == "message":
            step["message"] = step["message"].replace(
                "Content-Length: 0", "Subject: " + PAYLOAD + "\r\nContent-Length: 0"
            )
        else:
            step["text"] = {"en": PAYLOAD, "zh": PAYLOAD}
    for note in doc["notes"]:
        note.update(where=PAYLOAD, as_written=PAYLOAD, correction=PAYLOAD)
        note["discussion"] = {"en": PAYLOAD, "zh": PAYLOAD}
    # A message that does not parse echoes its text in the parser's problems.
    doc["steps"][0]["message"] = PAYLOADS[2] + " " + PAYLOADS[0] + "\r\n" + PAYLOADS[1] + "\r\n"
    return validate_document(doc, name="poisoned")


@pytest.fixture
def poisoned_flow(served_library):
    first = parse_documents(SAMPLE_FLOW, name="sample")[0]
    flow = services.flows_import(documents=[first])[0].flow
    editor = User.objects.create_user(f"ed-{PAYLOADS[0][:10]}", password="a-long-test-password")
    editor.groups.add(Group.objects.get_or_create(name="editor")[0])
    editor.groups.add(Group.objects.get_or_create(name="instructor")[0])
    services.flow_save(
        document=poisoned(first), base_version=1, flow=flow, author=editor, message=PAYLOAD[:200]
    )
    return flow, editor


@pytest.fixture
def watched(browser):
    """A page that records every dialog (none may open)."""
    context = browser.new_context()
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def signed_in(page, base, user):
    client = Client()
    client.force_login(user)
    host = base.split("//")[1].split(":")[0]
    cookie = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}])


def assert_inert(page):
    page.wait_for_timeout(300)  # give any injected handler its chance to run
    assert page.dialogs == []
    assert page.evaluate(FIND_INJECTED) == []
    body = page.locator("body").inner_text()
    assert "WSGIRequest" not in body and "ASGIRequest" not in body


PAGES = [
    "/flows/sample-call/",
    "/flows/sample-call/F1/",
    "/flows/sample-call/F2/",
    "/flows/sample-call/M1/",
    "/flows/sample-call/E1/",
    "/flows/sample-call/history/",
    "/flows/sample-call/history/2/F2/",
    "/flows/sample-call/diff/?from=1&to=2",
    "/flows/sample-call/diff/?from=2&to=1",
    "/notes/",
    "/",
]


def test_pages_that_show_the_fields_stay_inert(watched, served_library, poisoned_flow):
    for url in PAGES:
        watched.goto(served_library + url)
        assert "{{ request }}" in watched.locator("body").inner_text() or url == "/"
        assert_inert(watched)


def test_frames_over_the_websocket_stay_inert(watched, served_library, poisoned_flow):
    watched.goto(f"{served_library}/flows/sample-call/")
    expect(watched.locator("#stepper .controls")).to_be_visible()
    for label in ("F1", "F2", "M1", "E1"):
        watched.keyboard.press("ArrowRight")
        expect(watched.locator(".step-title .label")).to_have_text(label)
        assert_inert(watched)


def test_a_live_walkthroughs_frames_stay_inert(browser, watched, served_library, poisoned_flow):
    flow, editor = poisoned_flow
    session = services.live_session_start(flow=flow, owner=editor)
    presenter = browser.new_context().new_page()
    signed_in(presenter, served_library, editor)
    presenter.goto(f"{served_library}/live/{session.code}/present/")
    expect(presenter.locator("#stepper .controls")).to_be_visible()
    watched.goto(f"{served_library}/live/{session.code}/")
    expect(watched.locator("#stepper .controls")).to_be_visible()
    for label in ("F1", "F2", "M1"):
        presenter.keyboard.press("ArrowRight")
        expect(watched.locator(".step-title .label")).to_have_text(label)
        assert_inert(watched)
    presenter.context.close()


def test_the_editor_its_preview_and_its_feedback_stay_inert(watched, served_library, poisoned_flow):
    _, editor = poisoned_flow
    signed_in(watched, served_library, editor)
    watched.goto(f"{served_library}/flows/sample-call/edit/")
    assert_inert(watched)
    message = watched.locator("#step-1-message")
    message.fill(message.input_value() + PAYLOAD + "\n")
    expect(watched.locator("#step-1-feedback .parse-problems")).to_be_visible()
    expect(watched.locator("#editor-preview #message")).to_contain_text("onerror")
    assert_inert(watched)
    watched.get_by_role("button", name="Preview E1").click()
    expect(watched.locator("#editor-preview .step-title .label")).to_have_text("E1")
    assert_inert(watched)


def test_what_an_editor_types_is_saved_and_shown_as_text(watched, served_library, poisoned_flow):
    _, editor = poisoned_flow
    signed_in(watched, served_library, editor)
    watched.goto(f"{served_library}/flows/sample-call/edit/")
    watched.locator("[name=step-2-annotation_en]").fill(PAYLOAD)
    watched.get_by_label("What you changed").fill(PAYLOAD)
    watched.get_by_role("button", name="Save as a new revision").click()
    expect(watched.locator(".notices")).to_contain_text("Saved as revision 3.")
    saved = FlowRevision.objects.get(flow=poisoned_flow[0], number=3).document
    assert saved["steps"][2]["annotation"]["en"] == PAYLOAD
    for url in ("/flows/sample-call/M1/", "/flows/sample-call/history/"):
        watched.goto(served_library + url)
        assert_inert(watched)


def test_the_conflict_page_and_the_upload_preview_stay_inert(
    watched, served_library, poisoned_flow
):
    flow, editor = poisoned_flow
    signed_in(watched, served_library, editor)
    watched.goto(f"{served_library}/flows/sample-call/edit/")
    first = FlowRevision.objects.get(flow=flow, number=1).document
    services.flow_save(document=first, base_version=2, flow=flow, message=PAYLOAD[:200])
    watched.get_by_label("What you changed").fill(PAYLOAD)
    watched.get_by_role("button", name="Save as a new revision").click()
    expect(watched.locator("#conflict .merge-choice").first).to_be_visible()
    assert_inert(watched)

    watched.goto(f"{served_library}/flows/import/")
    watched.set_input_files(
        "input[type=file]",
        files=[
            {
                "name": "evil.yaml",
                "mimeType": "application/yaml",
                "buffer": dump_documents([poisoned(first)]).encode(),
            }
        ],
    )
    watched.get_by_role("button", name="Check the file").click()
    expect(watched.locator("#preview-sample-call .diff-item").first).to_be_visible()
    assert_inert(watched)
