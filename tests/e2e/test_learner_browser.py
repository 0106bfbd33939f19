"""A learner's pages as a person sees them, on a laptop, a projector and a phone."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.seen import box, colours, contrast, inside, page_overflow, viewport_box

# django_db asks for the test database; the pages read the library served once per module.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

LAPTOP = {"width": 1366, "height": 800}
PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}


def wait_for_socket(page):
    """Until the socket is open and its first frame (the resync) has replaced the step panel."""
    expect(page.locator("#stepper[data-synced]")).to_be_attached()


def open_page(page, url):
    """Open a page; a stepper page is ready once its socket has resynced it."""
    page.goto(url)
    if page.locator("#stepper").count():
        wait_for_socket(page)


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def test_quoted_lines_wrap_in_their_panes_and_the_differences_are_marked(page, library_to_read):
    page.set_viewport_size(LAPTOP)
    open_page(page, f"{library_to_read}/flows/call-pickup/F7/")
    note = page.locator("#step-notes .note-rfc-defect", has_text="Carol")
    for pane in note.locator(".side-by-side pre").all():
        assert pane.evaluate("el => el.scrollWidth <= el.clientWidth")
    written = note.locator(".as-written mark.differs")
    corrected = note.locator(".correction mark.differs")
    expect(written).to_have_text(["Carol"])
    expect(corrected).to_have_text(["Bill"])
    for mark in (written, corrected):
        assert inside(box(mark), box(note.locator(".side-by-side")))


def test_a_direction_defect_shows_the_arrow_as_the_rfc_drew_it(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/incoming-call-screening/F11/")
    lanes = {
        name: box(page.locator(".ladder-head .lane", has_text=name).locator(".lifeline"))["x"]
        for name in ("Alice", "Announcement Server")
    }
    row = page.locator("#step-F11")
    ghost = box(row.locator(".step-ghost polygon"))  # the RFC's arrowhead: at the server
    head = box(row.locator(".step-head"))  # the corrected one: at Alice
    assert abs(ghost["x"] + ghost["width"] - lanes["Announcement Server"]) < 2
    assert abs(head["x"] - lanes["Alice"]) < 2
    assert box(row.locator(".step-ghost path"))["width"] > 300
    assert page.locator("#step-F12 .step-ghost").count() == 0


def test_the_count_of_notes_by_kind_jumps_to_them(page, library_to_read):
    page.set_viewport_size(LAPTOP)
    open_page(page, f"{library_to_read}/flows/call-pickup/F7/")
    counts = page.locator(".note-counts a[href='#step-notes']")
    expect(counts).to_contain_text("2 RFC defects")
    notes = page.locator("#step-notes")
    assert box(notes)["y"] > LAPTOP["height"]  # below the fold at first
    counts.click()
    expect(notes).to_be_in_viewport()
    assert page.evaluate("window.scrollY") == 0  # the side panel scrolled, not the page


def test_a_notes_badge_on_the_ladder_opens_that_steps_notes(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/call-pickup/")
    page.locator('.ladder a.step-badge[data-notes="F7"]').click()
    expect(page).to_have_url(re.compile("/flows/call-pickup/F7/$"))
    expect(page.locator("#step-notes .note").first).to_be_in_viewport()


def test_a_step_opened_by_link_has_its_arrow_in_view_and_the_page_unmoved(page, library_to_read):
    page.set_viewport_size(LAPTOP)
    open_page(page, f"{library_to_read}/flows/consultation-hold/F30/")
    current = page.locator(".ladder .is-current .step-line")
    expect(current).to_be_in_viewport()
    assert inside(box(current), box(page.locator(".ladder")))
    assert page.evaluate("window.scrollY") == 0
    page.reload()
    expect(current).to_be_in_viewport()


def test_each_move_keeps_the_current_arrow_in_the_ladders_view(page, library_to_read):
    page.set_viewport_size(PROJECTOR)
    open_page(page, f"{library_to_read}/flows/consultation-hold/F20/")
    ladder = page.locator(".ladder")
    labels = ladder.locator("a.step").evaluate_all("rows => rows.map(r => r.dataset.label)")
    for label in labels[labels.index("F20") + 1 :][:6]:
        page.keyboard.press("ArrowRight")
        expect(page.locator(".ladder .is-current")).to_have_attribute("data-label", label)
    page.wait_for_function(
        "() => { const l = document.querySelector('.ladder'), r = l.querySelector('.is-current')"
        ".getBoundingClientRect(), b = l.getBoundingClientRect();"
        " return r.top >= b.top && r.bottom <= b.bottom; }"
    )
    assert inside(box(page.locator(".ladder .is-current .step-line")), box(ladder))
    assert page.evaluate("window.scrollY") == 0


def test_on_a_phone_the_first_screen_reaches_the_step_and_its_message(phone, library_to_read):
    open_page(phone, f"{library_to_read}/flows/call-pickup/F7/")
    screen = viewport_box(phone)
    assert inside(box(phone.locator(".step-title")), screen)
    assert box(phone.locator("#annotation"))["y"] < screen["height"]
    to_message = phone.get_by_role("link", name="SIP message ↓")
    assert inside(box(to_message), screen)
    to_message.click()
    expect(phone.locator("#message .sipmsg")).to_be_in_viewport()


def test_on_a_phone_the_ladder_shows_the_current_arrows_two_lanes(phone, library_to_read):
    open_page(phone, f"{library_to_read}/flows/consultation-hold/F26/")  # Proxy -> Carol, far right
    assert phone.locator(".ladder").evaluate("el => el.scrollWidth > el.clientWidth")
    # The ladder box scrolls to the arrow after the first frame: wait for it to settle there.
    phone.wait_for_function(
        """() => {
          const ladder = document.querySelector(".ladder").getBoundingClientRect();
          return [".step-line", ".step-head"].every((part) => {
            const r = document.querySelector(".ladder .is-current " + part).getBoundingClientRect();
            return r.left >= ladder.left - 1 && r.right <= ladder.right + 1
              && r.top >= ladder.top - 1 && r.bottom <= ladder.bottom + 1;
          });
        }""",
        timeout=5000,
    )
    ladder = box(phone.locator(".ladder"))
    assert inside(box(phone.locator(".ladder .is-current .step-line")), ladder)
    assert inside(box(phone.locator(".ladder .is-current .step-head")), ladder)


PAGES = [
    "/",
    "/flows/call-pickup/",
    "/flows/call-pickup/F7/",
    "/flows/incoming-call-screening/F11/",
    "/flows/call-pickup/all/",
    "/notes/",
    "/live/",
]


def test_no_page_is_wider_than_a_phone(phone, library_to_read):
    wider = {}
    for path in PAGES:
        open_page(phone, f"{library_to_read}{path}")
        if page_overflow(phone):
            wider[path] = page_overflow(phone)
    assert wider == {}


def test_no_serious_accessibility_violations(page, library_to_read):
    axe = Axe()
    found = {}
    for path in PAGES:
        open_page(page, f"{library_to_read}{path}")
        results = axe.run(page).response
        serious = [v["id"] for v in results["violations"] if v["impact"] in ("serious", "critical")]
        if serious:
            found[path] = serious
    assert found == {}


def test_every_colour_of_a_message_meets_wcag_aa(page, library_to_read):
    open_page(
        page, f"{library_to_read}/flows/call-pickup/F5/"
    )  # SIP, SDP-less XML body, tags, numbers
    tokens = colours(page.locator("#message .sipmsg pre span:not(.hll):not(.w)"))
    assert len(tokens) > 50
    weak = {
        (t["text"], round(contrast(t["colour"], t["background"]), 2))
        for t in tokens
        if contrast(t["colour"], t["background"]) < 4.5
    }
    assert weak == set()


def test_the_lines_an_explanation_points_at_stand_out(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/call-pickup/F7/")
    focused = page.locator("#message .hll").first
    expect(focused).to_have_css("box-shadow", re.compile("inset"))
    pre = page.locator("#message .sipmsg pre")
    bar = focused.evaluate("el => getComputedStyle(el).boxShadow.match(/rgb\\([^)]*\\)/)[0]")
    background = pre.evaluate("el => getComputedStyle(el).backgroundColor")

    def rgb(css):
        return [int(v) for v in re.findall(r"\d+", css)[:3]]

    assert contrast(rgb(bar), rgb(background)) >= 3
    band = focused.evaluate("el => getComputedStyle(el).backgroundColor")
    assert rgb(band) != rgb(background)


def test_a_step_change_is_announced(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/call-pickup/F1/")
    page.keyboard.press("ArrowRight")
    announcer = page.locator("[aria-live=polite]#step-announcer")
    expect(announcer).to_contain_text("F2")
    expect(announcer).to_contain_text("Step 2 of")


def test_the_skip_link_leads_to_play_in_two_tab_presses(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/consultation-hold/F30/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the step controls")
    expect(skip).to_be_focused()
    assert inside(box(skip), viewport_box(page))
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator("#play-button")).to_be_focused()


def test_the_ladder_is_one_tab_stop(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/consultation-hold/F30/")
    tabbable = page.locator(".ladder a:not([tabindex='-1'])")
    expect(tabbable).to_have_count(1)
    expect(tabbable).to_have_attribute("data-label", "F30")


def test_enter_on_play_keeps_the_focus_on_play(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/call-pickup/F1/")
    play = page.locator("#play-button")
    play.focus()
    page.keyboard.press("Enter")
    expect(play).to_have_attribute("aria-pressed", "true")
    expect(play).to_be_focused()
    page.keyboard.press("Enter")
    expect(play).to_have_attribute("aria-pressed", "false")
    expect(play).to_be_focused()


def test_after_choosing_a_speed_with_the_mouse_the_arrows_step_again(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/call-pickup/F1/")
    speed = page.locator("#stepper select[data-action=speed]")
    speed.click()
    speed.select_option("2")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".step-title .label")).to_have_text("F2")
    expect(speed).to_have_value("2")


def test_a_focused_speed_list_keeps_its_arrow_keys(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/call-pickup/F1/")
    speed = page.locator("#stepper select[data-action=speed]")
    speed.focus()
    page.keyboard.press("ArrowDown")
    expect(speed).to_have_value("1.5")
    expect(page.locator(".step-title .label")).to_have_text("F1")


def test_the_speed_is_remembered(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/call-pickup/F1/")
    page.locator("#stepper select[data-action=speed]").select_option("0.5")
    open_page(page, f"{library_to_read}/flows/call-park/")
    expect(page.locator("#stepper select[data-action=speed]")).to_have_value("0.5")


def test_the_whole_flow_page_shows_every_step_and_prints_the_whole_ladder(page, library_to_read):
    page.goto(f"{library_to_read}/flows/consultation-hold/all/")
    steps = page.locator(".all-step")
    assert steps.count() == 42
    expect(steps.last.locator(".annotation")).to_be_visible()
    page.emulate_media(media="print")
    ladder = page.locator(".ladder")
    assert ladder.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
    assert box(page.locator(".ladder-body"))["height"] > 1000
    expect(page.locator(".site-header")).to_be_hidden()


def test_a_printed_step_has_no_controls_and_the_whole_ladder(page, library_to_read):
    open_page(page, f"{library_to_read}/flows/consultation-hold/F30/")
    page.emulate_media(media="print")
    expect(page.locator("#stepper .controls")).to_be_hidden()
    expect(page.locator(".progress")).to_be_hidden()
    ladder = page.locator(".ladder")
    assert ladder.evaluate("el => el.scrollHeight <= el.clientHeight + 1")


def test_the_notes_page_filters_by_kind_and_flow(page, library_to_read):
    page.goto(f"{library_to_read}/notes/")
    toc = page.get_by_role("navigation", name="Flows with notes")
    expect(toc.locator("li").first).to_contain_text("§2.1 ")
    expect(toc.locator("li").nth(9)).to_contain_text("§2.10 ")
    page.get_by_role("combobox", name="Kind").select_option("rfc-defect")
    page.get_by_role("combobox", name="Flow").select_option("call-pickup")
    page.get_by_role("button", name="Show").click()
    notes = page.locator("article.note")
    assert notes.count() > 0
    expect(page.locator("article.note:not(.note-rfc-defect)")).to_have_count(0)
    expect(page.locator(".notes-flow h2")).to_have_text(["§2.16 Call Pickup"])
