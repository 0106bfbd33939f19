import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def stroke(page, label: str) -> str:
    return page.locator(f"#step-{label} .step-line").evaluate("e => getComputedStyle(e).stroke")


def test_colouring_by_dialog_gives_each_dialog_its_colour_and_a_legend(page, served_library):
    page.goto(f"{served_library}/flows/find-me/F20/")
    legend = page.locator("#dialog-legend")
    assert not legend.is_visible()
    assert stroke(page, "F4") == stroke(page, "F17")  # one ink for every arrow at first
    page.get_by_role("switch", name="Colour by dialog").check()
    assert legend.is_visible()
    assert stroke(page, "F4") != stroke(page, "F17")  # B1's early dialog, B4's call
    assert stroke(page, "F2") == stroke(page, "F4")  # the INVITE B1's 180 answers
    assert legend.locator("li").count() == 2


def test_the_as_written_switch_shows_the_step_as_printed_and_stays_on(page, served_library):
    page.goto(f"{served_library}/flows/incoming-call-screening/F11/")
    expect(page.locator("#stepper .controls")).to_be_visible()  # the socket is open
    printed = page.locator("#step-as-written")
    assert not printed.is_visible()
    page.get_by_role("switch", name="As RFC 5359 printed it").check()
    assert printed.get_by_text("Alice → Announcement Server").is_visible()
    page.locator('a[rel="next"]').click()  # a frame replaces the step panel
    expect(page).to_have_url(re.compile("/F12/$"))
    arrow = page.locator("#step-as-written .drawn-arrow")
    expect(arrow).to_contain_text("Alice → Announcement Server")
