from pathlib import Path

import pytest
from playwright.sync_api import expect

from sipflows.sip import diagrams, offline
from tests.sip.wire import SLUGS, library_document

pytestmark = pytest.mark.e2e

MERMAID = (
    Path(__file__).resolve().parents[2] / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
)


@pytest.fixture
def offline_page(page, tmp_path):
    """The offline file of Call Pickup opened from file://, every other request refused."""
    refused = []

    def only_files(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_files)
    path = tmp_path / "call-pickup.html"
    path.write_text(offline.offline_html(library_document("call-pickup")), encoding="utf-8")
    page.goto(path.as_uri())
    page.refused = refused
    return page


def visible_panel(page):
    return page.locator(".panel:visible")


def expect_heading(page, text):
    """The visible panel's heading as a reader sees it (in one language)."""
    expect(visible_panel(page).locator("h2")).to_have_text(text, use_inner_text=True)


def test_the_offline_file_asks_for_nothing_beyond_itself(offline_page):
    offline_page.keyboard.press("ArrowRight")
    expect_heading(offline_page, "F1 INVITE")
    assert offline_page.refused == []


def test_keys_step_through_the_offline_file(offline_page):
    for _ in range(3):
        offline_page.keyboard.press("ArrowRight")
    offline_page.keyboard.press("ArrowLeft")
    expect_heading(offline_page, "F2 180 Ringing")
    expect(visible_panel(offline_page).locator(".sipmsg")).to_contain_text("SIP/2.0 180 Ringing")


def test_buttons_step_through_the_offline_file(offline_page):
    offline_page.get_by_role("button", name="Next →").click()
    offline_page.get_by_role("button", name="Next →").click()
    expect_heading(offline_page, "F2 180 Ringing")
    expect(offline_page.locator("#position")).to_have_text("2 / 16")


def test_a_click_on_the_ladder_opens_that_step(offline_page):
    offline_page.locator('.ladder-box:visible .step[data-label="F7"]').click()
    expect_heading(offline_page, "F7 INVITE")
    current = offline_page.locator(".ladder-box:visible .step.is-current")
    expect(current).to_have_attribute("data-label", "F7")


def test_the_offline_file_switches_to_chinese(offline_page):
    doc = library_document("call-pickup")
    offline_page.keyboard.press("ArrowRight")
    offline_page.get_by_role("button", name="中文").click()
    panel = visible_panel(offline_page)
    expect(panel.locator('p[lang="zh"]').first).to_have_text(doc["steps"][0]["annotation"]["zh"])
    expect(panel.locator('p[lang="en"]').first).to_be_hidden()
    expect(offline_page.get_by_role("button", name="下一步 →")).to_be_visible()


def test_the_standalone_svg_opens_alone(page, tmp_path):
    path = tmp_path / "call-hold.svg"
    path.write_text(diagrams.ladder_svg(library_document("call-hold")), encoding="utf-8")
    page.goto(path.as_uri())
    name = page.locator("text.lane-name", has_text="Proxy")
    expect(name).to_be_visible()
    line = page.locator(".step-media .step-line").first
    assert line.evaluate("e => getComputedStyle(e).stroke") == "rgb(46, 125, 87)"


@pytest.fixture(scope="module")
def mermaid_page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content("<!DOCTYPE html><html><body></body></html>")
    page.add_script_tag(path=str(MERMAID))
    page.evaluate("mermaid.initialize({startOnLoad: false, securityLevel: 'strict'})")
    yield page
    context.close()


@pytest.mark.parametrize("slug", SLUGS)
def test_mermaid_renders_the_exported_flow(mermaid_page, slug):
    doc = library_document(slug)
    text = diagrams.mermaid(doc)
    mermaid_page.evaluate(
        "async (text) => { document.body.innerHTML = (await mermaid.render('flow', text)).svg; }",
        text,
    )
    shown = [t.strip() for t in mermaid_page.locator("svg text").all_text_contents()]
    assert all(lane["name"] in shown for lane in doc["participants"])
    messages = [s for s in doc["steps"] if s["kind"] == "message"]
    assert all(f"{s['label']} {diagrams.caption(s, 'en')}" in shown for s in messages)
