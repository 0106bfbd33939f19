"""Live walkthroughs are pinned to a revision and a step label; solo steppers follow saves."""

import json

import pytest
from bs4 import BeautifulSoup
from channels.db import database_sync_to_async

from sipflows import services
from sipflows.models import LiveSession
from tests.conftest import save_edit
from tests.test_consumers import act, connect, current

pytestmark = pytest.mark.django_db(transaction=True)

NEW_FIRST_STEP = {"label": "F0", "kind": "event", "text": {"en": "Alice lifts the handset"}}


def insert_before_f1(document):
    document["steps"].insert(0, NEW_FIRST_STEP)


def soup(frame):
    return BeautifulSoup(frame, "html.parser")


async def receive_offer(instructor):
    """The instructor's next frame offering to update the class (viewer counts may come first)."""
    while True:
        frame = soup(await instructor.receive_from())
        if frame.select_one("#newer-version"):
            return frame


async def on_f2(session, teacher):
    """The instructor's socket, once the class is on F2 (other frames may come first)."""
    instructor = await connect(f"/ws/live/{session.code}/", user=teacher)
    await instructor.receive_from()  # the current state, first
    frame = await act(instructor, "goto", label="F2")
    while 'data-current="F2"' not in frame:
        frame = await instructor.receive_from()
    return instructor


async def test_a_save_never_moves_a_class_and_the_instructor_is_offered_an_update(
    session, teacher, sample_flow
):
    instructor = await on_f2(session, teacher)
    student = await connect(f"/ws/live/{session.code}/")
    assert current(await student.receive_from()) == "F2"
    await database_sync_to_async(save_edit)(sample_flow, insert_before_f1)
    offer = await receive_offer(instructor)
    assert offer.select_one("#newer-version button[data-action=update]")
    assert await student.receive_nothing(timeout=0.3)
    late = await connect(f"/ws/live/{session.code}/")
    frame = soup(await late.receive_from())
    assert frame.select_one("#ladder-cursor")["data-current"] == "F2"
    assert "F0" not in [a["data-label"] for a in frame.select(".ladder-body a.step")]
    refreshed = await database_sync_to_async(LiveSession.objects.select_related("revision").get)(
        pk=session.pk
    )
    assert refreshed.step_label == "F2" and refreshed.revision.number == 1
    for communicator in (instructor, student, late):
        await communicator.disconnect()


async def test_updating_the_class_keeps_its_step_and_draws_the_new_ladder(
    session, teacher, sample_flow
):
    instructor = await on_f2(session, teacher)
    student = await connect(f"/ws/live/{session.code}/")
    await student.receive_from()
    await database_sync_to_async(save_edit)(sample_flow, insert_before_f1)
    await receive_offer(instructor)
    await instructor.send_to(text_data=json.dumps({"action": "update"}))
    frame = soup(await student.receive_from())
    assert frame.select_one("#ladder-cursor")["data-current"] == "F2"
    assert [a["data-label"] for a in frame.select(".ladder-body a.step")][0] == "F0"
    refreshed = await database_sync_to_async(LiveSession.objects.select_related("revision").get)(
        pk=session.pk
    )
    assert refreshed.revision.number == 2
    await instructor.disconnect()
    await student.disconnect()


async def test_a_class_on_a_step_that_is_gone_goes_to_the_nearest_earlier_one(
    session, teacher, sample_flow
):
    instructor = await on_f2(session, teacher)

    def drop_f2(document):
        document["steps"].pop(1)
        document["notes"].pop(0)  # the note on F2 goes with it

    await database_sync_to_async(save_edit)(sample_flow, drop_f2)
    await receive_offer(instructor)
    updated = await database_sync_to_async(services.live_session_update)(
        code=session.code, follow=_class_step
    )
    assert updated.step_label == "F1"
    await instructor.disconnect()


def _class_step(session, newest):
    from sipflows.frames import class_step_after_update

    return class_step_after_update(session, newest)


def test_the_present_page_offers_the_update_without_javascript(client, session, teacher):
    save_edit(session.flow, insert_before_f1)
    client.force_login(teacher)
    page = BeautifulSoup(client.get(f"/live/{session.code}/present/").content, "html.parser")
    form = page.select_one("#newer-version form")
    assert form["action"] == f"/live/{session.code}/update/"
    response = client.post(form["action"], {"csrfmiddlewaretoken": "x"})
    assert response.status_code == 302
    assert LiveSession.objects.get().revision.number == 2


def test_a_student_page_shows_the_sessions_revision(client, session, sample_flow):
    save_edit(sample_flow, lambda d: d["steps"][0].update(annotation={"en": "New words."}))
    services.live_session_move(code=session.code, to=lambda _: "F1")
    page = client.get(f"/live/{session.code}/").content.decode()
    assert "Alice invites Bob." in page and "New words." not in page


async def test_a_solo_stepper_shows_a_save_in_its_very_next_frame(sample_flow):
    solo = await connect("/ws/flows/sample-call/")
    assert "Alice invites Bob." in await act(solo, "goto", label="F1")
    await database_sync_to_async(save_edit)(
        sample_flow, lambda d: d["steps"][1].update(annotation={"en": "Bob says yes."})
    )
    frame = soup(await act(solo, "next"))
    assert frame.select_one("#ladder-cursor")["data-current"] == "F2"
    assert "Bob says yes." in frame.select_one("#annotation").get_text()
    assert frame.select_one("#ladder-panel")  # the ladder of the new revision comes along
    await solo.disconnect()


async def test_a_solo_stepper_on_a_past_revision_stays_on_it(sample_flow):
    await database_sync_to_async(save_edit)(sample_flow, insert_before_f1)
    past = await connect("/ws/flows/sample-call/history/1/")
    frame = soup(await act(past, "next"))
    assert frame.select_one("#ladder-cursor")["data-current"] == "F1"
    await past.disconnect()


async def test_a_playing_solo_stepper_shows_a_save_in_its_next_step(sample_flow):
    solo = await connect("/ws/flows/sample-call/")
    await act(solo, "goto", label="F1")
    await act(solo, "speed", speed=3)
    await database_sync_to_async(save_edit)(
        sample_flow, lambda d: d["steps"][1].update(annotation={"en": "Bob says yes."})
    )
    await solo.send_to(text_data=json.dumps({"action": "play"}))
    frame = soup(await solo.receive_from())  # the play button, then the next step
    while not frame.select_one("#annotation"):
        frame = soup(await solo.receive_from(timeout=5))
    assert frame.select_one("#ladder-cursor")["data-current"] == "F2"
    assert "Bob says yes." in frame.select_one("#annotation").get_text()
    await solo.disconnect()
