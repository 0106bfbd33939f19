import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

STEP = "/flows/call-pickup/F7/"


def token(page, href):
    return page.locator(f'#message .sipmsg a[href="{href}"]').first


def tip(page, element_id):
    return page.locator(f'[id="{element_id}"]')


def open_step(page, url):
    """The step page, once its socket has sent the first frame (which replaces the message)."""
    frames = []
    page.on(
        "websocket", lambda socket: socket.on("framereceived", lambda frame: frames.append(frame))
    )
    page.goto(url)
    expect(page.locator("#stepper .controls")).to_be_visible()
    while not frames:
        page.wait_for_timeout(20)
    page.wait_for_timeout(50)  # the frame is swapped in after it arrives


def test_focusing_a_token_opens_its_explanation_and_escape_closes_it(page, served_library):
    open_step(page, served_library + STEP)
    replaces = token(page, "/sip/header/Replaces/")
    replaces.focus()
    explanation = tip(page, "tip-header-Replaces")
    expect(explanation).to_be_visible()
    expect(explanation).to_contain_text("RFC 3891 §6.1")
    expect(replaces).to_have_accessible_description(
        re.compile("take the place of an existing dialog")
    )
    page.keyboard.press("Escape")
    expect(explanation).to_be_hidden()
    expect(replaces).to_be_focused()


def test_tab_moves_the_explanation_to_the_next_token(page, served_library):
    open_step(page, served_library + STEP)
    token(page, "/sip/method/INVITE/").focus()
    expect(tip(page, "tip-method-INVITE")).to_be_visible()
    page.keyboard.press("Tab")
    expect(tip(page, "tip-method-INVITE")).to_be_hidden()
    focused_tip = page.evaluate("document.activeElement.getAttribute('aria-describedby')")
    expect(tip(page, focused_tip)).to_be_visible()


def test_the_explanation_opens_where_the_token_is(page, served_library):
    open_step(page, served_library + STEP)
    early_only = token(page, "/sip/param/early-only/")
    early_only.hover()
    explanation = tip(page, "tip-param-early-only")
    expect(explanation).to_be_visible()
    place, box = early_only.bounding_box(), explanation.bounding_box()
    assert (
        0 <= box["y"] - (place["y"] + place["height"]) < 20
        or box["y"] + box["height"] <= place["y"]
    )
    assert abs(box["x"] - place["x"]) < 450
    page.mouse.move(0, 0)
    expect(explanation).to_be_hidden()


def test_a_first_tap_explains_and_a_second_follows_the_link(browser, served_library):
    context = browser.new_context(viewport={"width": 412, "height": 900}, has_touch=True)
    page = context.new_page()
    open_step(page, served_library + STEP)
    replaces = token(page, "/sip/header/Replaces/")
    replaces.scroll_into_view_if_needed()
    replaces.tap()
    expect(tip(page, "tip-header-Replaces")).to_be_visible()
    assert page.url.endswith(STEP)
    replaces.tap()
    expect(page).to_have_url(re.compile("/sip/header/Replaces/$"))
    context.close()


def test_without_javascript_a_token_is_a_link_to_its_reference_page(browser, served_library):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(served_library + STEP)
    expect(tip(page, "tip-header-Replaces")).to_be_hidden()
    token(page, "/sip/header/Replaces/").click()
    expect(page).to_have_url(re.compile("/sip/header/Replaces/$"))
    expect(page.locator("h1")).to_contain_text("Replace an existing dialog")
    expect(page.locator(f'.uses a[href="{STEP}"]')).to_be_visible()
    context.close()


def test_the_search_box_finds_chinese_text(page, served_library):
    page.goto(served_library + "/")
    page.get_by_role("button", name="中文").click()
    box = page.locator("header").get_by_role("searchbox")
    box.fill("早期对话")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q="))
    pickup = page.locator("#search-results section", has_text="呼叫代答")
    expect(pickup.locator("mark").first).to_have_text("早期对话")


def test_an_explanation_stays_beside_a_token_scrolled_into_view(browser, served_library):
    context = browser.new_context(viewport={"width": 900, "height": 420})
    page = context.new_page()
    open_step(page, served_library + "/flows/call-pickup/F1/")
    last = page.locator("#message .sipmsg a[aria-describedby]").last
    last.focus()  # the page scrolls to it
    explanation = tip(page, last.get_attribute("aria-describedby"))
    expect(explanation).to_be_visible()
    expect(explanation).to_be_in_viewport()
    context.close()
