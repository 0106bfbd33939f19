from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from sipflows import services
from sipflows.models import LiveSession
from sipflows.services import JOIN_CODE_ALPHABET

pytestmark = pytest.mark.django_db


@pytest.fixture
def teacher(client):
    user = User.objects.create_user("teacher", password="a-long-test-password")
    user.groups.add(Group.objects.get(name="instructor"))
    return user


def test_instructor_starts_a_walkthrough_with_a_readable_code(client, sample_flow, teacher):
    client.force_login(teacher)
    response = client.post("/flows/sample-call/live/")
    session = LiveSession.objects.get()
    assert response.url == f"/live/{session.code}/present/"
    assert len(session.code) == 6 and set(session.code) <= set(JOIN_CODE_ALPHABET)
    assert not set(session.code) & set("0O1IL")


def test_only_instructors_see_the_start_button(client, sample_flow, teacher):
    assert "Start live walkthrough" not in client.get("/flows/sample-call/").content.decode()
    client.force_login(teacher)
    assert "Start live walkthrough" in client.get("/flows/sample-call/").content.decode()


def test_someone_outside_the_instructor_group_cannot_start_one(client, sample_flow):
    client.force_login(User.objects.create_user("student"))
    assert client.post("/flows/sample-call/live/").status_code == 403
    assert not LiveSession.objects.exists()


def test_signed_out_visitor_is_sent_to_sign_in(client, sample_flow):
    response = client.post("/flows/sample-call/live/")
    assert response.url.startswith("/accounts/login/")


def test_present_page_shows_code_link_qr_and_viewers(client, sample_flow, teacher):
    client.force_login(teacher)
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    page = client.get(f"/live/{session.code}/present/").content.decode()
    assert f'<strong class="join-code">{session.code}</strong>' in page
    assert f"http://testserver/live/{session.code}/" in page
    assert page.count("<svg") >= 3  # the QR code and the two halves of the ladder
    assert '<span id="viewers">0</span>' in page
    assert f'ws-connect="/ws/live/{session.code}/"' in page


def test_another_instructor_cannot_present_or_end_it(client, sample_flow, teacher):
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    other = User.objects.create_user("other")
    other.groups.add(Group.objects.get(name="instructor"))
    client.force_login(other)
    assert client.get(f"/live/{session.code}/present/").status_code == 403
    assert client.post(f"/live/{session.code}/end/").status_code == 403
    assert LiveSession.objects.get().is_live


def test_join_page_takes_the_code_in_any_case(client, sample_flow, teacher):
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    response = client.get("/live/", {"code": f" {session.code.lower()} "})
    assert response.url == f"/live/{session.code}/"


@pytest.mark.parametrize(
    "code, message",
    [("AB1", "is 6 letters and digits"), ("ABCDEF", "No live walkthrough is running")],
)
def test_join_page_explains_a_wrong_code(client, sample_flow, code, message):
    page = client.get("/live/", {"code": code}).content.decode()
    assert message in page


def test_student_page_starts_on_the_current_step(client, sample_flow, teacher):
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    services.live_session_move(code=session.code, to=lambda _: "M1")
    page = client.get(f"/live/{session.code}/").content.decode()
    assert 'data-current="M1"' in page
    assert "your screen follows the instructor" in page


def test_ending_a_walkthrough_marks_it_ended(client, sample_flow, teacher):
    client.force_login(teacher)
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    response = client.post(f"/live/{session.code}/end/")
    assert response.url == "/flows/sample-call/"
    assert not LiveSession.objects.get().is_live
    assert client.get("/live/", {"code": session.code}).status_code == 200


def test_a_move_to_where_the_class_already_is_changes_nothing(sample_flow, teacher):
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    assert services.live_session_move(code=session.code, to=lambda _: "F2").seq == 1
    assert services.live_session_move(code=session.code, to=lambda _: "F2") is None
    assert LiveSession.objects.get().seq == 1


def test_an_ended_walkthrough_does_not_move(sample_flow, teacher):
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    services.live_session_end(code=session.code)
    assert services.live_session_move(code=session.code, to=lambda _: "F2") is None
    assert LiveSession.objects.get().step_label == ""


def test_instructors_sign_in_and_come_back_to_the_flow(client, sample_flow, teacher):
    assert 'name="password"' in client.get("/accounts/login/").content.decode()
    response = client.post(
        "/accounts/login/",
        {"username": "teacher", "password": "a-long-test-password", "next": "/flows/sample-call/"},
    )
    assert response.url == "/flows/sample-call/"
    assert "Start live walkthrough" in client.get("/flows/sample-call/").content.decode()


def test_an_unknown_walkthrough_is_not_found(client, sample_flow):
    assert client.get("/live/ABCDEF/").status_code == 404


def test_wrong_join_codes_are_limited_per_client(client, sample_flow, teacher, settings):
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    for _ in range(settings.JOIN_ATTEMPTS):
        assert client.get("/live/", {"code": "ABCDEF"}).status_code == 200
    refused = client.get("/live/", {"code": session.code})
    assert refused.status_code == 429
    assert "Too many wrong codes" in refused.content.decode()
    assert client.get(f"/live/{session.code}/").status_code == 429


def test_unknown_codes_in_links_count_as_wrong_codes(client, sample_flow, settings):
    for _ in range(settings.JOIN_ATTEMPTS):
        assert client.get("/live/ABCDEF/").status_code == 404
    assert client.get("/live/", {"code": "ABCDEF"}).status_code == 429


def test_other_clients_may_still_join(client, sample_flow, teacher, settings):
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    for _ in range(settings.JOIN_ATTEMPTS):
        client.get("/live/ABCDEF/")
    other = client.get(f"/live/{session.code}/", REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def test_a_mistyped_code_is_not_counted(client, sample_flow, settings):
    for _ in range(settings.JOIN_ATTEMPTS + 1):
        client.get("/live/", {"code": "AB1"})
    assert client.get("/live/", {"code": "AB1"}).status_code == 200


def test_sign_in_is_locked_after_five_wrong_passwords(client, sample_flow, teacher):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "teacher", "password": "wrong"})
    response = client.post(
        "/accounts/login/", {"username": "teacher", "password": "a-long-test-password"}
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_walkthrough_idle_for_hours_ends(sample_flow, teacher, settings):
    idle = services.live_session_start(flow=sample_flow, owner=teacher)
    busy = services.live_session_start(flow=sample_flow, owner=teacher)
    LiveSession.objects.filter(pk=idle.pk).update(
        active_at=timezone.now() - settings.LIVE_SESSION_IDLE - timedelta(minutes=1)
    )
    assert services.live_sessions_end_idle() == 1
    assert not LiveSession.objects.get(pk=idle.pk).is_live
    assert LiveSession.objects.get(pk=busy.pk).is_live


def test_a_move_keeps_a_walkthrough_alive(sample_flow, teacher, settings):
    session = services.live_session_start(flow=sample_flow, owner=teacher)
    LiveSession.objects.filter(pk=session.pk).update(
        active_at=timezone.now() - settings.LIVE_SESSION_IDLE - timedelta(minutes=1)
    )
    services.live_session_move(code=session.code, to=lambda _: "F1")
    assert services.live_sessions_end_idle() == 0
