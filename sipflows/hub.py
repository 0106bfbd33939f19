"""Fan-out of live walkthroughs, once per process.

A naive fan-out sends one channel-layer message to every follower's consumer, and each renders
its own frame. Here each process holds one hub per live session: the hub is the only member of
the session's group on this process, so a step costs one layer message per process, one render
per language, and then the same text written to every local follower.

The database, not the channel layer, is the truth. Every BEAT_SECONDS a hub writes how many
students it holds (LivePresence), reads the session and fans out a state its followers have
not seen, and adds itself to the group again. So a lost layer message, a Redis restart (which
forgets groups) or a dead process costs followers a few seconds, never the class: the hub's
listener catches the layer's errors and resubscribes with backoff, and meanwhile tells the
instructor that the class connection is being restored.
"""

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from typing import Protocol

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.template.loader import render_to_string
from django.utils import translation

from . import selectors, services
from .frames import drawn_revision_by_id, render_frame
from .models import LiveSession

BEAT_SECONDS = 2.0
# Joins, leaves and explores in one burst are written (and told) once.
PRESENCE_DELAY = 0.2
RETRY_SECONDS = (0.1, 0.2, 0.5, 1.0, 2.0)  # waits before each resubscription, then the last
LAYER_TIMEOUT = 3.0  # a layer call that takes longer counts as failed
# Names this process's presence rows: unique across machines, and across restarts of one.
PROCESS = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

log = logging.getLogger(__name__)


class Member(Protocol):
    """What a hub needs of a connected consumer."""

    language: str
    following: bool
    is_owner: bool
    counted: bool  # a student of the class (not the instructor, not after the end)

    def deliver(self, seq: int | None, text: str) -> None:
        """Send `text` without waiting on the socket, unless a newer state (seq) went first."""


def group_name(code: str) -> str:
    return f"live.{code}"


def state_event(session: LiveSession) -> dict:
    """The group event for a move: ids and labels only; each process renders for itself."""
    return {
        "type": "live.state",
        "seq": session.seq,
        "revision": session.revision_id,
        "label": session.step_label,
        "ended": not session.is_live,
    }


async def _group_send(code: str, event: dict) -> bool:
    """Send to the session's group; False if the layer is unreachable. The hubs find what
    they missed in the database as they beat, so a failed send delays and loses nothing."""
    try:
        await asyncio.wait_for(
            get_channel_layer().group_send(group_name(code), event), LAYER_TIMEOUT
        )
    except Exception as error:
        log.warning("live session %s: could not send %s: %r", code, event["type"], error)
        return False
    return True


async def announce(session: LiveSession) -> bool:
    return await _group_send(session.code, state_event(session))


def announce_sync(session: LiveSession) -> bool:
    return async_to_sync(announce)(session)


def announce_revision_sync(flow_pk: int) -> None:
    """Tell the instructors of the flow's running walkthroughs that a newer revision exists.

    Their classes stay where they are: only the instructor's screen offers to update them.
    """
    for code in selectors.live_sessions_running(flow_pk=flow_pk):
        async_to_sync(_group_send)(code, {"type": "live.newer"})


def render_live_frame(revision: int, label: str, *, language: str, seq: int, **extra) -> str:
    """A live walkthrough's frame: its pinned revision on the class's step."""
    flow = drawn_revision_by_id(revision)
    return render_frame(
        flow,
        flow.index(label),
        language=language,
        mode="live",
        seq=seq,
        live_ended=extra["ended"],
        with_ladder=extra["with_ladder"],
    )


class SessionHub:
    def __init__(self, code: str):
        self.code = code
        self.members: set[Member] = set()
        self.layer = get_channel_layer()
        self.channel = ""
        self.subscribed = False
        self.restoring = False  # the instructor was told the class connection is down
        self.tasks: list[asyncio.Task] = []
        self.frames: dict[tuple[int, str, bool], str] = {}
        self.revision: int | None = None  # the revision the class's pages draw
        self.seq = -1  # the newest state fanned out here
        self.presence: selectors.Presence | None = None  # as last shown to the instructor
        self.presence_pending: asyncio.Task | None = None
        self.ready: asyncio.Future | None = None

    async def start(self) -> None:
        session = await database_sync_to_async(selectors.live_session_find)(code=self.code)
        self.revision = session.revision_id if session else None
        # Members joining catch up by themselves; the hub fans out only what comes after.
        self.seq = session.seq if session else -1
        self.tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._beat())]

    @property
    def alive(self) -> bool:
        return bool(self.tasks) and not any(task.done() for task in self.tasks)

    async def stop(self) -> None:
        for task in self.tasks:
            # Wait for a cancelled receive to unwind, so the layer knows nobody reads here.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.subscribed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    self.layer.group_discard(group_name(self.code), self.channel), LAYER_TIMEOUT
                )
        await self._write_presence()  # this process holds nobody now

    async def render(
        self,
        revision: int,
        label: str,
        *,
        language: str,
        seq: int,
        ended: bool,
        with_ladder: bool = False,
    ) -> str:
        """The frame for state `seq`, rendered once per language however many ask for it;
        with the whole ladder for pages that may draw another revision."""
        key = (seq, language, with_ladder)
        if key not in self.frames:
            if self.frames and max(self.frames)[0] < seq:
                self.frames.clear()  # only the newest state is ever asked for again
            # A thread of its own: the class's frame never queues behind solo steppers'
            # renders, which share the one thread of database_sync_to_async.
            self.frames[key] = await database_sync_to_async(
                render_live_frame, thread_sensitive=False
            )(revision, label, language=language, seq=seq, ended=ended, with_ladder=with_ladder)
        return self.frames[key]

    async def resync(self) -> None:
        """Fan out the session's state from the database if it is newer than what went out."""
        session = await database_sync_to_async(selectors.live_session_find)(code=self.code)
        if session is not None and session.seq > self.seq:
            await self._broadcast(state_event(session))

    def layer_failed(self) -> None:
        """A send to the group failed: the class hears of moves as the hubs beat, meanwhile."""
        self._set_restoring(True)

    def presence_changed(self) -> None:
        """A student came, went, or switched between following and exploring."""
        if self.presence_pending is None or self.presence_pending.done():
            self.presence_pending = asyncio.create_task(self._publish_presence())

    async def _listen(self) -> None:
        failures = 0
        while True:
            try:
                if not self.subscribed:
                    await self._subscribe()
                event = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("live session %s: channel layer failed: %r", self.code, error)
                self.subscribed = False
                self._set_restoring(True)
                await asyncio.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1
                continue
            failures = 0
            try:
                await self._handle(event)
            except Exception:  # one bad event must not stop the session's fan-out
                log.exception("live session %s: could not fan out %r", self.code, event)

    async def _subscribe(self) -> None:
        # The default prefix: channels-redis reads every process-local channel through one
        # shared name, and a channel with another prefix would never be read.
        self.channel = await self.layer.new_channel()
        await asyncio.wait_for(
            self.layer.group_add(group_name(self.code), self.channel), LAYER_TIMEOUT
        )
        self.subscribed = True
        self._set_restoring(False)
        await self.resync()  # what was moved while the layer was away

    async def _handle(self, event: dict) -> None:
        if event["type"] == "live.state":
            await self._broadcast(event)
        elif event["type"] == "live.presence":
            await self._show_presence()
        elif event["type"] == "live.newer":
            self._tell_owners("newer-version", newer=True, pushed=True, code=self.code)

    async def _beat(self) -> None:
        while True:
            try:
                await self._beat_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live session %s: beat failed", self.code)
            await asyncio.sleep(BEAT_SECONDS)

    async def _beat_once(self) -> None:
        await self._write_presence()
        await database_sync_to_async(services.live_sessions_end_idle)()
        await self.resync()
        await self._show_presence()
        if self.subscribed:
            # Redis forgets groups when it restarts; adding again costs one round trip.
            try:
                await asyncio.wait_for(
                    self.layer.group_add(group_name(self.code), self.channel), LAYER_TIMEOUT
                )
            except Exception as error:
                log.warning("live session %s: channel layer failed: %r", self.code, error)
                self._set_restoring(True)
            else:
                self._set_restoring(False)

    async def _broadcast(self, event: dict) -> None:
        if event["seq"] <= self.seq:
            return  # fanned out already (from the database or from another message)
        self.seq = event["seq"]
        targets = [m for m in self.members if m.following or event["ended"]]
        # When the class moves to another revision, its pages need that revision's ladder.
        with_ladder = event["revision"] != self.revision
        self.revision = event["revision"]
        frames = {
            language: await self.render(
                event["revision"],
                event["label"],
                language=language,
                seq=event["seq"],
                ended=event["ended"],
                with_ladder=with_ladder,
            )
            for language in {m.language for m in targets}
        }
        self._deliver_all(targets, event["seq"], frames)

    async def _write_presence(self) -> None:
        students = [m for m in self.members if m.counted]
        following = sum(1 for m in students if m.following)
        await database_sync_to_async(services.live_presence_beat)(
            code=self.code,
            process=PROCESS,
            watching=following,
            exploring=len(students) - following,
        )

    async def _publish_presence(self) -> None:
        await asyncio.sleep(PRESENCE_DELAY)
        await self._write_presence()
        await self._show_presence()
        await _group_send(self.code, {"type": "live.presence"})  # for instructors elsewhere

    async def _show_presence(self) -> None:
        if not any(m.is_owner for m in self.members):
            return
        presence = await database_sync_to_async(selectors.live_presence)(code=self.code)
        if presence != self.presence:
            self.presence = presence
            self._tell_owners("presence", presence=presence)

    def _set_restoring(self, restoring: bool) -> None:
        if restoring != self.restoring:
            self.restoring = restoring
            self._tell_owners("class-connection", restoring=restoring)

    def _tell_owners(self, partial: str, **context) -> None:
        """One of the instructor's live parts (sipflows/live_parts.html), to every owner here."""
        owners = [m for m in self.members if m.is_owner]
        frames = {}
        for language in {m.language for m in owners}:
            with translation.override(language):
                frames[language] = render_to_string(f"sipflows/live_parts.html#{partial}", context)
        self._deliver_all(owners, None, frames)

    def _deliver_all(self, members: list[Member], seq: int | None, frames: dict) -> None:
        # Each member queues the text and writes it from its own task, so one plain loop
        # reaches every follower and a stalled socket holds up nobody else.
        for member in members:
            member.deliver(seq, frames[member.language])


# This process's hubs, by session code.
_hubs: dict[str, SessionHub] = {}


async def join(code: str, member: Member) -> SessionHub:
    hub = _hubs.get(code)
    if hub is not None and hub.ready is not None and hub.ready.done() and not hub.alive:
        # Its listener or beat died: a new hub takes over its members.
        log.warning("live session %s: rebuilding its hub", code)
        broken, hub = hub, None
        del _hubs[code]
        asyncio.ensure_future(broken.stop())
        members = broken.members
    else:
        members = set()
    if hub is None:
        hub = _hubs[code] = SessionHub(code)
        hub.members |= members
        # Members arriving while the hub starts wait for the same start.
        hub.ready = asyncio.ensure_future(hub.start())
    try:
        await hub.ready
    except Exception:
        if _hubs.get(code) is hub:
            del _hubs[code]
        raise
    hub.members.add(member)
    if member.is_owner:
        hub.presence = None  # show this screen the count, and the connection if it is down
        if hub.restoring:
            hub._tell_owners("class-connection", restoring=True)
    hub.presence_changed()
    return hub


async def leave(code: str, member: Member) -> None:
    hub = _hubs.get(code)
    if hub is None or member not in hub.members:
        return
    hub.members.discard(member)
    if hub.members:
        hub.presence_changed()
        return
    del _hubs[code]
    await hub.stop()
