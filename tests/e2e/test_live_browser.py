import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_late_student_lands_on_the_current_step_then_follows(
    instructor_context, browser, served_library
):
    teacher = instructor_context.new_page()
    teacher.goto(f"{served_library}/flows/call-park/")
    teacher.get_by_role("button", name="Start live walkthrough").click()
    expect(teacher).to_have_url(re.compile(r"/live/[A-Z0-9]{6}/present/$"))
    code = teacher.locator(".join-code").inner_text()
    expect(teacher.locator("#stepper .controls")).to_be_visible()
    for label in ("F1", "F2"):
        teacher.keyboard.press("ArrowRight")
        expect(teacher.locator(".ladder .is-current")).to_have_attribute("data-label", label)

    student_context = browser.new_context()
    student = student_context.new_page()
    student.goto(f"{served_library}/live/")
    student.get_by_label("Join code").fill(code.lower())
    student.get_by_role("button", name="Join").click()
    expect(student).to_have_url(re.compile(f"/live/{code}/$"))
    expect(student.locator(".ladder .is-current")).to_have_attribute("data-label", "F2")
    expect(student.locator("#stepper .controls")).to_be_visible()
    expect(teacher.locator("#viewers")).to_have_text("1")

    teacher.keyboard.press("ArrowRight")
    expect(student.locator(".ladder .is-current")).to_have_attribute("data-label", "F3")
    expect(student.locator(".step-title .label")).to_have_text("F3")
    student_context.close()


def test_student_explores_alone_and_snaps_back(instructor_context, browser, served_library):
    teacher = instructor_context.new_page()
    teacher.goto(f"{served_library}/flows/call-park/")
    teacher.get_by_role("button", name="Start live walkthrough").click()
    code = teacher.locator(".join-code").inner_text()
    expect(teacher.locator("#stepper .controls")).to_be_visible()
    teacher.keyboard.press("ArrowRight")

    student_context = browser.new_context()
    student = student_context.new_page()
    student.goto(f"{served_library}/live/{code}/")
    expect(student.locator(".ladder .is-current")).to_have_attribute("data-label", "F1")
    student.get_by_role("button", name="Explore on my own").click()
    student.keyboard.press("ArrowRight")
    student.keyboard.press("ArrowRight")
    expect(student.locator(".ladder .is-current")).to_have_attribute("data-label", "F3")
    teacher.keyboard.press("ArrowRight")
    expect(teacher.locator(".ladder .is-current")).to_have_attribute("data-label", "F2")
    expect(student.locator(".ladder .is-current")).to_have_attribute("data-label", "F3")
    student.get_by_role("button", name="Back to the class").click()
    expect(student.locator(".ladder .is-current")).to_have_attribute("data-label", "F2")
    student_context.close()
