"""The classroom as people meet it: the instructor's screen on a projector, students' phones."""

import re

import pytest
import zxingcpp
from playwright.sync_api import expect

from tests.e2e.seen import box, inside, png_grey, viewport_box

pytestmark = pytest.mark.e2e

PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"width": 390, "height": 844}


def start_walkthrough(context, served_library, slug="call-park"):
    teacher = context.new_page()
    teacher.goto(f"{served_library}/flows/{slug}/")
    teacher.get_by_role("button", name="Start live walkthrough").click()
    expect(teacher).to_have_url(re.compile(r"/live/[A-Z0-9]{6}/present/$"))
    expect(teacher.locator("#stepper[data-synced]")).to_be_attached()
    return teacher, teacher.locator(".join-code").inner_text()


def join(browser, served_library, code, viewport=PHONE):
    context = browser.new_context(viewport=viewport)
    student = context.new_page()
    student.goto(f"{served_library}/live/{code}/")
    expect(student.locator("#stepper[data-synced]")).to_be_attached()
    return student


def test_the_join_qr_code_scans_to_the_join_link(instructor_context, served_library):
    teacher, code = start_walkthrough(instructor_context, served_library)
    teacher.set_viewport_size(PROJECTOR)
    qr = teacher.locator(".qr svg")
    assert inside(box(qr), viewport_box(teacher))
    assert box(qr)["width"] >= 180  # scannable from the back of a room
    pixels, width, height = png_grey(qr.screenshot())
    found = zxingcpp.read_barcodes(pixels)
    assert [barcode.text for barcode in found] == [f"{served_library}/live/{code}/"]


def test_a_join_link_to_this_computer_warns_the_instructor(instructor_context, served_library):
    teacher, _ = start_walkthrough(instructor_context, served_library)
    warning = teacher.get_by_role("alert")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("other devices cannot open it")
    expect(warning).to_contain_text("HOST=0.0.0.0")


def test_the_join_panel_folds_to_a_code_badge(instructor_context, served_library):
    teacher, code = start_walkthrough(instructor_context, served_library)
    teacher.set_viewport_size(PROJECTOR)
    opened = box(teacher.locator(".live-panel"))["height"]
    teacher.locator(".live-panel summary").click()
    folded = box(teacher.locator(".live-panel"))
    assert folded["height"] < 80 < opened
    expect(teacher.locator(".live-panel .join-code")).to_have_text(code)
    expect(teacher.locator(".qr svg")).to_be_hidden()


def test_presentation_mode_puts_the_message_beside_the_ladder_on_a_projector(
    instructor_context, browser, served_library
):
    teacher, code = start_walkthrough(instructor_context, served_library)
    student = join(browser, served_library, code)
    expect(teacher.locator("#viewers")).to_have_text("1")
    teacher.set_viewport_size(PROJECTOR)
    teacher.keyboard.press("ArrowRight")
    teacher.get_by_role("button", name="Presentation mode").click()
    expect(teacher.locator(".site-header")).to_be_hidden()
    screen = viewport_box(teacher)
    panel = box(teacher.locator(".live-panel"))
    assert panel["height"] < 80  # folded to its code badge: the class is in
    ladder, message = box(teacher.locator(".ladder-panel")), box(teacher.locator("#message"))
    assert message["x"] >= ladder["x"] + ladder["width"]
    assert message["y"] + 60 < screen["height"]  # its first lines are on the screen
    assert inside(box(teacher.locator(".ladder .is-current")), screen)
    font = teacher.locator(".annotation p").evaluate(
        "el => parseFloat(getComputedStyle(el).fontSize)"
    )
    assert font >= 20
    student.context.close()


def test_future_arrows_stay_hidden_until_reached_and_the_choice_is_remembered(
    instructor_context, served_library
):
    teacher, _ = start_walkthrough(instructor_context, served_library)
    teacher.get_by_label("Hide steps not reached yet").check()
    arrow = teacher.locator("#step-F2")
    expect(arrow).to_have_css("opacity", "0")
    teacher.keyboard.press("ArrowRight")
    teacher.keyboard.press("ArrowRight")
    expect(teacher.locator(".ladder .is-current")).to_have_attribute("data-label", "F2")
    expect(arrow).to_have_css("opacity", "1")
    expect(teacher.locator("#step-F3")).to_have_css("opacity", "0")
    teacher.reload()
    expect(teacher.get_by_label("Hide steps not reached yet")).to_be_checked()
    expect(teacher.locator("#step-F3")).to_have_css("opacity", "0")


def test_an_exploring_student_keeps_the_class_link_and_a_reload_brings_them_back(
    instructor_context, browser, served_library
):
    teacher, code = start_walkthrough(instructor_context, served_library)
    teacher.keyboard.press("ArrowRight")
    student = join(browser, served_library, code)
    student.get_by_role("button", name="Explore on my own").click()
    student.keyboard.press("ArrowRight")
    student.keyboard.press("ArrowRight")
    expect(student.locator(".step-title .label")).to_have_text("F3")
    assert student.url == f"{served_library}/live/{code}/"
    teacher.keyboard.press("ArrowRight")
    expect(teacher.locator(".ladder .is-current")).to_have_attribute("data-label", "F2")
    student.reload()
    expect(student.locator(".live-banner")).to_be_visible()
    expect(student.locator(".ladder .is-current")).to_have_attribute("data-label", "F2")
    student.context.close()


def test_a_phone_student_reading_the_message_is_not_pulled_up_by_the_instructor(
    instructor_context, browser, served_library
):
    teacher, code = start_walkthrough(instructor_context, served_library)
    teacher.keyboard.press("ArrowRight")
    student = join(browser, served_library, code)
    student.locator("#message").scroll_into_view_if_needed()
    reading_at = student.evaluate("window.scrollY")
    assert reading_at > 0
    for label in ("F2", "F3", "F4"):
        teacher.keyboard.press("ArrowRight")
        expect(student.locator(".ladder .is-current")).to_have_attribute("data-label", label)
    assert student.evaluate("window.scrollY") == reading_at
    # The ladder box scrolled by itself instead: the current arrow is in its view.
    assert inside(
        box(student.locator(".ladder .is-current .step-line")), box(student.locator(".ladder"))
    )
    student.context.close()


def test_the_end_is_confirmed_then_students_are_offered_the_step_where_the_class_stopped(
    instructor_context, browser, served_library
):
    teacher, code = start_walkthrough(instructor_context, served_library)
    for label in ("F1", "F2"):
        teacher.keyboard.press("ArrowRight")
        expect(teacher.locator(".ladder .is-current")).to_have_attribute("data-label", label)
    student = join(browser, served_library, code)
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    teacher.once("dialog", lambda dialog: answer(dialog, accept=False))
    teacher.get_by_role("button", name="End the walkthrough").click()
    expect(teacher).to_have_url(re.compile("/present/$"))
    expect(student.locator(".live-banner")).to_be_visible()
    teacher.once("dialog", lambda dialog: answer(dialog, accept=True))
    teacher.get_by_role("button", name="End the walkthrough").click()
    expect(teacher).to_have_url(re.compile("/flows/call-park/$"))
    assert len(questions) == 2 and "whole class" in questions[0]
    expect(student.locator(".live-banner")).to_be_hidden()
    resume = student.get_by_role("link", name="Open the flow at F2, where the class stopped")
    expect(resume).to_be_visible()
    resume.click()
    expect(student).to_have_url(re.compile("/flows/call-park/F2/$"))
    student.context.close()
