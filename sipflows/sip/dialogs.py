"""The state of dialogs, subscriptions and transactions after each step of a flow (pure code).

Built on FlowAnalysis: walking the messages in ladder order, each dialog (RFC 3261 §12) is
early, confirmed or terminated, with its two tags, the CSeq each side last used and the remote
target each side gave (its Contact); each subscription (RFC 6665, and the implicit one of a
REFER, RFC 3515 §2.4.4) has its state from the last NOTIFY; each client transaction is open
from its request until its final response (or, for an INVITE refused, until the ACK).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .analysis import TARGET_REFRESH, DialogKey, FlowAnalysis, FlowMessage
from .message import parse_params, split_top_level

EARLY, CONFIRMED, TERMINATING, TERMINATED = "early", "confirmed", "terminating", "terminated"
INVITE_USAGE = "invite"


@dataclass(frozen=True)
class DialogSide:
    """One end of a dialog: its participant, tag, last CSeq number and remote target."""

    participant: str  # participant key
    tag: str | None
    cseq: int | None = None
    target: str | None = None


@dataclass(frozen=True)
class DialogState:
    index: int  # the dialog's number in the flow, from 0, for colours and the legend
    call_id: str | None
    state: str  # early | confirmed | terminating (BYE sent) | terminated
    caller: DialogSide  # the side whose request set the dialog up
    callee: DialogSide
    since: str  # the step that set it up
    usages: tuple[str, ...] = ()  # "invite" and the subscriptions sharing the dialog
    # False for an early dialog refused past a proxy that kept the refusal to itself: the
    # caller's side lapses when its INVITE transaction ends (RFC 3261 §13.2.2.4).
    caller_told: bool = True

    @property
    def sides(self) -> tuple[DialogSide, DialogSide]:
        return self.caller, self.callee


@dataclass(frozen=True)
class SubscriptionState:
    event: str  # event package, with its id if any: "dialog", "refer;id=93809824"
    implicit: bool  # set up by a REFER (RFC 3515), not a SUBSCRIBE
    subscriber: str
    notifier: str
    state: str  # requested | accepted | pending | active | terminated | rejected
    detail: str  # the Subscription-State parameters: "expires=60", "reason=noresource"
    call_id: str | None
    since: str
    dialog: int | None = None  # the index of the dialog it lives in, once known


@dataclass(frozen=True)
class TransactionState:
    label: str  # the request that opened it, on this hop
    method: str
    branch: str | None
    client: str  # participant keys: who sent the request, who answers it
    server: str
    state: str  # calling (no answer yet) | proceeding (1xx) | completed (refused, ACK due)


@dataclass(frozen=True)
class StepState:
    """What is set up once a step has happened."""

    dialogs: tuple[DialogState, ...] = ()
    subscriptions: tuple[SubscriptionState, ...] = ()
    transactions: tuple[TransactionState, ...] = ()


@dataclass
class _Walk:
    analysis: FlowAnalysis
    dialogs: dict[DialogKey, DialogState] = field(default_factory=dict)
    subscriptions: dict[tuple, SubscriptionState] = field(default_factory=dict)
    transactions: dict[tuple, TransactionState] = field(default_factory=dict)


class FlowStates:
    """The state after every step of a flow, and the dialog each message belongs to."""

    def __init__(self, analysis: FlowAnalysis):
        self.analysis = analysis
        self.dialog_index = {key: i for i, key in enumerate(analysis.dialogs)}
        walk = _Walk(analysis)
        by_position = {m.position: m for m in analysis.messages}
        self.after: dict[str, StepState] = {}
        for position, label in enumerate(analysis.labels):
            msg = by_position.get(position)
            if msg is not None:
                self._step(walk, msg)
            self.after[label] = StepState(
                tuple(walk.dialogs.values()),
                tuple(walk.subscriptions.values()),
                tuple(walk.transactions.values()),
            )
        self.dialog_of = {
            m.label: d for m in analysis.messages if (d := self._dialog_of(m)) is not None
        }

    def dialogs(self) -> list[DialogState]:
        """Every dialog of the flow as it was set up (for the ladder's legend)."""
        first: dict[int, DialogState] = {}
        for state in self.after.values():
            for dialog in state.dialogs:
                first.setdefault(dialog.index, dialog)
        return [first[i] for i in sorted(first)]

    def _dialog_of(self, msg: FlowMessage) -> int | None:
        """The dialog a message is in: by its tags, or for a request without a To tag the
        dialog its responses on this hop set up (the confirmed one first)."""
        if msg.dialog_key in self.dialog_index:
            return self.dialog_index[msg.dialog_key]
        if not msg.is_request or msg.to_tag:
            return None
        answers = [
            r
            for r in self.analysis.responses()
            if r.request is msg and r.dialog_key in self.dialog_index
        ]
        answers.sort(key=lambda r: not 200 <= r.status < 300)
        return self.dialog_index[answers[0].dialog_key] if answers else None

    # --- The walk -------------------------------------------------------------------------

    def _step(self, walk: _Walk, msg: FlowMessage) -> None:
        self._transactions(walk, msg)
        self._dialogs(walk, msg)
        self._subscriptions(walk, msg)

    def _transactions(self, walk: _Walk, msg: FlowMessage) -> None:
        if msg.is_request and msg.sip.method == "ACK":
            invite = (msg.sender, msg.vias[:1], "INVITE")
            if invite in walk.transactions and walk.transactions[invite].state == "completed":
                del walk.transactions[invite]  # the ACK of a refused INVITE ends it (§17.1.1.2)
        elif msg.is_request and msg.sip.method:
            walk.transactions[(msg.sender, msg.vias[:1], msg.sip.method)] = TransactionState(
                msg.label,
                msg.sip.method,
                msg.vias[0][1] if msg.vias else None,
                msg.sender,
                msg.receiver,
                "calling",
            )
        elif msg.is_response and msg.request is not None:
            request = msg.request
            key = (request.sender, request.vias[:1], request.sip.method)
            if key not in walk.transactions:
                return
            if msg.status < 200:
                walk.transactions[key] = replace(walk.transactions[key], state="proceeding")
            elif request.sip.method == "INVITE" and msg.status >= 300:
                walk.transactions[key] = replace(walk.transactions[key], state="completed")
            else:
                del walk.transactions[key]

    def _dialogs(self, walk: _Walk, msg: FlowMessage) -> None:
        key = msg.dialog_key
        if key in self.dialog_index and key not in walk.dialogs:
            walk.dialogs[key] = self._set_up(msg)
        if msg.is_response and msg.method == "INVITE" and msg.status >= 300:
            self._refused(walk, msg)
        dialog = walk.dialogs.get(key)
        if dialog is None:
            return
        dialog = self._sides_updated(dialog, msg)
        if msg.is_response and msg.method == "INVITE" and 200 <= msg.status < 300:
            usages = (
                dialog.usages if INVITE_USAGE in dialog.usages else (*dialog.usages, INVITE_USAGE)
            )
            dialog = replace(dialog, state=CONFIRMED, usages=usages)
        elif msg.is_request and msg.sip.method == "BYE" and dialog.state != TERMINATED:
            dialog = replace(dialog, state=TERMINATING)
        elif msg.is_response and msg.method == "BYE" and msg.status >= 200:
            dialog = _usage_ended(dialog, INVITE_USAGE)
        walk.dialogs[key] = dialog

    def _set_up(self, msg: FlowMessage) -> DialogState:
        caller_tag, callee_tag = (
            (msg.from_tag, msg.to_tag) if msg.is_response else (msg.to_tag, msg.from_tag)
        )
        initial = msg.request if msg.is_response else self._subscribing_request(msg)
        caller = DialogSide(
            self._owner(msg.call_id, caller_tag, initial.sender if initial else msg.receiver),
            caller_tag,
            initial.number if initial else None,
            initial.contact if initial else None,
        )
        callee = DialogSide(self._owner(msg.call_id, callee_tag, msg.author), callee_tag)
        usage = INVITE_USAGE if msg.method == "INVITE" else ()
        state = EARLY if msg.is_response and msg.status < 200 else CONFIRMED
        return DialogState(
            self.dialog_index[msg.dialog_key],
            msg.call_id,
            state,
            caller,
            callee,
            msg.label,
            (usage,) if usage else (),
        )

    def _subscribing_request(self, notify: FlowMessage) -> FlowMessage | None:
        return next(
            (
                m
                for m in self.analysis.before(notify)
                if m.is_request
                and m.sip.method in ("SUBSCRIBE", "REFER")
                and m.call_id == notify.call_id
                and m.from_tag == notify.to_tag
            ),
            None,
        )

    def _owner(self, call_id: str | None, tag: str | None, fallback: str) -> str:
        return self.analysis.tag_owner.get((call_id, tag), fallback) if tag else fallback

    def _sides_updated(self, dialog: DialogState, msg: FlowMessage) -> DialogState:
        """The author's CSeq (a new request) and remote target (a target refresh)."""
        is_caller = msg.author_tag == dialog.caller.tag
        side = dialog.caller if is_caller else dialog.callee
        if msg.is_request and msg.sip.method not in ("ACK", "CANCEL") and msg.number is not None:
            side = replace(side, cseq=msg.number)
        if msg.contact and msg.method in TARGET_REFRESH:
            side = replace(side, target=msg.contact)
        return replace(dialog, caller=side) if is_caller else replace(dialog, callee=side)

    def _refused(self, walk: _Walk, msg: FlowMessage) -> None:
        """A final non-2xx ends the early dialogs of the request it answers (§12.3): the one
        with its tag, and every one of them once it reaches the caller."""
        reaches_caller = msg.request is not None and msg.request.received is None
        for key, dialog in walk.dialogs.items():
            if dialog.state != EARLY or dialog.call_id != msg.call_id:
                continue
            if dialog.caller.tag != msg.from_tag:
                continue
            if dialog.callee.tag == msg.to_tag or reaches_caller:
                walk.dialogs[key] = replace(
                    dialog, state=TERMINATED, usages=(), caller_told=reaches_caller
                )

    def _subscriptions(self, walk: _Walk, msg: FlowMessage) -> None:
        method = msg.sip.method if msg.is_request else msg.method
        if msg.is_request and method in ("SUBSCRIBE", "REFER"):
            key = (msg.call_id, msg.from_tag, _subscribed_event(msg))
            walk.subscriptions.setdefault(
                key,
                SubscriptionState(
                    key[2],
                    method == "REFER",
                    msg.author,
                    self.analysis.uri_owner(msg.sip.request_uri or "") or msg.receiver,
                    "requested",
                    "",
                    msg.call_id,
                    msg.label,
                    self._dialog_of(msg),
                ),
            )
        elif msg.is_request and method == "NOTIFY":
            self._notified(walk, msg)
        elif msg.is_response and msg.request is not None and msg.status >= 200:
            if method in ("SUBSCRIBE", "REFER"):
                self._subscription_answered(walk, msg)
            elif method == "NOTIFY":
                self._notify_answered(walk, msg.request)

    def _subscription_answered(self, walk: _Walk, response: FlowMessage) -> None:
        request = response.request
        assert request is not None
        key = (response.call_id, response.from_tag, _subscribed_event(request))
        sub = walk.subscriptions.get(key)
        if sub is None or sub.state != "requested":
            return
        if response.status >= 300:
            walk.subscriptions[key] = replace(sub, state="rejected", detail=str(response.status))
        elif (
            request.sip.method == "REFER"
            and (response.sip.header("Refer-Sub") or "").lower() == "false"
        ):
            del walk.subscriptions[key]  # the REFER was accepted without a subscription (RFC 4488)
        else:
            dialog = self.dialog_index.get(response.dialog_key, sub.dialog)
            walk.subscriptions[key] = replace(
                sub,
                state="accepted",
                notifier=self._owner(response.call_id, response.to_tag, response.author),
                dialog=dialog,
            )
            self._add_usage(walk, response.dialog_key, sub.event)

    def _notified(self, walk: _Walk, notify: FlowMessage) -> None:
        key = self._notified_key(walk, notify)
        state, _, params = (notify.sip.header("Subscription-State") or "").partition(";")
        sub = walk.subscriptions.get(key) or SubscriptionState(
            key[2],
            key[2].startswith("refer"),
            self._owner(notify.call_id, notify.to_tag, notify.receiver),
            notify.author,
            "requested",
            "",
            notify.call_id,
            notify.label,
        )
        walk.subscriptions[key] = replace(
            sub,
            state=state.strip().lower() or sub.state,
            detail=", ".join(p.strip() for p in split_top_level(params, ";") if p.strip()),
            notifier=notify.author,
            dialog=self.dialog_index.get(notify.dialog_key, sub.dialog),
        )
        self._add_usage(walk, notify.dialog_key, key[2])

    def _notified_key(self, walk: _Walk, notify: FlowMessage) -> tuple:
        key = (notify.call_id, notify.to_tag, _event(notify))
        if key not in walk.subscriptions and key[2] == "refer":
            # A NOTIFY without an id is about the dialog's one REFER (RFC 3515 §2.4.6).
            refers = [
                k for k in walk.subscriptions if k[:2] == key[:2] and k[2].startswith("refer")
            ]
            return refers[-1] if refers else key
        return key

    def _notify_answered(self, walk: _Walk, notify: FlowMessage) -> None:
        """The answer to a NOTIFY that ended the subscription ends its use of the dialog."""
        key = self._notified_key(walk, notify)
        sub = walk.subscriptions.get(key)
        dialog = walk.dialogs.get(notify.dialog_key)
        if sub and sub.state == "terminated" and dialog and sub.event in dialog.usages:
            walk.dialogs[notify.dialog_key] = _usage_ended(dialog, sub.event)

    @staticmethod
    def _add_usage(walk: _Walk, key: DialogKey, usage: str) -> None:
        if key in walk.dialogs and usage not in walk.dialogs[key].usages:
            dialog = walk.dialogs[key]
            walk.dialogs[key] = replace(dialog, usages=(*dialog.usages, usage))


def _subscribed_event(request: FlowMessage) -> str:
    """A SUBSCRIBE's event, or a REFER's implicit one, named by its CSeq (RFC 3515 §2.4.6)."""
    return f"refer;id={request.number}" if request.sip.method == "REFER" else _event(request)


def _event(msg: FlowMessage) -> str:
    """The event package and id of an Event header: "dialog", "refer;id=7" (RFC 6665 §8.2.1)."""
    value = msg.sip.header("Event") or ""
    package, _, params = value.partition(";")
    event_id = parse_params(params).get("id") if params else None
    return f"{package.strip().lower()};id={event_id}" if event_id else package.strip().lower()


def _usage_ended(dialog: DialogState, usage: str) -> DialogState:
    """A dialog ends with its last usage (RFC 5057 §5); an INVITE usage ends with BYE."""
    usages = tuple(u for u in dialog.usages if u != usage)
    return replace(dialog, usages=usages, state=TERMINATED if not usages else CONFIRMED)
