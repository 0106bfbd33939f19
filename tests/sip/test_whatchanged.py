"""What each message changes against the message it relates to, on one flow of each family,
checked against what RFC 3261 and RFC 3264 require of that pair of messages."""

from pathlib import Path

import pytest

from sipflows.sip.analysis import FlowAnalysis
from sipflows.sip.flowdoc import parse_documents
from sipflows.sip.whatchanged import (
    ACKNOWLEDGES,
    ANSWERS,
    CANCELS,
    NOTIFIES_AGAIN,
    RELAYS,
    RULES,
    UPDATES,
    flow_comparisons,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def analysis(slug: str) -> FlowAnalysis:
    document = parse_documents((FIXTURES / f"{slug}.yaml").read_bytes(), name=slug)[0]
    return FlowAnalysis(document, {})


def message(flow: FlowAnalysis, label: str):
    return next(m for m in flow.messages if m.label == label)


def comparison(slug: str, label: str):
    return flow_comparisons(analysis(slug))[label]


def by_part(comparison, part: str):
    return [d for d in comparison.differences if d.part == part]


def test_a_relayed_request_gets_the_proxys_via_on_top_hold():
    flow = analysis("call-hold")
    relayed = flow_comparisons(flow)["F2"]
    assert (relayed.relation, relayed.label) == (RELAYS, "F1")
    [pushed] = [d for d in by_part(relayed, "Via") if d.rule == "via-pushed"]
    top_via = message(flow, "F2").sip.header_values("Via")[0]
    assert pushed.after == " ".join(top_via.split())


def test_a_relayed_request_has_max_forwards_one_lower_hold():
    [difference] = by_part(comparison("call-hold", "F2"), "Max-Forwards")
    assert int(difference.after) == int(difference.before) - 1
    assert difference.rule == "max-forwards-down"


def test_a_record_routing_proxy_adds_record_route_hold():
    [difference] = by_part(comparison("call-hold", "F2"), "Record-Route")
    assert difference.rule == "record-route-added" and "lr" in difference.after


def test_a_hold_offer_is_sendonly_with_the_origin_version_one_higher():
    held = comparison("call-hold", "F10")
    assert held.relation == UPDATES
    [direction] = [d for d in held.differences if d.part == "SDP m=audio"]
    assert direction.after == "a=sendonly" and direction.rule == "sdp-hold"
    [origin] = by_part(held, "SDP o=")
    assert int(origin.after.split()[2]) == int(origin.before.split()[2]) + 1


def test_a_sendonly_offer_is_answered_recvonly_hold():
    answer = comparison("call-hold", "F12")
    assert answer.relation == ANSWERS
    [direction] = [d for d in answer.differences if d.rule == "sdp-answer-recvonly"]
    assert (direction.before, direction.after) == ("a=sendonly", "a=recvonly")


def test_the_uas_tags_to_in_its_response_screening():
    flow = analysis("incoming-call-screening")
    response = next(m for m in flow.responses() if m.to_tag)
    [tag] = by_part(flow_comparisons(flow)[response.label], "To tag")
    assert tag.before is None and tag.after == response.to_tag


def test_a_response_drops_max_forwards_screening():
    flow = analysis("incoming-call-screening")
    response = next(
        m for m in flow.responses() if m.request and m.request.sip.header("Max-Forwards")
    )
    [dropped] = [
        d
        for d in flow_comparisons(flow)[response.label].differences
        if "Max-Forwards" in d.part.split(", ")
    ]
    assert dropped.change == "removed" and dropped.rule == "response-copies"


def test_the_headers_a_response_does_not_copy_are_named_once_screening():
    flow = analysis("incoming-call-screening")
    response = next(m for m in flow.responses() if m.status == 305)
    uncopied = [
        d for d in flow_comparisons(flow)[response.label].differences if d.rule == "response-copies"
    ]
    names = uncopied[0].part.split(", ")
    assert len(uncopied) == 1
    assert not any(response.sip.header(name) for name in names)
    assert all(response.request.sip.header(name) for name in names)


def test_a_relayed_response_loses_the_proxys_via_forwarding():
    flow = analysis("call-forwarding-unconditional")
    relayed = next(m for m in flow.responses() if m.received is not None)
    answer = flow_comparisons(flow)[relayed.label]
    assert answer.relation == ANSWERS
    assert len(relayed.sip.vias) == len(answer_request(flow, relayed).sip.vias)


def answer_request(flow, response):
    return message(flow, flow_comparisons(flow)[response.label].label)


def test_a_retargeted_request_gets_a_new_request_uri_forwarding():
    flow = analysis("call-forwarding-unconditional")
    changes = [
        d for c in flow_comparisons(flow).values() if c.relation == RELAYS for d in c.differences
    ]
    assert any(d.part == "Request-URI" and d.rule == "retargeted" for d in changes)


def test_an_ack_to_a_2xx_keeps_the_cseq_number_with_a_new_branch_transfer():
    flow = analysis("transfer-attended")
    ack = comparison("transfer-attended", "F4")
    assert (ack.relation, ack.label) == (ACKNOWLEDGES, "F1")
    assert message(flow, "F4").number == message(flow, "F1").number
    assert [d.rule for d in by_part(ack, "Via")] == ["via-ack-2xx"]
    assert [d.rule for d in by_part(ack, "To tag")] == ["to-tag-ack"]


def test_a_notify_reports_the_new_subscription_state_transfer():
    notify = comparison("transfer-attended", "F24")
    assert (notify.relation, notify.label) == (NOTIFIES_AGAIN, "F17")
    [state] = by_part(notify, "Subscription-State")
    assert state.after.startswith("terminated")
    [cseq] = by_part(notify, "CSeq")
    assert cseq.rule == "cseq-next"


def test_a_cancel_shares_the_invites_top_via_pickup():
    flow = analysis("call-pickup")
    cancel = comparison("call-pickup", "F9")
    assert (cancel.relation, cancel.label) == (CANCELS, "F1")
    assert message(flow, "F9").vias[0] == message(flow, "F1").vias[0]
    assert by_part(cancel, "Via") == [] and by_part(cancel, "CSeq") == []


def test_the_ack_of_a_refused_invite_keeps_its_branch_pickup():
    flow = analysis("call-pickup")
    ack = flow_comparisons(flow)["F12"]
    assert (ack.relation, ack.label) == (ACKNOWLEDGES, "F1")
    assert message(flow, "F12").vias == message(flow, "F1").vias[:1]
    assert by_part(ack, "Via") == []


def test_an_answer_brings_the_answerers_own_address_conference():
    flow = analysis("conference-third-party-added")
    answers = [
        c for c in flow_comparisons(flow).values() if c.relation == ANSWERS and by_part(c, "SDP o=")
    ]
    assert answers and all(by_part(c, "SDP o=")[0].rule == "sdp-answerer" for c in answers)


def test_a_notify_of_dialog_state_follows_the_subscription_redial():
    flow = analysis("automatic-redial")
    notifies = [c for c in flow_comparisons(flow).values() if c.relation == NOTIFIES_AGAIN]
    assert notifies
    assert all(by_part(c, "CSeq")[0].rule == "cseq-next" for c in notifies)


def test_the_referred_call_answers_with_its_own_contact_click_to_dial():
    flow = analysis("click-to-dial")
    response = next(m for m in flow.responses() if m.status == 200 and m.method == "INVITE")
    [contact] = by_part(flow_comparisons(flow)[response.label], "Contact")
    assert contact.rule == "contact-uas" and response.contact in contact.after


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_is_explained_in_both_languages(rule):
    where, english, chinese = RULES[rule]
    assert english and chinese and english != chinese
