"""Dialog, subscription and transaction state through Call Pickup and Attended Transfer."""

from pathlib import Path

from sipflows.sip.analysis import FlowAnalysis
from sipflows.sip.dialogs import FlowStates
from sipflows.sip.flowdoc import parse_documents

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def states(slug: str) -> FlowStates:
    document = parse_documents((FIXTURES / f"{slug}.yaml").read_bytes(), name=slug)[0]
    return FlowStates(FlowAnalysis(document, {}))


def dialog_between(flow: FlowStates, label: str, a: str, b: str):
    [dialog] = [
        d
        for d in flow.after[label].dialogs
        if {d.caller.participant, d.callee.participant} == {a, b}
    ]
    return dialog


def test_pickup_alices_call_to_bob_is_early_while_bob_rings():
    assert dialog_between(states("call-pickup"), "F2", "alice", "bob").state == "early"


def test_pickup_bills_dialog_subscription_ends_with_the_terminated_notify():
    flow = states("call-pickup")
    [subscription] = flow.after["F5"].subscriptions
    assert (subscription.subscriber, subscription.notifier) == ("bill", "bob")
    assert subscription.state == "terminated"
    assert dialog_between(flow, "F6", "bill", "bob").state == "terminated"


def test_pickup_bill_takes_the_call_in_a_dialog_of_his_own():
    flow = states("call-pickup")
    dialog = dialog_between(flow, "F8", "bill", "alice")
    assert dialog.state == "confirmed"
    assert dialog.caller.participant == "bill" and dialog.caller.cseq == 1


def test_pickup_the_487_ends_alices_early_dialog_with_bob():
    flow = states("call-pickup")
    assert dialog_between(flow, "F11", "alice", "bob").state == "terminated"
    assert dialog_between(flow, "F11", "bill", "alice").state == "confirmed"


def test_pickup_the_refused_invite_waits_for_its_ack():
    flow = states("call-pickup")
    [invite] = [t for t in flow.after["F11"].transactions if t.method == "INVITE"]
    assert (invite.label, invite.state) == ("F1", "completed")
    assert not [t for t in flow.after["F12"].transactions if t.method == "INVITE"]


def test_pickup_bye_then_200_terminates_the_picked_up_call():
    flow = states("call-pickup")
    assert dialog_between(flow, "F14", "bill", "alice").state == "terminating"
    assert dialog_between(flow, "F15", "bill", "alice").state == "terminated"


def test_attended_transfer_holds_two_confirmed_dialogs_before_the_refer():
    flow = states("transfer-attended")
    assert {d.state for d in flow.after["F14"].dialogs} == {"confirmed"}
    assert len(flow.after["F14"].dialogs) == 2


def test_attended_transfer_refer_sets_up_an_implicit_subscription_in_the_dialog():
    flow = states("transfer-attended")
    [subscription] = flow.after["F17"].subscriptions
    assert subscription.implicit and subscription.state == "active"
    dialog = dialog_between(flow, "F17", "alice", "bob")
    assert subscription.dialog == dialog.index
    assert subscription.event in dialog.usages


def test_attended_transfer_bobs_cseq_is_the_refers():
    flow = states("transfer-attended")
    dialog = dialog_between(flow, "F15", "alice", "bob")
    bob = next(side for side in dialog.sides if side.participant == "bob")
    assert bob.cseq == 1025


def test_attended_transfer_the_replaced_dialog_ends_with_carols_bye():
    flow = states("transfer-attended")
    assert dialog_between(flow, "F23", "bob", "carol").state == "terminated"
    assert dialog_between(flow, "F23", "alice", "carol").state == "confirmed"


def test_attended_transfer_ends_with_only_the_new_call_up():
    flow = states("transfer-attended")
    [subscription] = flow.after["F25"].subscriptions
    assert subscription.state == "terminated"
    up = [d for d in flow.after["F27"].dialogs if d.state != "terminated"]
    assert [(d.caller.participant, d.callee.participant) for d in up] == [("alice", "carol")]


def test_attended_transfer_remote_target_is_carols_gruu():
    flow = states("transfer-attended")
    dialog = dialog_between(flow, "F20", "alice", "carol")
    assert ";gr" in dialog.callee.target


def test_every_message_with_both_tags_of_a_dialog_is_coloured_by_it():
    flow = states("transfer-attended")
    for msg in flow.analysis.messages:
        if msg.dialog_key in flow.dialog_index:
            assert flow.dialog_of[msg.label] == flow.dialog_index[msg.dialog_key]


def test_find_me_b1s_early_dialog_ends_at_b1_without_alice_being_told():
    flow = states("find-me")
    dialog = dialog_between(flow, "F8", "alice", "user-b1")
    assert dialog.state == "terminated" and not dialog.caller_told
    assert dialog_between(flow, "F20", "alice", "user-b4").state == "confirmed"
