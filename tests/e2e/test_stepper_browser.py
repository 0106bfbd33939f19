import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def current_label(page):
    return page.locator(".ladder .is-current")


def wait_for_socket(page):
    expect(page.locator("#stepper .controls")).to_be_visible()


def test_keyboard_steps_through_call_pickup_to_f7(page, served_library):
    page.goto(f"{served_library}/flows/call-pickup/")
    wait_for_socket(page)
    for label in ("F1", "F2", "F3", "F4", "F5", "F6", "F7"):
        page.keyboard.press("ArrowRight")
        expect(page).to_have_url(re.compile(f"/flows/call-pickup/{label}/$"))
        expect(current_label(page)).to_have_attribute("data-label", label)
    message = page.locator("#message")
    expect(message.locator(".hll .na", has_text=re.compile("^Replaces$"))).to_be_visible()
    note = page.locator("#step-notes .note-rfc-defect", has_text="Carol")
    expect(note.locator(".as-written pre")).to_contain_text("Bob and Carol")
    expect(note.locator(".discussion")).to_contain_text("Bill")


def test_left_arrow_goes_back_and_the_browser_back_button_follows(page, served_library):
    page.goto(f"{served_library}/flows/call-pickup/F3/")
    wait_for_socket(page)
    page.keyboard.press("ArrowLeft")
    expect(page).to_have_url(re.compile("/flows/call-pickup/F2/$"))
    expect(page.locator(".step-title .label")).to_have_text("F2")
    page.go_back()
    expect(page.locator(".step-title .label")).to_have_text("F3")
    expect(current_label(page)).to_have_attribute("data-label", "F3")


def test_clicking_an_arrow_on_the_ladder_opens_that_step(page, served_library):
    page.goto(f"{served_library}/flows/call-pickup/")
    wait_for_socket(page)
    page.locator('.ladder [data-label="F9"]').click()
    expect(page).to_have_url(re.compile("/flows/call-pickup/F9/$"))
    expect(page.locator("#message")).to_contain_text("CANCEL sips:bob@biloxi.example.com")


def test_play_steps_by_itself_until_paused(page, served_library):
    page.goto(f"{served_library}/flows/call-pickup/F1/")
    wait_for_socket(page)
    page.locator("#stepper select[data-action=speed]").select_option("3")
    page.locator("#play-button").click()
    expect(page).to_have_url(re.compile("/flows/call-pickup/F3/$"), timeout=5000)
    page.locator("#play-button").click()
    expect(page.locator("#play-button")).to_have_attribute("data-action", "play")
    paused_at = page.url
    page.wait_for_timeout(1500)
    assert page.url == paused_at


def test_without_javascript_the_links_still_step(browser, served_library):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{served_library}/flows/call-pickup/F1/")
    page.locator('a[rel="next"]').click()
    expect(page).to_have_url(re.compile("/flows/call-pickup/F2/$"))
    expect(page.locator("#message")).to_contain_text("SIP/2.0 180 Ringing")
    context.close()


def test_reduced_motion_shows_the_current_arrow_without_animation(browser, served_library):
    context = browser.new_context(reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{served_library}/flows/call-pickup/F7/")
    head = page.locator(".ladder .is-current .step-head").first
    assert head.evaluate("el => getComputedStyle(el).animationName") == "none"
    assert head.evaluate("el => getComputedStyle(el).opacity") == "1"
    context.close()


def test_the_current_arrow_animates_when_motion_is_welcome(page, served_library):
    page.goto(f"{served_library}/flows/call-pickup/F7/")
    line = page.locator(".ladder .is-current .step-line").first
    assert line.evaluate("el => getComputedStyle(el).animationName") == "ladder-draw"
