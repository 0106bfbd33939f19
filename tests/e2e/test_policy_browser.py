import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_pages_work_under_the_content_security_policy(page, instructor_context, served_library):
    """htmx, its websocket extension, the stepper and the ladder's styles, with nothing refused."""
    refused = []
    for browser_page in (page, instructor_context.new_page()):
        browser_page.on(
            "console",
            lambda message: (
                refused.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
    page.goto(f"{served_library}/flows/call-pickup/")
    expect(page.locator("#stepper .controls")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect(page.locator(".ladder .is-current")).to_have_attribute("data-label", "F1")
    width = page.locator(".ladder svg").first.evaluate("e => getComputedStyle(e).maxWidth")
    assert width.endswith("px")
    teacher = instructor_context.pages[0]
    teacher.goto(f"{served_library}/flows/call-pickup/")
    teacher.get_by_role("button", name="Start live walkthrough").click()
    expect(teacher.locator("#viewers")).to_be_visible()
    assert refused == []
