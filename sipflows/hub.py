"""Fan-out of live walkthroughs, once per process.

A naive fan-out sends one channel-layer message to every follower's consumer, and each renders
its own frame. Here each process holds one hub per live session: the hub is the only member of
the session's group on this process, so a step costs one layer message per process, one render
per language, and then the same text written to every local follower.
"""

import asyncio
import contextlib
import logging
from typing import Protocol

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from . import selectors
from .frames import render_frame
from .models import LiveSession

log = logging.getLogger(__name__)


class Member(Protocol):
    """What a hub needs of a connected consumer."""

    language: str
    following: bool
    is_owner: bool

    def deliver(self, seq: int | None, text: str) -> None:
        """Send `text` without waiting on the socket, unless a newer state (seq) went first."""


def group_name(code: str) -> str:
    return f"live.{code}"


def state_event(session: LiveSession) -> dict:
    """The group event for a move: ids and numbers only; each process renders for itself."""
    return {
        "type": "live.state",
        "seq": session.seq,
        "step_index": session.step_index,
        "ended": not session.is_live,
    }


async def announce(session: LiveSession) -> None:
    await get_channel_layer().group_send(group_name(session.code), state_event(session))


def announce_sync(session: LiveSession) -> None:
    async_to_sync(announce)(session)


async def announce_viewers(code: str, viewers: int) -> None:
    event = {"type": "live.viewers", "viewers": viewers}
    await get_channel_layer().group_send(group_name(code), event)


class SessionHub:
    def __init__(self, code: str):
        self.code = code
        self.members: set[Member] = set()
        self.layer = get_channel_layer()
        self.channel = ""
        self.listener: asyncio.Task | None = None
        self.flow = None
        self.frames: dict[tuple[int, str], str] = {}
        self.ready: asyncio.Future | None = None

    async def start(self) -> None:
        self.flow = await database_sync_to_async(selectors.live_session_flow)(code=self.code)
        # The default prefix: channels-redis reads every process-local channel through one
        # shared name, and a channel with another prefix would never be read.
        self.channel = await self.layer.new_channel()
        await self.layer.group_add(group_name(self.code), self.channel)
        self.listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        await self.layer.group_discard(group_name(self.code), self.channel)
        if self.listener:
            # Wait for the cancelled receive to unwind, so the layer knows nobody reads here.
            self.listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.listener

    async def render(self, step_index: int | None, *, language: str, seq: int, ended: bool) -> str:
        """The frame for state `seq`, rendered once per language however many ask for it."""
        key = (seq, language)
        if key not in self.frames:
            if self.frames and max(self.frames)[0] < seq:
                self.frames.clear()  # only the newest state is ever asked for again
            self.frames[key] = await database_sync_to_async(render_frame)(
                self.flow, step_index, language=language, mode="live", seq=seq, live_ended=ended
            )
        return self.frames[key]

    async def _listen(self) -> None:
        while True:
            event = await self.layer.receive(self.channel)
            try:
                if event["type"] == "live.state":
                    await self._broadcast(event)
                elif event["type"] == "live.viewers":
                    self._tell_owner(event["viewers"])
            except Exception:  # one bad event must not stop the session's fan-out
                log.exception("live session %s: could not fan out %r", self.code, event)

    async def _broadcast(self, event: dict) -> None:
        targets = [m for m in self.members if m.following or event["ended"]]
        frames = {
            language: await self.render(
                event["step_index"], language=language, seq=event["seq"], ended=event["ended"]
            )
            for language in {m.language for m in targets}
        }
        self._deliver_all(targets, event["seq"], frames)

    def _tell_owner(self, viewers: int) -> None:
        text = f'<span id="viewers" hx-swap-oob="true">{int(viewers)}</span>'
        owners = [m for m in self.members if m.is_owner]
        self._deliver_all(owners, None, {m.language: text for m in owners})

    def _deliver_all(self, members: list[Member], seq: int | None, frames: dict) -> None:
        # Each member queues the text and writes it from its own task, so one plain loop
        # reaches every follower and a stalled socket holds up nobody else.
        for member in members:
            member.deliver(seq, frames[member.language])


# This process's hubs, by session code.
_hubs: dict[str, SessionHub] = {}


async def join(code: str, member: Member) -> SessionHub:
    hub = _hubs.get(code)
    if hub is None:
        hub = _hubs[code] = SessionHub(code)
        # Members arriving while the hub starts wait for the same start.
        hub.ready = asyncio.ensure_future(hub.start())
    try:
        await hub.ready
    except Exception:
        _hubs.pop(code, None)
        raise
    hub.members.add(member)
    return hub


async def leave(code: str, member: Member) -> None:
    hub = _hubs.get(code)
    if hub is None:
        return
    hub.members.discard(member)
    if not hub.members:
        del _hubs[code]
        await hub.stop()
