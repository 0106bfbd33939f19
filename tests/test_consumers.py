import asyncio
import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from hypothesis import given, settings
from hypothesis import strategies as st

from sipflows import selectors, services
from sipflows.asgi import application as full_application
from sipflows.consumers import MAX_FRAME_BYTES, BadAction, StepperBase, parse_action
from sipflows.hub import announce
from sipflows.models import LiveSession
from sipflows.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)
router = URLRouter(websocket_urlpatterns)


async def connect(path, user=None, headers=None, client=None):
    communicator = WebsocketCommunicator(router, path, headers=headers or [])
    communicator.scope["user"] = user or AnonymousUser()
    if client:
        communicator.scope["client"] = (client, 50000)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def act(communicator, action, **extra):
    await communicator.send_to(text_data=json.dumps({"action": action, **extra}))
    return await communicator.receive_from(timeout=5)


def current(frame):
    return frame.split('data-current="', 1)[1].split('"', 1)[0]


async def test_solo_next_prev_and_goto_answer_with_the_step_frame(sample_flow):
    solo = await connect("/ws/flows/sample-call/")
    frame = await act(solo, "next")
    assert current(frame) == "F1"
    assert 'id="step-panel"' in frame and "Alice invites Bob." in frame
    assert current(await act(solo, "goto", label="E1")) == "E1"
    assert current(await act(solo, "prev")) == "M1"
    assert 'data-url="/flows/sample-call/M1/"' in await act(solo, "goto", label="M1")
    await solo.disconnect()


async def test_solo_frames_follow_the_language_cookie(sample_flow):
    headers = [(b"cookie", b"django_language=zh-hans")]
    communicator = WebsocketCommunicator(
        full_application,
        "/ws/flows/sample-call/",
        headers=[*headers, (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
    )
    connected, _ = await communicator.connect()
    assert connected
    assert "Alice 邀请 Bob。" in await act(communicator, "goto", label="F1")
    await communicator.disconnect()


async def test_socket_from_another_site_is_refused(sample_flow):
    communicator = WebsocketCommunicator(
        full_application, "/ws/flows/sample-call/", headers=[(b"origin", b"http://evil.example")]
    )
    connected, _ = await communicator.connect()
    assert not connected


async def test_unknown_flow_closes_the_socket(sample_flow):
    communicator = WebsocketCommunicator(router, "/ws/flows/no-such-flow/")
    communicator.scope["user"] = AnonymousUser()
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4404


async def test_bad_frame_gets_a_clear_notice_and_moves_nothing(sample_flow):
    solo = await connect("/ws/flows/sample-call/")
    await act(solo, "goto", label="F2")
    await solo.send_to(text_data="not json")
    notice = await solo.receive_from()
    assert 'id="stepper-notice"' in notice and "must be JSON" in notice
    await solo.send_to(text_data=json.dumps({"action": "next", "pad": "x" * MAX_FRAME_BYTES}))
    assert "limited to" in await solo.receive_from()
    assert current(await act(solo, "next")) == "M1"
    await solo.disconnect()


async def output_until_quiet(communicator, quiet: float = 0.3) -> list[dict]:
    """Everything the consumer sends (frames, a close) until it is quiet for a while."""
    output = []
    while not await communicator.receive_nothing(timeout=quiet):
        output.append(await communicator.receive_output())
    return output


async def test_a_flood_is_slowed_to_the_rate_with_one_notice(sample_flow):
    solo = await connect("/ws/flows/sample-call/", client="192.0.2.20")
    for _ in range(30):
        await solo.send_to(text_data=json.dumps({"action": "speed", "speed": 2}))
    frames = [o.get("text", "") for o in await output_until_quiet(solo, quiet=1)]
    assert sum("Too many actions" in f for f in frames) == 1
    assert sum('data-action="play"' in f for f in frames) == 30  # late, but every one
    await solo.disconnect()


def test_a_token_bucket_borrows_and_says_how_long_to_wait():
    from sipflows.consumers import RateLimiter

    bucket = RateLimiter(rate=10, burst=2)
    assert [bucket.reserve() for _ in range(2)] == [0.0, 0.0]
    assert 0.09 < bucket.reserve() <= 0.1
    assert 0.19 < bucket.reserve() <= 0.2


async def test_play_is_announced_on_the_play_button(sample_flow):
    solo = await connect("/ws/flows/sample-call/")
    assert 'data-action="pause"' in await act(solo, "play")
    assert 'data-action="play"' in await act(solo, "pause")
    await solo.disconnect()


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"action": "dance"}', "Unknown action"),
        ('{"action": "goto", "label": "<script>"}', "label of a step"),
        ('{"action": "speed", "speed": 100}', "Speed must be one of"),
        ("[1, 2]", "Unknown action"),
        ('{"action": []}', "Unknown action"),
        ('{"action": {"a": 1}}', "Unknown action"),
        ('{"action": "speed", "speed": 1e999}', "Speed must be one of"),
        ('{"action": "speed", "speed": ' + "9" * 400 + "}", "Speed must be one of"),
        ('{"action": "speed", "speed": [2]}', "Speed must be one of"),
        ('{"action": "goto", "label": ["F1"]}', "label of a step"),
        ("[" * 5000 + "]" * 5000, "limited to"),
        ("[" * 500 + "]" * 500, "Unknown action"),
        ('"next"', "Unknown action"),
        ("null", "Unknown action"),
    ],
)
def test_actions_are_checked_before_anything_moves(text, message):
    with pytest.raises(BadAction, match=message):
        parse_action(text)


@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
        lambda c: st.lists(c) | st.dictionaries(st.text(), c),
        max_leaves=8,
    )
)
@settings(max_examples=100, deadline=None, database=None)
def test_frames_of_any_shape_are_an_action_or_a_notice(value):
    for frame in (
        json.dumps(value),
        json.dumps({"action": value}),
        json.dumps({"action": "speed", "speed": value}),
        json.dumps({"action": "goto", "label": value}),
    ):
        try:
            parse_action(frame)
        except BadAction:
            pass


async def test_a_frame_of_the_wrong_shape_gets_a_notice_and_the_socket_lives_on(session):
    student = await connect(f"/ws/live/{session.code}/")
    await student.receive_from()
    await student.send_to(text_data='{"action": []}')
    assert "Unknown action" in await student.receive_from()
    await student.send_to(bytes_data=b"\x00\xff")
    assert "must be JSON" in await student.receive_from()
    await student.send_to(text_data='{"action": "explore"}')
    await student.send_to(text_data='{"action": "next"}')
    assert current(await student.receive_from()) == "F1"
    await student.disconnect()


async def test_an_unknown_socket_path_is_closed_cleanly(sample_flow):
    communicator = WebsocketCommunicator(
        full_application,
        "/ws/nothing/here/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
    )
    connected, code = await communicator.connect()
    assert (connected, code) == (False, 4404)


async def open_from(client: str, path: str = "/ws/flows/sample-call/"):
    """A socket through the whole application (all its middleware), from `client`."""
    communicator = WebsocketCommunicator(
        full_application,
        path,
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")],
    )
    communicator.scope["client"] = (client, 50000)
    return communicator, await communicator.connect()


async def test_sockets_per_client_are_limited(sample_flow, settings, monkeypatch):
    from sipflows import consumers

    monkeypatch.setattr(consumers, "REFUSAL_DELAY", 0)
    settings.SOCKETS_PER_CLIENT = 3
    opened = [await open_from("192.0.2.9") for _ in range(3)]
    assert [connected for _, (connected, _) in opened] == [True] * 3
    refused, answer = await open_from("192.0.2.9")
    assert answer == (False, 4429)
    other, (connected, _) = await open_from("192.0.2.10")
    assert connected
    await opened[0][0].disconnect()
    again, (connected, _) = await open_from("192.0.2.9")
    assert connected
    for communicator in (*[c for c, _ in opened[1:]], other, again):
        await communicator.disconnect()


async def test_renders_beyond_the_budget_get_a_busy_notice(sample_flow, monkeypatch):
    from sipflows import consumers

    monkeypatch.setattr(consumers, "_renders", consumers.RateLimiter(rate=0.001, burst=2))
    solo = await connect("/ws/flows/sample-call/")
    assert current(await act(solo, "next")) == "F1"
    assert current(await act(solo, "next")) == "F2"
    assert "The server is busy" in await act(solo, "next")
    await solo.disconnect()


async def test_unknown_join_codes_over_sockets_count_as_wrong_codes(session, settings):
    for _ in range(settings.JOIN_ATTEMPTS):
        refused = WebsocketCommunicator(router, "/ws/live/ZZZZZZ/")
        refused.scope["user"] = AnonymousUser()
        assert await refused.connect() == (False, 4404)
    blocked = WebsocketCommunicator(router, f"/ws/live/{session.code}/")
    blocked.scope["user"] = AnonymousUser()
    assert await blocked.connect() == (False, 4429)


async def test_instructor_drives_and_students_follow(session, teacher):
    student = await connect(f"/ws/live/{session.code}/")
    assert current(await student.receive_from()) == ""
    instructor = await connect(f"/ws/live/{session.code}/", user=teacher)
    await instructor.receive_from()  # its own catch-up frame
    await instructor.send_to(text_data=json.dumps({"action": "next"}))
    frame = await student.receive_from(timeout=5)
    assert current(frame) == "F1"
    assert 'data-seq="1"' in frame and "data-url" not in frame
    await student.disconnect()
    await instructor.disconnect()


async def shown_presence(instructor, watching: int) -> str:
    """The instructor's presence line once it counts `watching` students."""
    while True:
        frame = await instructor.receive_from(timeout=5)
        if f'<span id="viewers">{watching}</span>' in frame:
            return frame


async def test_instructor_sees_how_many_students_watch(session, teacher):
    instructor = await connect(f"/ws/live/{session.code}/", user=teacher)
    student = await connect(f"/ws/live/{session.code}/")
    assert 'id="presence"' in await shown_presence(instructor, 1)
    await student.disconnect()
    await shown_presence(instructor, 0)
    await instructor.disconnect()


async def test_exploring_students_are_counted_apart(session, teacher):
    instructor = await connect(f"/ws/live/{session.code}/", user=teacher)
    student = await connect(f"/ws/live/{session.code}/")
    await student.receive_from()
    await student.send_to(text_data=json.dumps({"action": "explore"}))
    assert "(1 exploring on their own)" in await shown_presence(instructor, 1)
    await student.disconnect()
    await instructor.disconnect()


async def test_a_student_whose_consumer_crashes_is_no_longer_counted(session, teacher):
    from sipflows.consumers import LiveConsumer

    instructor = await connect(f"/ws/live/{session.code}/", user=teacher)
    student = await connect(f"/ws/live/{session.code}/")
    await shown_presence(instructor, 1)
    original = LiveConsumer.websocket_receive

    async def crash(self, message):
        raise RuntimeError("a bug")

    LiveConsumer.websocket_receive = crash
    try:
        await student.send_to(text_data="{}")
        await shown_presence(instructor, 0)
    finally:
        LiveConsumer.websocket_receive = original
    await instructor.disconnect()


async def test_student_actions_never_move_the_session(session):
    student = await connect(f"/ws/live/{session.code}/")
    await student.receive_from()
    for action in ("next", "goto", "play", "speed"):
        await student.send_to(text_data=json.dumps({"action": action, "label": "F2", "speed": 2}))
    assert await student.receive_nothing(timeout=0.3)
    refreshed = await database_sync_to_async(LiveSession.objects.get)(pk=session.pk)
    assert (refreshed.step_label, refreshed.seq) == ("", 0)
    await student.disconnect()


async def test_late_student_gets_the_current_step_first(session):
    await database_sync_to_async(services.live_session_move)(code=session.code, to=lambda _: "F2")
    late = await connect(f"/ws/live/{session.code}/")
    frame = await late.receive_from()
    assert current(frame) == "F2"
    assert 'data-seq="1"' in frame
    await late.disconnect()


async def test_exploring_student_steps_alone_and_comes_back(session, teacher):
    student = await connect(f"/ws/live/{session.code}/")
    await student.receive_from()
    await student.send_to(text_data=json.dumps({"action": "explore"}))
    assert current(await act(student, "next")) == "F1"
    instructor = await connect(f"/ws/live/{session.code}/", user=teacher)
    await instructor.send_to(text_data=json.dumps({"action": "goto", "label": "M1"}))
    assert await student.receive_nothing(timeout=0.3)
    assert current(await act(student, "follow")) == "M1"
    await student.disconnect()
    await instructor.disconnect()


async def test_students_see_that_the_session_ended(session):
    student = await connect(f"/ws/live/{session.code}/")
    await student.receive_from()
    ended = await database_sync_to_async(services.live_session_end)(code=session.code)
    await announce(ended)
    frame = await student.receive_from(timeout=5)
    assert "data-ended" in frame and "has ended" in frame
    await student.disconnect()


class FakeSocket:
    """An ASGI send that can stall, as a socket with a full buffer does."""

    def __init__(self):
        self.sent = []
        self.open = asyncio.Event()
        self.open.set()

    async def __call__(self, message):
        await self.open.wait()
        if message["type"] == "websocket.send":
            self.sent.append(message["text"])


async def follower_on(socket):
    follower = StepperBase()
    follower.scope = {"headers": []}
    await follower.connect()
    follower.base_send = socket
    await follower.accept()
    return follower


async def test_a_stalled_socket_holds_up_nobody_else():
    fast_socket, slow_socket = FakeSocket(), FakeSocket()
    fast, slow = await follower_on(fast_socket), await follower_on(slow_socket)
    slow_socket.open.clear()
    for seq, text in ((1, "one"), (2, "two"), (3, "three")):
        slow.deliver(seq, text)
        fast.deliver(seq, text)
    assert fast_socket.sent == ["one", "two", "three"]  # written at once, in the same loop
    assert slow_socket.sent == []
    slow_socket.open.set()
    await asyncio.sleep(0.01)
    # The stalled send finishes, then only the newest state is left to write.
    assert slow_socket.sent == ["one", "three"]
    await fast.release()
    await slow.release()


async def test_older_states_never_overtake_newer_ones():
    socket = FakeSocket()
    follower = await follower_on(socket)
    follower.deliver(5, "five")
    follower.deliver(4, "four")
    follower.deliver(None, "notice")
    assert socket.sent == ["five", "notice"]
    await follower.release()


async def test_students_of_an_ended_session_are_not_counted(session):
    ended = await database_sync_to_async(services.live_session_end)(code=session.code)
    late = await connect(f"/ws/live/{session.code}/")
    assert "has ended" in await late.receive_from()
    await late.disconnect()
    presence = await database_sync_to_async(selectors.live_presence)(code=ended.code)
    assert presence == selectors.Presence(watching=0, exploring=0)
