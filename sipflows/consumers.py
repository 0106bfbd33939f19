"""Websocket stepper: solo stepping (with Play timed here) and live walkthroughs.

Clients send small JSON actions; the server answers with HTML frames whose top-level elements
carry ids and are swapped in place by the htmx ws extension (see templates/sipflows/flow.html).
"""

import asyncio
import json
import logging
import re
import time
from collections import Counter, deque
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header

from . import hub, selectors, services, throttle
from .drawn import DrawnFlow, follow_label
from .frames import (
    class_step_after_update,
    drawn_revision,
    drawn_revision_by_id,
    render_frame,
    revision_url,
)

ACTIONS = {"next", "prev", "goto", "play", "pause", "speed", "explore", "follow", "update"}
SPEEDS = (0.5, 1.0, 1.5, 2.0, 3.0)
PLAY_INTERVAL = 2.5  # seconds per step at speed 1
MAX_FRAME_BYTES = 1024
RATE = 10  # actions per second, sustained
BURST = 20
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$")
NOTICE_INTERVAL = 1.0  # seconds between two "slow down" notices to one connection

log = logging.getLogger(__name__)


class BadAction(ValueError):
    """A frame the stepper cannot act on; str() is the message the sender sees."""


@dataclass(frozen=True)
class Action:
    name: str
    label: str | None = None
    speed: float = 1.0


def parse_action(text: str) -> Action:
    if len(text.encode()) > MAX_FRAME_BYTES:
        raise BadAction(f"Messages are limited to {MAX_FRAME_BYTES} bytes.")
    try:
        data = json.loads(text)
    except ValueError:
        raise BadAction('Messages must be JSON objects such as {"action": "next"}.') from None
    if not isinstance(data, dict) or not isinstance(data.get("action"), str):
        raise BadAction(f"Unknown action; use one of {', '.join(sorted(ACTIONS))}.")
    if data["action"] not in ACTIONS:
        raise BadAction(f"Unknown action; use one of {', '.join(sorted(ACTIONS))}.")
    name, label, speed = data["action"], data.get("label"), data.get("speed", 1.0)
    if (
        name == "goto"
        and label is not None
        and not (isinstance(label, str) and LABEL_RE.match(label))
    ):
        raise BadAction("goto needs the label of a step, such as F7.")
    if name == "speed":
        try:
            speed = float(speed)
        except (TypeError, ValueError, OverflowError):
            speed = None
        if speed not in SPEEDS:
            raise BadAction(f"Speed must be one of {', '.join(str(s) for s in SPEEDS)}.")
    return Action(name=name, label=label if name == "goto" else None, speed=speed)


def move_target(label: str, action: Action, labels: list[str]) -> str:
    """Where next/prev/goto lead from the step `label` ("" is the overview, before the first)."""
    index = labels.index(label) if label in labels else None
    if action.name == "next":
        return labels[0 if index is None else min(index + 1, len(labels) - 1)]
    if action.name == "prev":
        return labels[index - 1] if index else ""
    if action.label is None:
        return ""
    return action.label if action.label in labels else label


class RateLimiter:
    """A token bucket: BURST actions at once, RATE per second after that."""

    def __init__(self, rate: float = RATE, burst: int = BURST):
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = float(burst), time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def allow(self) -> bool:
        """Take a token if there is one."""
        self._refill()
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def reserve(self) -> float:
        """Take a token, borrowing it if need be: the seconds to wait until it is there."""
        self._refill()
        self.tokens -= 1
        return -self.tokens / self.rate if self.tokens < 0 else 0.0


def client_address(scope) -> str:
    """The address a socket comes from (uvicorn's --proxy-headers puts the client's there)."""
    client = scope.get("client") or ("",)
    return str(client[0])


# Open sockets by client address, in this process, and the actions all of them may send.
_sockets: Counter[str] = Counter()
_client_actions: dict[str, RateLimiter] = {}
REFUSAL_DELAY = 1.0  # seconds a refused socket waits for its answer: retrying costs time


class SocketsPerClient:
    """ASGI middleware in front of every socket: a client address holds at most
    settings.SOCKETS_PER_CLIENT of them; more are refused (4429) before anything else runs,
    so a client opening sockets in a loop costs little more than the handshakes."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        client = client_address(scope)
        if _sockets[client] >= settings.SOCKETS_PER_CLIENT:
            await receive()  # websocket.connect
            await asyncio.sleep(REFUSAL_DELAY)
            return await send({"type": "websocket.close", "code": 4429})
        _sockets[client] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            _sockets[client] -= 1
            if _sockets[client] <= 0:
                del _sockets[client]
                _client_actions.pop(client, None)


def client_budget(client: str) -> RateLimiter:
    """What all sockets of one client address may send, together."""
    if client not in _client_actions:
        _client_actions[client] = RateLimiter(
            rate=settings.CLIENT_ACTIONS_PER_SECOND, burst=2 * BURST
        )
    return _client_actions[client]


# Frames rendered for solo stepping and exploring, in this process: a budget that flooding
# sockets cannot push past, so the class's own fan-out keeps its share of the processor.
_renders = RateLimiter(rate=settings.RENDERS_PER_SECOND, burst=settings.RENDERS_PER_SECOND)


def scope_language(scope) -> str:
    """The reader's language: the language cookie, else Accept-Language, else the default."""
    supported = {code for code, _ in settings.LANGUAGES}
    cookie = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME)
    if cookie in supported:
        return cookie
    headers = dict(scope.get("headers", []))
    for accepted, _ in parse_accept_lang_header(headers.get(b"accept-language", b"").decode()):
        try:
            return translation.get_supported_language_variant(accepted)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class StepperBase(AsyncWebsocketConsumer):
    """Steps through a flow for one connection; subclasses decide who may move what."""

    # The consumers read nothing from the channel layer (live walkthroughs reach them
    # through their hub), so a layer outage cannot end their connections.
    channel_layer_alias = None
    flow: DrawnFlow
    label = ""  # the step this connection shows; "" is the overview
    redrawn = False  # the flow was drawn anew (another revision) since the last frame
    playing = False
    speed = 1.0
    noticed_at = 0.0
    player: asyncio.Task | None = None
    writer: asyncio.Task | None = None
    stalled: tuple | None = None  # a send that had to wait, and what it waits on

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:  # however the connection ends, even by a crash
            await self.release()

    async def release(self) -> None:
        """Give back what this connection holds, however it ends (a crash included)."""
        self._stop_playing()
        if self.writer:
            self.writer.cancel()
        if self.stalled:
            self.stalled[0].close()

    async def connect(self):
        self.language = scope_language(self.scope)
        self.limiter = RateLimiter()
        self.last_seq = -1
        self.outbox: deque[tuple[int | None, str]] = deque()
        self.outbox_ready = asyncio.Event()
        self.client = client_address(self.scope)
        self.client_actions = client_budget(self.client)

    async def accept(self, subprotocol=None, headers=None):
        await super().accept(subprotocol, headers)
        self.writer = asyncio.create_task(self._write())

    async def receive(self, text_data=None, bytes_data=None):
        wait = max(self.limiter.reserve(), self.client_actions.reserve())
        if wait:
            # The socket is not read while this waits, so a flood holds up only its sender,
            # and costs the server nothing until the frame's turn comes.
            self.slow_down("Too many actions: slow down a little.")
            await asyncio.sleep(wait)
        try:
            action = parse_action(text_data or "")
        except BadAction as error:
            return self.notice(str(error))
        try:
            await self.act(action)
        except Exception:  # a bug must cost one action its answer, not the connection
            log.exception("could not act on %r", action)
            self.notice("Something went wrong with that action; try again.")

    async def act(self, action: Action) -> None:
        raise NotImplementedError

    async def step(self, action: Action) -> None:
        """Move this connection's own position (solo stepping or exploring)."""
        if not _renders.allow():
            return self.slow_down("The server is busy: try that again in a moment.")
        self.label = move_target(self.label, action, self.flow.labels)
        self.deliver(None, await self.frame(self.label, with_ladder=self.redrawn))
        self.redrawn = False

    async def control_play(self, action: Action, advance) -> None:
        """Play, pause and speed, with `advance` called once per tick while playing."""
        if action.name == "speed":
            self.speed = action.speed
        elif action.name == "play" and not self.playing:
            self.playing = True
            self.player = asyncio.create_task(self._play(advance))
        elif action.name == "pause":
            self._stop_playing()
        self.deliver(None, self.play_button())

    async def _play(self, advance) -> None:
        while self.playing:
            await asyncio.sleep(PLAY_INTERVAL / self.speed)
            if not await advance():
                self.playing = False
                self.deliver(None, self.play_button())

    def _stop_playing(self) -> None:
        self.playing = False
        if self.player:
            self.player.cancel()
            self.player = None

    async def frame(self, label: str, **extra) -> str:
        return await database_sync_to_async(render_frame)(
            self.flow, self.flow.index(label), language=self.language, **extra
        )

    def play_button(self) -> str:
        return self.partial("play-button", playing=self.playing)

    def notice(self, text: str) -> None:
        self.deliver(None, self.partial("stepper-notice", notice=text))

    def slow_down(self, text: str) -> None:
        """A notice that a flood would repeat with every frame: at most one a second."""
        now = time.monotonic()
        if now - self.noticed_at >= NOTICE_INTERVAL:
            self.noticed_at = now
            self.notice(text)

    def partial(self, name: str, **context) -> str:
        """One of the stepper's small partials, in this reader's language."""
        with translation.override(self.language):
            return render_to_string(f"sipflows/flow.html#{name}", context)

    def deliver(self, seq: int | None, text: str) -> None:
        """Send a frame now if the socket takes it at once, else queue it; never wait here.

        A frame with a seq (a live session's state) is dropped if a newer one was sent or
        queued already, and drops queued older ones: a slow or stalled socket falls behind
        alone, with only the newest state waiting for it, and never holds up a broadcast.
        """
        if seq is not None:
            if seq <= self.last_seq:
                return
            self.last_seq = seq
            self.outbox = deque(item for item in self.outbox if item[0] is None)
        if self.outbox or self.stalled:
            self.outbox.append((seq, text))
            self.outbox_ready.set()
            return
        # Run the send up to its first wait: a writable socket takes the frame without one,
        # as fast as a bare broadcast; a full one is finished later by this socket's writer.
        attempt = self.base_send({"type": "websocket.send", "text": text})
        try:
            waiting_on = attempt.send(None)
        except StopIteration:
            return
        except Exception:  # the socket is gone; disconnect() cleans up
            return
        self.stalled = (attempt, waiting_on)
        self.outbox_ready.set()

    async def _write(self) -> None:
        """Finish a stalled send, then write what queued up behind it, in order."""
        try:
            while True:
                await self.outbox_ready.wait()
                self.outbox_ready.clear()
                if self.stalled:
                    await _finish(*self.stalled)
                    self.stalled = None
                while self.outbox:
                    _, text = self.outbox.popleft()
                    await self.base_send({"type": "websocket.send", "text": text})
        except Exception:  # the socket is gone; disconnect() cleans up
            return


async def _finish(attempt, waiting_on) -> None:
    """Drive a coroutine that stopped at an await (as a Task would) until it returns."""
    try:
        while True:
            if isinstance(waiting_on, asyncio.Future):
                waiting_on._asyncio_future_blocking = False
                await asyncio.wait([waiting_on])
            else:  # a bare yield, as in asyncio.sleep(0)
                await asyncio.sleep(0)
            waiting_on = attempt.send(None)
    except StopIteration:
        return
    finally:
        attempt.close()


class StepperConsumer(StepperBase):
    """A learner alone with a flow: every action moves only this connection.

    On the flow's own pages it shows the current revision, and a save shows in the very next
    frame; on a past revision's pages it stays on that revision.
    """

    async def connect(self):
        await super().connect()
        kwargs = self.scope["url_route"]["kwargs"]
        self.slug, self.number = kwargs["slug"], kwargs.get("number")
        revision = await database_sync_to_async(selectors.revision_find)(
            slug=self.slug, number=self.number
        )
        if revision is None:
            return await self.close(code=4404)
        self.flow = await database_sync_to_async(self._draw)(revision)
        self.revision_pk = revision.pk
        await self.accept()

    def _draw(self, revision) -> DrawnFlow:
        return drawn_revision(revision, base_url=revision_url(revision, current=not self.number))

    async def act(self, action: Action) -> None:
        if action.name in ("play", "pause", "speed"):
            await self.control_play(action, self._advance)
        elif action.name in ("next", "prev", "goto"):
            await self._follow_saves()
            await self.step(action)

    async def _follow_saves(self) -> None:
        """Draw the flow's newest revision if one was saved since the last frame."""
        if self.number is not None:
            return
        # One small query on every step; the revision (its whole document) only when it changed.
        current = await database_sync_to_async(selectors.revision_current_pk)(slug=self.slug)
        if current is None or current == self.revision_pk:
            return
        revision = await database_sync_to_async(selectors.revision_by_id)(pk=current)
        newest = await database_sync_to_async(self._draw)(revision)
        self.label, self.flow = follow_label(self.flow, newest, self.label), newest
        self.revision_pk, self.redrawn = revision.pk, True

    async def _advance(self) -> bool:
        await self._follow_saves()  # Play shows a save in its next frame too
        labels = self.flow.labels
        if self.label in labels and labels.index(self.label) + 1 >= len(labels):
            return False
        await self.step(Action("next"))
        return True


class LiveConsumer(StepperBase):
    """A live walkthrough: the owner moves the class; students follow, or explore alone."""

    following = True
    is_owner = False
    counted = False
    hub: "hub.SessionHub | None" = None

    async def connect(self):
        await super().connect()
        self.code = self.scope["url_route"]["kwargs"]["code"]
        client = self.client
        if await sync_to_async(throttle.join_refused)(client=client):
            return await self.close(code=4429)
        await database_sync_to_async(services.live_sessions_end_idle)()
        session = await database_sync_to_async(selectors.live_session_find)(code=self.code)
        if session is None:
            await sync_to_async(throttle.join_failed)(client=client)
            return await self.close(code=4404)
        user = self.scope.get("user")
        self.is_owner = bool(user and user.is_authenticated and user.pk == session.owner_id)
        self.counted = not self.is_owner and session.is_live  # a student, to count
        await self.accept()
        self.hub = await hub.join(self.code, self)
        await self.catch_up()

    async def release(self) -> None:
        await super().release()
        if self.hub is not None:
            self.hub = None
            await hub.leave(self.code, self)

    async def catch_up(self) -> None:
        """Send the session's current state: on connect, and on coming back to the class."""
        session = await database_sync_to_async(selectors.live_session_find)(code=self.code)
        text = await self.hub.render(
            session.revision_id,
            session.step_label,
            language=self.language,
            seq=session.seq,
            ended=not session.is_live,
            with_ladder=True,  # the page may have been drawn from an older revision
        )
        self.deliver(session.seq, text)

    async def act(self, action: Action) -> None:
        if self.is_owner:
            await self._lead(action)
        elif action.name == "explore":
            session = await database_sync_to_async(selectors.live_session_find)(code=self.code)
            # The page shows the class's revision already (every class frame keeps it so).
            self.flow = await database_sync_to_async(drawn_revision_by_id)(session.revision_id)
            self.following, self.label = False, session.step_label
            self.hub.presence_changed()
        elif action.name == "follow":
            self.following = True
            self.last_seq = -1
            self.hub.presence_changed()
            await self.catch_up()
        elif not self.following and action.name in ("next", "prev", "goto"):
            await self.step(action)
        # Anything else from a student is ignored: only the owner moves the class.

    async def _lead(self, action: Action) -> None:
        if action.name in ("play", "pause", "speed"):
            await self.control_play(action, self._advance)
        elif action.name in ("next", "prev", "goto"):
            await self._move(action)
        elif action.name == "update":
            await self._update_class()

    async def _update_class(self) -> None:
        """Move the class to the flow's newest revision (see services.live_session_update)."""
        updated = await database_sync_to_async(services.live_session_update)(
            code=self.code, follow=class_step_after_update
        )
        if updated is not None:
            await self._announce(updated)

    async def _move(self, action: Action) -> bool:
        moved = await database_sync_to_async(services.live_session_move)(
            code=self.code, to=lambda session: _class_target(session, action)
        )
        if moved is None:
            return False
        await self._announce(moved)
        return True

    async def _announce(self, session) -> None:
        if not await hub.announce(session):
            # The class on this process sees the move at once; the others as their hubs beat.
            self.hub.layer_failed()
            await self.hub.resync()

    async def _advance(self) -> bool:
        return await self._move(Action("next"))


def _class_target(session, action: Action) -> str:
    """Where an instructor's action takes the class, on the revision it is pinned to."""
    labels = drawn_revision_by_id(session.revision_id).labels
    return move_target(session.step_label, action, labels)


class UnknownPath(AsyncWebsocketConsumer):
    """A socket to a path that is no stepper: refused with 4404, like an unknown flow."""

    channel_layer_alias = None

    async def connect(self):
        await self.close(code=4404)
