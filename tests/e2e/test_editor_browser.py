"""An editor at work in the system Chromium: sign in, edit, see the checker, save, compare,
restore."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

PASSWORD = "a-long-test-password"


@pytest.fixture
def editor_account(served_library):
    user = User.objects.create_user("editor1", password=PASSWORD)
    user.groups.add(Group.objects.get_or_create(name="editor")[0])
    return user


def sign_in(page, base, next_url):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill("editor1")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def serious_violations(page) -> list:
    """What axe finds serious or critical on the page, with a few of the elements involved."""
    results = Axe().run(page).response
    return [
        (v["id"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_an_editor_changes_f7_sees_the_finding_saves_compares_and_restores(
    page, served_library, editor_account
):
    sign_in(page, served_library, "/flows/call-pickup/")
    page.locator("#edit-link").click()
    expect(page).to_have_url(re.compile("/flows/call-pickup/edit/$"))
    f7 = page.locator('fieldset[id="edit-F7/"]')
    message = f7.locator("textarea.sip-message")
    feedback = f7.locator(".step-feedback")
    expect(feedback.locator(".step-findings")).to_have_count(0)

    message.press("Control+Home")
    for _ in range(3):  # to the Max-Forwards line, then delete it by keyboard
        message.press("ArrowDown")
    message.press("Shift+ArrowDown")
    message.press("Delete")
    expect(feedback.locator(".step-findings")).to_contain_text("max-forwards")
    expect(page.locator("#editor-preview #message")).not_to_contain_text("Max-Forwards")

    page.get_by_label("What you changed").fill("F7 without Max-Forwards")
    page.get_by_role("button", name="Save as a new revision").click()
    expect(page.locator(".notices")).to_contain_text("Saved as revision 2.")

    page.locator(".editor-links").get_by_role("link", name="History").click()
    expect(page.locator("#revision-2")).to_contain_text("F7 without Max-Forwards")
    expect(page.locator("#revision-2 .change-summary")).to_have_text("1 step changed")
    page.get_by_role("button", name="Compare the chosen revisions").click()
    removed = page.locator("#diff-steps-F7 .diff-line.is-delete .old")
    expect(removed).to_have_text("Max-Forwards: 70")

    page.go_back()
    page.get_by_role("button", name="Restore revision 1").click()
    expect(page.locator("#revision-3")).to_contain_text("Revert to revision 1")
    page.goto(f"{served_library}/flows/call-pickup/F7/")
    expect(page.locator("#message")).to_contain_text("Max-Forwards: 70")


def test_the_editor_is_usable_by_keyboard_adding_a_step_keeps_focus_on_it(
    page, served_library, editor_account
):
    sign_in(page, served_library, "/flows/call-pickup/edit/")
    expect(page.locator("#step-0-insert")).to_be_visible()
    steps = page.locator("fieldset.edit-step")
    before = steps.count()
    page.locator("#step-0-insert").focus()
    page.keyboard.press("Enter")
    expect(steps).to_have_count(before + 1)
    expect(page.locator("#step-0-label")).to_be_focused()


def test_a_reader_who_opens_the_editor_is_sent_to_sign_in(page, served_library):
    page.goto(f"{served_library}/flows/call-pickup/edit/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/flows/call-pickup/edit/$"))


def test_two_editors_collide_and_the_second_merges_field_by_field(
    browser, page, served_library, editor_account
):
    sign_in(page, served_library, "/flows/call-pickup/edit/")
    other = browser.new_context().new_page()
    sign_in(other, served_library, "/flows/call-pickup/edit/")

    other.locator('fieldset[id="edit-F1/"] [name$="-annotation_en"]').fill("Their words on F1.")
    other.get_by_label("What you changed").fill("theirs")
    other.get_by_role("button", name="Save as a new revision").click()
    expect(other.locator(".notices")).to_contain_text("Saved as revision 2.")

    page.locator('fieldset[id="edit-F2/"] [name$="-annotation_en"]').fill("My words on F2.")
    page.get_by_label("What you changed").fill("mine")
    page.get_by_role("button", name="Save as a new revision").click()
    conflict = page.locator("#conflict")
    expect(conflict).to_contain_text("the flow is at revision 2 now")
    expect(conflict.locator('[data-choice="merge:step:F1:annotation"]')).to_contain_text(
        "Their words on F1."
    )
    expect(page.locator('fieldset[id="edit-F2/"] [name$="-annotation_en"]')).to_have_value(
        "My words on F2."
    )
    assert serious_violations(page) == []
    page.get_by_role("button", name="Merge as chosen (then review and save)").click()
    expect(page.locator(".notice")).to_contain_text("Merged with revision 2")
    expect(page.locator('fieldset[id="edit-F1/"] [name$="-annotation_en"]')).to_have_value(
        "Their words on F1."
    )
    page.get_by_role("button", name="Save as a new revision").click()
    expect(page.locator(".notices")).to_contain_text("Saved as revision 3.")
    other.context.close()


def test_the_editors_pages_have_no_serious_accessibility_violations(
    page, served_library, editor_account
):
    sign_in(page, served_library, "/flows/call-pickup/edit/")
    expect(page.locator("#editor-form")).to_be_visible()
    found = {}
    for path in ("/flows/call-pickup/edit/", "/flows/new/", "/flows/import/", "/flows/import/rfc/"):
        page.goto(served_library + path)
        serious = serious_violations(page)
        if serious:
            found[path] = serious
    assert found == {}
