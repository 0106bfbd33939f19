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
from django.template.loader import render_to_string
from django.utils import translation

from . import selectors
from .frames import drawn_revision_by_id, render_frame
from .models import LiveSession

NEWER_TEMPLATE = "sipflows/live_parts.html#newer-version"

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
    """The group event for a move: ids and labels only; each process renders for itself."""
    return {
        "type": "live.state",
        "seq": session.seq,
        "revision": session.revision_id,
        "label": session.step_label,
        "ended": not session.is_live,
    }


async def announce(session: LiveSession) -> None:
    await get_channel_layer().group_send(group_name(session.code), state_event(session))


def announce_sync(session: LiveSession) -> None:
    async_to_sync(announce)(session)


async def announce_viewers(code: str, viewers: int) -> None:
    event = {"type": "live.viewers", "viewers": viewers}
    await get_channel_layer().group_send(group_name(code), event)


def announce_revision_sync(flow_pk: int) -> None:
    """Tell the instructors of the flow's running walkthroughs that a newer revision exists.

    Their classes stay where they are: only the instructor's screen offers to update them.
    """
    codes = selectors.live_sessions_running(flow_pk=flow_pk)
    if not codes:
        return
    layer = get_channel_layer()
    for code in codes:
        async_to_sync(layer.group_send)(group_name(code), {"type": "live.newer"})


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
        self.listener: asyncio.Task | None = None
        self.frames: dict[tuple[int, str, bool], str] = {}
        self.revision: int | None = None  # the revision the class's pages draw
        self.ready: asyncio.Future | None = None

    async def start(self) -> None:
        session = await database_sync_to_async(selectors.live_session_find)(code=self.code)
        self.revision = session.revision_id if session else None
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
            self.frames[key] = await database_sync_to_async(render_live_frame)(
                revision, label, language=language, seq=seq, ended=ended, with_ladder=with_ladder
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
                elif event["type"] == "live.newer":
                    self._offer_update()
            except Exception:  # one bad event must not stop the session's fan-out
                log.exception("live session %s: could not fan out %r", self.code, event)

    async def _broadcast(self, event: dict) -> None:
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

    def _tell_owner(self, viewers: int) -> None:
        text = f'<span id="viewers" hx-swap-oob="true">{int(viewers)}</span>'
        owners = [m for m in self.members if m.is_owner]
        self._deliver_all(owners, None, {m.language: text for m in owners})

    def _offer_update(self) -> None:
        owners = [m for m in self.members if m.is_owner]
        frames = {}
        for language in {m.language for m in owners}:
            with translation.override(language):
                frames[language] = render_to_string(
                    NEWER_TEMPLATE, {"newer": True, "pushed": True, "code": self.code}
                )
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
