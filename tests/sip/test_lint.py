from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

import sipflows.sip.lint as lint
from sipflows.sip.flowdoc import validate_document
from sipflows.sip.lint import RULES, lint_flow
from sipflows.sip.message import parse_message
from sipflows.sip.rfcreader import read_call_flows
from tests.sip.test_rfcreader import REFERENCE

# --- building small flows --------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    key: str
    domain: str
    host: str
    tag: str

    @property
    def aor(self) -> str:
        return f"sips:{self.key}@{self.domain}"

    @property
    def contact(self) -> str:
        return f"sips:{self.key}@{self.host}"

    def address(self, tagged: bool = True) -> str:
        name = f"{self.key.capitalize()} <{self.aor}>"
        return f"{name};tag={self.tag}" if tagged else name


ALICE = Party("alice", "atlanta.example.com", "client.atlanta.example.com", "1234567")
BOB = Party("bob", "biloxi.example.com", "client.biloxi.example.com", "314159")
CAROL = Party("carol", "chicago.example.com", "client.chicago.example.com", "8675310")
PROXY_HOST = "ss1.example.com"
ROUTE = f"Route: <sips:{PROXY_HOST};lr>"
CALL = "12345600@atlanta.example.com"
PROXIED, THREE = ("alice", "proxy", "bob"), ("alice", "bob", "carol")
TARGET_REFRESH = ("INVITE", "SUBSCRIBE", "NOTIFY", "REFER")


def via(host: str, branch: str) -> str:
    return f"SIP/2.0/TLS {host}:5061;branch={branch}"


def sdp(party=ALICE, version=1, session="-", extra=""):
    return (
        f"v=0\r\no={party.key} 2890844526 {version} IN IP4 {party.host}\r\ns={session}\r\n"
        f"c=IN IP4 {party.host}\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n{extra}"
    )


def message(start, headers, body="", content_type="application/sdp"):
    headers = [*headers, f"Content-Type: {content_type}"] if body else list(headers)
    return "\r\n".join([start, *headers, f"Content-Length: {len(body.encode())}", "", body])


def request(method, sender, receiver, cseq, branch, *, dialog=False, uri=None, **options):
    """`sender`'s request to `receiver`: to its address of record, or within their dialog to
    its Contact; requests that set up or refresh a dialog carry the sender's Contact."""
    contact = [f"Contact: <{sender.contact}>"] if method in TARGET_REFRESH else []
    headers = [
        f"Via: {via(sender.host, branch)}",
        "Max-Forwards: 70",
        f"From: {sender.address()}",
        f"To: {receiver.address(tagged=dialog)}",
        f"Call-ID: {options.pop('call_id', CALL)}",
        f"CSeq: {cseq} {method}",
        *contact,
        *options.pop("extra", ()),
    ]
    uri = uri or (receiver.contact if dialog else receiver.aor)
    return message(f"{method} {uri} SIP/2.0", headers, **options)


def response(status, answered, by=None, extra=(), body=""):
    """`by`'s response, copying what RFC 3261 §8.2.6.2 says it copies and adding `by`'s To tag
    and Contact (a 100 Trying comes from no one in particular: by=None)."""
    req = parse_message(answered)
    to = req.header("To") + (f";tag={by.tag}" if by and not req.to_tag else "")
    headers = [f"Via: {v}" for v in req.header_values("Via")]
    headers += [f"From: {req.header('From')}", f"To: {to}", f"Call-ID: {req.call_id}"]
    headers += [f"CSeq: {req.header('CSeq')}", *extra]
    headers += [f"Contact: <{by.contact}>"] if by else []
    return message(f"SIP/2.0 {status}", headers, body)


def relayed(text, branch, *, record_route=True):
    """A request as a proxy forwards it: its Via on top, Max-Forwards one less, its own Route
    entry taken off, maybe a Record-Route."""
    top = f"Via: {via(PROXY_HOST, branch)}\r\n"
    top += f"Record-Route: <sips:{PROXY_HOST};lr>\r\n" if record_route else ""
    text = text.replace("Max-Forwards: 70", "Max-Forwards: 69").replace(ROUTE + "\r\n", "")
    start, rest = text.split("\r\n", 1)
    return f"{start}\r\n{top}{rest}"


def returned(text):
    """A response as a proxy passes it back: without its own, top, Via."""
    start, _, rest = text.split("\r\n", 2)
    return f"{start}\r\n{rest}"


def step(label, frm, to, text):
    return {"label": label, "kind": "message", "from": frm, "to": to, "message": text}


def flow(steps, people=("alice", "bob"), notes=()):
    participants = [
        {"key": k, "name": k.capitalize(), "role": "proxy" if k == "proxy" else "ua"}
        for k in people
    ]
    document = {"slug": "t", "title": {"en": "T"}, "participants": participants}
    return validate_document({**document, "steps": steps, "notes": list(notes)}, name="t")


def edit(steps, labels, old, new):
    """The steps with text replaced in the messages of some of them ("F5 F6")."""
    chosen = labels.split()
    assert all(old in s["message"] for s in steps if s["label"] in chosen)
    return [
        {**s, "message": s["message"].replace(old, new)} if s["label"] in chosen else s
        for s in steps
    ]


def findings(document, rule, **options):
    return [f.step for f in lint_flow(document, **options) if f.rule == rule]


def exchange(label, sender, receiver, text, by, *, status="200 OK", extra=(), body=""):
    """A request step and the response step that answers it."""
    answer = response(status, text, by, extra, body)
    return [step(label, sender, receiver, text), step(f"{label}r", receiver, sender, answer)]


def call():
    """Alice calls Bob directly, Bob answers, Alice hangs up: a flow without findings."""
    f1 = request("INVITE", ALICE, BOB, 1, "z9hG4bK74bf9", body=sdp())
    return [
        step("F1", "alice", "bob", f1),
        step("F2", "bob", "alice", response("180 Ringing", f1, BOB)),
        step("F3", "bob", "alice", response("200 OK", f1, BOB, body=sdp(BOB))),
        step("F4", "alice", "bob", request("ACK", ALICE, BOB, 1, "z9hG4bK74bfA", dialog=True)),
        *exchange(
            "F5", "alice", "bob", request("BYE", ALICE, BOB, 2, "z9hG4bKB", dialog=True), None
        ),
    ]


def rejected_call():
    """Alice calls Bob, who is busy; Alice acknowledges the 486."""
    ack = request("ACK", ALICE, BOB, 1, "z9hG4bK74bf9", dialog=True, uri=BOB.aor)
    return [
        *call()[:2],
        step("F3", "bob", "alice", response("486 Busy Here", call()[0]["message"], BOB)),
        step("F4", "alice", "bob", ack),
    ]


def cancelled_call():
    """Alice gives up while Bob's phone rings: CANCEL, its 200, the 487 and its ACK."""
    cancel = request("CANCEL", ALICE, BOB, 1, "z9hG4bK74bf9")
    terminated = response("487 Request Terminated", call()[0]["message"], BOB)
    return [
        *call()[:2],
        *exchange("F3", "alice", "bob", cancel, BOB),
        step("F4", "bob", "alice", terminated),
        step("F5", "alice", "bob", rejected_call()[3]["message"]),
    ]


def proxied_call():
    """Alice calls Bob through a record-routing proxy; Alice then hangs up."""
    f1 = request("INVITE", ALICE, BOB, 1, "z9hG4bK74bf9", body=sdp())
    f2 = relayed(f1, "z9hG4bK83749.1")
    rr = [f"Record-Route: <sips:{PROXY_HOST};lr>"]
    f4 = response("180 Ringing", f2, BOB, rr)
    f6 = response("200 OK", f2, BOB, rr, sdp(BOB))
    f8 = request("ACK", ALICE, BOB, 1, "z9hG4bK74bfA", dialog=True, extra=[ROUTE])
    f10 = request("BYE", ALICE, BOB, 2, "z9hG4bK74bfB", dialog=True, extra=[ROUTE])
    f11 = relayed(f10, "z9hG4bK83749.3", record_route=False)
    f12 = response("200 OK", f11)
    return [
        step("F1", "alice", "proxy", f1),
        step("F2", "proxy", "bob", f2),
        step("F3", "proxy", "alice", response("100 Trying", f1)),
        step("F4", "bob", "proxy", f4),
        step("F5", "proxy", "alice", returned(f4)),
        step("F6", "bob", "proxy", f6),
        step("F7", "proxy", "alice", returned(f6)),
        step("F8", "alice", "proxy", f8),
        step("F9", "proxy", "bob", relayed(f8, "z9hG4bK83749.2", record_route=False)),
        step("F10", "alice", "proxy", f10),
        step("F11", "proxy", "bob", f11),
        step("F12", "bob", "proxy", f12),
        step("F13", "proxy", "alice", returned(f12)),
    ]


def bobs_request(method, cseq=1, answer="", **options):
    """Bob's request in the dialog of `call()` and Alice's 200 OK (with `answer` as body)."""
    text = request(method, BOB, ALICE, cseq, "z9hG4bKnashds7", dialog=True, **options)
    by = ALICE if method in TARGET_REFRESH else None
    return [*call()[:4], *exchange("F5", "bob", "alice", text, by, body=answer)]


# --- the whole checker -----------------------------------------------------------------------


def test_a_correct_direct_call_has_no_findings():
    assert lint_flow(flow(call())) == []


def test_a_correct_proxied_call_has_no_findings():
    assert lint_flow(flow(proxied_call(), PROXIED)) == []


def test_findings_come_in_ladder_order():
    steps = edit(call(), "F4", "Max-Forwards: 70\r\n", "")
    steps = edit(steps, "F2", f"Contact: <{BOB.contact}>\r\n", "")
    assert [f.step for f in lint_flow(flow(steps))] == ["F2", "F4"]


def test_every_rule_is_documented_in_the_module_docstring():
    assert all(f"\n{rule} " in lint.__doc__ or f"\n{rule}\n" in lint.__doc__ for rule in RULES)


# --- acknowledged findings -------------------------------------------------------------------


def acknowledging(rule, step=None):
    note = {"kind": "discussion", "discussion": {"en": "Known."}, "acknowledges": [rule]}
    return {**note, "step": step} if step else note


def stale_cseq():
    return edit(call(), "F5 F5r", "CSeq: 2 BYE", "CSeq: 1 BYE")


def test_a_note_acknowledging_the_rule_hides_the_finding_on_its_step():
    assert lint_flow(flow(stale_cseq(), notes=[acknowledging("cseq-order", "F5")])) == []


def test_acknowledged_findings_are_returned_marked_when_asked_for():
    document = flow(stale_cseq(), notes=[acknowledging("cseq-order", "F5")])
    found = lint_flow(document, include_acknowledged=True)
    assert [(f.step, f.rule, f.acknowledged) for f in found] == [("F5", "cseq-order", True)]


def test_a_note_on_another_step_acknowledges_nothing():
    document = flow(stale_cseq(), notes=[acknowledging("cseq-order", "F4")])
    assert findings(document, "cseq-order") == ["F5"]


def test_a_flow_level_note_acknowledges_flow_wide_findings():
    document = flow(shared_address(), notes=[acknowledging("via-received")])
    assert findings(document, "via-received") == []


def test_a_note_on_a_step_acknowledges_a_flow_wide_finding_of_its_rule():
    document = flow(shared_address(), notes=[acknowledging("via-received", "F2")])
    assert findings(document, "via-received") == []


def test_a_flow_level_note_leaves_findings_on_steps_alone():
    assert findings(flow(stale_cseq(), notes=[acknowledging("cseq-order")]), "cseq-order") == ["F5"]


# --- message-parse ---------------------------------------------------------------------------


def test_message_parse_reports_a_wrong_content_length_as_an_error():
    found = lint_flow(flow(edit(call(), "F4", "Content-Length: 0", "Content-Length: 12")))
    assert [(f.step, f.rule, f.severity) for f in found] == [("F4", "message-parse", "error")]


def test_the_rfc_placeholder_content_length_is_an_info_once_and_no_defect():
    found = lint_flow(flow(edit(call(), "F4", "Content-Length: 0", "Content-Length: ...")))
    assert [(f.step, f.rule, f.severity) for f in found] == [("F4", "message-parse", "info")]
    assert "leaves out Content-Length" in found[0].message


def test_message_parse_leaves_a_missing_max_forwards_to_its_own_rule():
    found = lint_flow(flow(edit(call(), "F4", "Max-Forwards: 70\r\n", "")))
    assert [(f.step, f.rule) for f in found] == [("F4", "max-forwards")]


# --- response-matches-request ----------------------------------------------------------------


def test_a_response_must_copy_the_cseq_number_of_its_request():
    steps = edit(call(), "F2", "CSeq: 1 INVITE", "CSeq: 2 INVITE")
    assert findings(flow(steps), "response-matches-request") == ["F2"]


def test_a_response_whose_top_via_matches_no_request_is_reported():
    steps = edit(call(), "F5r", "branch=z9hG4bKB", "branch=z9hG4bKX")
    assert findings(flow(steps), "response-matches-request") == ["F5r"]


def test_a_response_without_a_to_tag_is_reported():
    steps = edit(call(), "F2", f";tag={BOB.tag}", "")
    assert findings(flow(steps), "response-matches-request") == ["F2"]


def test_a_100_trying_may_come_without_a_to_tag():
    trying = step("F1a", "bob", "alice", response("100 Trying", call()[0]["message"]))
    assert lint_flow(flow([call()[0], trying, *call()[1:]])) == []


# --- response-path ---------------------------------------------------------------------------


def test_a_response_goes_back_to_the_sender_of_its_request():
    steps = [{**s, "from": "alice", "to": "bob"} if s["label"] == "F3" else s for s in call()]
    assert findings(flow(steps), "response-path") == ["F3"]


def test_a_proxy_relaying_a_response_removes_its_own_via():
    steps = [
        {**s, "message": proxied_call()[5]["message"]} if s["label"] == "F7" else s
        for s in proxied_call()
    ]
    assert findings(flow(steps, PROXIED), "response-path") == ["F7"]


def test_responses_relayed_by_a_proxy_follow_the_path_back():
    assert findings(flow(proxied_call(), PROXIED), "response-path") == []


# --- ack -------------------------------------------------------------------------------------


def test_an_ack_for_a_non_2xx_response_reuses_the_invite_branch_and_uri():
    assert lint_flow(flow(rejected_call())) == []


def test_an_ack_for_a_non_2xx_response_with_a_new_branch_is_reported():
    steps = edit(rejected_call(), "F4", "branch=z9hG4bK74bf9", "branch=z9hG4bK83749.1")
    assert findings(flow(steps), "ack") == ["F4"]


def test_an_ack_for_a_non_2xx_response_sent_to_the_contact_is_reported():
    steps = edit(rejected_call(), "F4", f"ACK {BOB.aor}", f"ACK {BOB.contact}")
    assert findings(flow(steps), "ack") == ["F4"]


def test_an_ack_for_a_2xx_that_reuses_the_invite_branch_is_reported():
    steps = edit(call(), "F4", "branch=z9hG4bK74bfA", "branch=z9hG4bK74bf9")
    assert findings(flow(steps), "ack") == ["F4"]


def test_an_ack_for_a_2xx_goes_to_the_contact_of_the_2xx():
    steps = edit(call(), "F4", f"ACK {BOB.contact}", f"ACK {BOB.aor}")
    assert findings(flow(steps), "ack") == ["F4"]


def test_an_ack_for_a_2xx_follows_the_route_set():
    steps = edit(proxied_call(), "F8", ROUTE + "\r\n", "")
    assert findings(flow(steps, PROXIED), "ack") == ["F8"]


# --- cancel ----------------------------------------------------------------------------------


def test_a_cancel_that_copies_its_invite_is_fine():
    assert lint_flow(flow(cancelled_call())) == []


def test_a_cancel_with_a_branch_of_its_own_is_reported():
    steps = edit(cancelled_call(), "F3 F3r", "branch=z9hG4bK74bf9", "branch=z9hG4bK74bfC")
    assert findings(flow(steps), "cancel") == ["F3"]


def test_a_cancel_before_any_provisional_response_is_reported():
    steps = [s for s in cancelled_call() if s["label"] != "F2"]
    assert findings(flow(steps), "cancel") == ["F3"]


# --- branch-unique ---------------------------------------------------------------------------


def test_a_new_request_reusing_a_branch_is_reported():
    steps = edit(call(), "F5 F5r", "branch=z9hG4bKB", "branch=z9hG4bK74bf9")
    assert findings(flow(steps), "branch-unique") == ["F5"]


def test_cancel_and_an_ack_for_a_non_2xx_reuse_the_invite_branch_rightly():
    assert findings(flow(cancelled_call()), "branch-unique") == []


def test_a_proxy_reusing_its_branch_for_another_request_is_reported():
    steps = edit(proxied_call(), "F11 F12", "z9hG4bK83749.3", "z9hG4bK83749.1")
    assert findings(flow(steps, PROXIED), "branch-unique") == ["F11"]


# --- dialog-tags -----------------------------------------------------------------------------


def test_an_in_dialog_request_with_a_wrong_tag_is_reported():
    steps = edit(call(), "F5 F5r", f"tag={BOB.tag}", "tag=31415")
    assert findings(flow(steps), "dialog-tags") == ["F5"]


def test_a_uas_changing_its_tag_between_responses_is_reported():
    steps = edit(call(), "F3", f"tag={BOB.tag}", "tag=271828")
    assert findings(flow(steps), "dialog-tags") == ["F3"]


def test_the_callee_sends_requests_with_the_tags_the_other_way_round():
    assert findings(flow(bobs_request("INFO")), "dialog-tags") == []


# --- cseq-order ------------------------------------------------------------------------------


def test_a_cseq_that_does_not_grow_in_a_dialog_is_reported():
    assert findings(flow(stale_cseq()), "cseq-order") == ["F5"]


def test_a_cseq_that_jumps_in_a_dialog_is_a_warning():
    steps = edit(call(), "F5 F5r", "CSeq: 2 BYE", "CSeq: 5 BYE")
    assert [(f.step, f.rule, f.severity) for f in lint_flow(flow(steps))] == [
        ("F5", "cseq-order", "warning")
    ]


def test_each_side_of_a_dialog_counts_its_own_cseq():
    assert findings(flow(bobs_request("BYE")), "cseq-order") == []


# --- remote-target ---------------------------------------------------------------------------


def test_an_in_dialog_request_to_the_address_of_record_is_reported():
    steps = edit(call(), "F5", f"BYE {BOB.contact}", f"BYE {BOB.aor}")
    assert findings(flow(steps), "remote-target") == ["F5"]


def test_an_in_dialog_request_without_the_route_set_is_reported():
    steps = edit(proxied_call(), "F10", ROUTE + "\r\n", "")
    assert findings(flow(steps, PROXIED), "remote-target") == ["F10"]


def test_a_route_in_a_dialog_without_record_route_is_reported():
    steps = edit(call(), "F5", "Max-Forwards", f"{ROUTE}\r\nMax-Forwards")
    assert findings(flow(steps), "remote-target") == ["F5"]


def test_in_dialog_requests_through_a_proxy_keep_the_remote_target():
    assert findings(flow(proxied_call(), PROXIED), "remote-target") == []


# --- max-forwards ----------------------------------------------------------------------------


def test_a_request_without_max_forwards_is_reported():
    steps = edit(call(), "F4", "Max-Forwards: 70\r\n", "")
    assert findings(flow(steps), "max-forwards") == ["F4"]


def test_a_proxy_that_does_not_decrement_max_forwards_is_reported():
    steps = edit(proxied_call(), "F2", "Max-Forwards: 69", "Max-Forwards: 70")
    assert findings(flow(steps, PROXIED), "max-forwards") == ["F2"]


def test_a_proxy_decrementing_max_forwards_is_fine():
    assert findings(flow(proxied_call(), PROXIED), "max-forwards") == []


# --- via-sent-by -----------------------------------------------------------------------------


def test_a_via_naming_another_participants_host_is_reported():
    steps = edit(bobs_request("BYE"), "F5 F5r", f"{BOB.host}:5061", f"{ALICE.host}:5061")
    assert findings(flow(steps), "via-sent-by") == ["F5"]


def test_senders_naming_their_own_hosts_are_fine():
    assert findings(flow(proxied_call(), PROXIED), "via-sent-by") == []


# --- via-received ----------------------------------------------------------------------------


def received(steps, labels, address, branch="z9hG4bK74bf9"):
    return edit(steps, labels, f"branch={branch}", f"branch={branch};received={address}")


def shared_address():
    """Alice's and Bob's requests both recorded as coming from 192.0.2.103."""
    steps = received(bobs_request("BYE"), "F2 F3", "192.0.2.103")
    return received(steps, "F5r", "192.0.2.103", "z9hG4bKnashds7")


def test_a_received_that_is_not_an_ip_address_is_reported():
    assert findings(flow(received(call(), "F2", "120.")), "via-received") == ["F2"]


def test_a_received_unlike_the_hosts_usual_address_is_reported():
    steps = received(received(call(), "F2", "192.0.2.103"), "F5r", "192.0.2.103", "z9hG4bKB")
    assert findings(flow(received(steps, "F3", "192.0.2.9")), "via-received") == ["F3"]


def test_an_address_recorded_for_two_hosts_is_one_flow_wide_warning():
    assert findings(flow(shared_address()), "via-received") == [None]


def test_consistent_received_addresses_are_fine():
    assert findings(flow(received(call(), "F2 F3", "192.0.2.103")), "via-received") == []


# --- required-headers ------------------------------------------------------------------------


def subscription(expires="Expires: 0"):
    subscribe = request(
        "SUBSCRIBE", ALICE, BOB, 1, "z9hG4bKs", extra=["Event: dialog", "Expires: 0"]
    )
    return exchange("F1", "alice", "bob", subscribe, BOB, extra=[expires] if expires else [])


def test_a_2xx_to_invite_without_contact_is_reported():
    steps = edit(call(), "F3", f"Contact: <{BOB.contact}>\r\n", "")
    assert findings(flow(steps), "required-headers") == ["F3"]


def test_a_2xx_to_message_with_a_contact_is_reported():
    steps = exchange("F1", "alice", "bob", request("MESSAGE", ALICE, BOB, 1, "z9hG4bKm"), BOB)
    assert findings(flow(steps), "required-headers") == ["F1r"]


def test_a_2xx_to_subscribe_that_states_its_expiry_is_fine():
    assert findings(flow(subscription()), "required-headers") == []


def test_a_2xx_to_subscribe_without_expires_is_reported():
    assert findings(flow(subscription(expires=None)), "required-headers") == ["F1r"]


# --- proxy-relay -----------------------------------------------------------------------------


def test_a_proxy_dropping_a_header_is_reported():
    steps = edit(proxied_call(), "F2", f"Contact: <{ALICE.contact}>\r\n", "")
    assert findings(flow(steps, PROXIED), "proxy-relay") == ["F2"]


def test_a_proxy_changing_the_body_is_reported():
    steps = edit(proxied_call(), "F2", "m=audio 49170", "m=audio 49171")
    assert findings(flow(steps, PROXIED), "proxy-relay") == ["F2"]


def test_a_proxy_changing_only_via_route_max_forwards_and_record_route_is_fine():
    assert findings(flow(proxied_call(), PROXIED), "proxy-relay") == []


# --- credentials -----------------------------------------------------------------------------

CHALLENGE = 'Digest realm="example.com", nonce="ea9c", qop="auth"'


def challenged_call(challenge=CHALLENGE, nonce="ea9c"):
    """Alice's INVITE is challenged by the proxy; she acknowledges and tries again."""
    first = request("INVITE", ALICE, BOB, 1, "z9hG4bK74bf9", extra=[ROUTE])
    ack = request("ACK", ALICE, BOB, 1, "z9hG4bK74bf9", extra=[ROUTE]).replace(
        BOB.address(tagged=False), BOB.address()
    )
    credentials = (
        f'Digest username="alice", realm="example.com", nonce="{nonce}", uri="{BOB.aor}", '
        'qop=auth, nc=00000001, cnonce="0a4f", response="bbae"'
    )
    second = request(
        "INVITE",
        ALICE,
        BOB,
        2,
        "z9hG4bK74bf2",
        extra=[ROUTE, f"Proxy-Authorization: {credentials}"],
    )
    refusal = response(
        "407 Proxy Authentication Required", first, BOB, [f"Proxy-Authenticate: {challenge}"]
    )
    return [
        step("F1", "alice", "proxy", first),
        step("F2", "proxy", "alice", refusal),
        step("F3", "alice", "proxy", ack),
        step("F4", "alice", "proxy", second),
    ]


def test_credentials_answering_the_challenge_are_fine():
    assert findings(flow(challenged_call(), PROXIED), "credentials") == []


def test_credentials_with_another_nonce_are_reported():
    assert findings(flow(challenged_call(nonce="cb36"), PROXIED), "credentials") == ["F4"]


def test_a_challenge_carrying_client_values_is_reported():
    challenge = CHALLENGE + ', nc=00000001, cnonce="0a4f"'
    assert findings(flow(challenged_call(challenge), PROXIED), "credentials") == ["F2"]


# --- uri-scheme ------------------------------------------------------------------------------


def referred_by(address):
    return edit(call(), "F5", "Max-Forwards", f"Referred-By: <{address}>\r\nMax-Forwards")


def test_an_address_without_a_scheme_is_reported():
    assert findings(flow(referred_by("alice@atlanta.example.com")), "uri-scheme") == ["F5"]


def test_addresses_with_a_scheme_are_fine():
    assert findings(flow(referred_by(ALICE.aor)), "uri-scheme") == []


# --- feature-tags ----------------------------------------------------------------------------


def contact_params(steps, label, params):
    return edit(steps, label, f"Contact: <{BOB.contact}>", f"Contact: <{BOB.contact}>{params}")


def test_an_unknown_contact_parameter_is_reported():
    assert findings(flow(contact_params(call(), "F3", ";automaton")), "feature-tags") == ["F3"]


def test_base_and_extension_feature_tags_are_fine():
    steps = contact_params(call(), "F3", ';automata;+sip.rendering="no"')
    assert findings(flow(steps), "feature-tags") == []


def test_sip_rendering_outside_an_invite_dialog_is_reported():
    steps = contact_params(subscription(), "F1r", ';+sip.rendering="no"')
    assert findings(flow(steps), "feature-tags") == ["F1r"]


# --- replaces-tags and join-tags -------------------------------------------------------------

RIGHT = f"{CALL};to-tag={ALICE.tag};from-tag={BOB.tag}"
SWAPPED = f"{CALL};to-tag={BOB.tag};from-tag={ALICE.tag}"


def takeover(value=RIGHT, header="Replaces"):
    """Alice calls Bob, who rings; Carol sends Alice an INVITE naming that early dialog."""
    take = request(
        "INVITE",
        CAROL,
        ALICE,
        1,
        "z9hG4bK74HH",
        uri=ALICE.contact,
        call_id="5634@chicago",
        extra=[f"{header}: {value}"],
        body=sdp(CAROL),
    )
    return [*call()[:2], step("F5", "carol", "alice", take)]


def refer_to_take_over(value):
    """Bob asks Carol to take over his ringing call with Alice, by a REFER."""
    escaped = value.replace("@", "%40").replace(";", "%3B").replace("=", "%3D")
    refer = request(
        "REFER",
        BOB,
        CAROL,
        1,
        "z9hG4bKr",
        call_id="77@biloxi",
        extra=[f"Refer-To: <{ALICE.contact}?Replaces={escaped}>"],
    )
    return [*call()[:2], step("F5", "bob", "carol", refer)]


def test_replaces_seen_by_its_recipient_is_fine():
    assert findings(flow(takeover(), THREE), "replaces-tags") == []


def test_replaces_with_the_tags_the_wrong_way_round_is_reported():
    assert findings(flow(takeover(SWAPPED), THREE), "replaces-tags") == ["F5"]


def test_replaces_naming_a_tag_no_dialog_has_is_reported():
    value = RIGHT.replace(BOB.tag, "31415")
    assert findings(flow(takeover(value), THREE), "replaces-tags") == ["F5"]


def test_replaces_sent_to_an_address_of_record_is_a_warning():
    steps = edit(takeover(), "F5", f"INVITE {ALICE.contact}", f"INVITE {ALICE.aor}")
    found = lint_flow(flow(steps, THREE))
    assert [(f.step, f.rule, f.severity) for f in found] == [("F5", "replaces-tags", "warning")]


def test_replaces_escaped_in_refer_to_is_read_as_seen_by_the_uri_it_reaches():
    assert findings(flow(refer_to_take_over(RIGHT), THREE), "replaces-tags") == []


def test_replaces_escaped_in_refer_to_with_swapped_tags_is_reported():
    assert findings(flow(refer_to_take_over(SWAPPED), THREE), "replaces-tags") == ["F5"]


def test_join_seen_by_its_recipient_is_fine():
    assert findings(flow(takeover(header="Join"), THREE), "join-tags") == []


def test_join_with_the_tags_the_wrong_way_round_is_reported():
    assert findings(flow(takeover(SWAPPED, "Join"), THREE), "join-tags") == ["F5"]


# --- sdp -------------------------------------------------------------------------------------


def offering(body):
    offer = request("INVITE", ALICE, BOB, 1, "z9hG4bK74bf9", body=body)
    return [step("F1", "alice", "bob", offer), *call()[1:]]


def test_an_empty_session_name_is_reported():
    assert findings(flow(offering(sdp(session=""))), "sdp") == ["F1"]


def test_sdp_lines_out_of_order_are_reported():
    connection = f"c=IN IP4 {ALICE.host}\r\n"
    body = sdp().replace(connection, "").replace("t=0 0\r\n", f"t=0 0\r\n{connection}")
    assert findings(flow(offering(body)), "sdp") == ["F1"]


def test_a_space_after_the_equals_sign_is_reported():
    assert findings(flow(offering(sdp().replace("t=0 0", "t= 0 0"))), "sdp") == ["F1"]


def test_a_session_name_of_a_single_space_is_fine():
    assert findings(flow(offering(sdp(session=" "))), "sdp") == []


# --- sdp-origin ------------------------------------------------------------------------------


def hold(version, session="2890844526"):
    """Bob puts Alice on hold with a re-INVITE whose SDP says sendonly."""
    offer = sdp(BOB, version, extra="a=sendonly\r\n").replace("2890844526", session, 1)
    answer = sdp(ALICE, 2, extra="a=recvonly\r\n")
    return bobs_request("INVITE", body=offer, answer=answer)


def test_a_changed_offer_with_the_version_plus_one_is_fine():
    assert findings(flow(hold(2)), "sdp-origin") == []


def test_a_changed_offer_keeping_its_version_is_reported():
    assert findings(flow(hold(1)), "sdp-origin") == ["F5"]


def test_a_changed_session_id_is_reported():
    assert findings(flow(hold(2, session="2890844999")), "sdp-origin") == ["F5"]


def test_a_new_session_reusing_another_sessions_origin_is_a_warning():
    steps = [*call()[:4], *takeover()[2:]]
    steps = edit(
        steps,
        "F5",
        f"o=carol 2890844526 1 IN IP4 {CAROL.host}",
        f"o=bob 2890844526 1 IN IP4 {BOB.host}",
    )
    assert findings(flow(steps, THREE), "sdp-origin") == ["F5"]


# --- dialog-info-version ---------------------------------------------------------------------


def notified(*versions):
    """A dialog-event subscription and NOTIFYs carrying these document versions."""
    steps = subscription()
    for n, version in enumerate(versions, start=2):
        body = (
            '<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" '
            f'version="{version}" state="full" entity="{BOB.aor}"/>\r\n'
        )
        notify = request(
            "NOTIFY",
            BOB,
            ALICE,
            n,
            f"z9hG4bKn{n}",
            dialog=True,
            extra=["Event: dialog", "Subscription-State: active"],
            body=body,
            content_type="application/dialog-info+xml",
        )
        steps += exchange(f"F{n}", "bob", "alice", notify, None)
    return steps


def test_dialog_info_versions_counting_from_zero_are_fine():
    assert findings(flow(notified(0, 1)), "dialog-info-version") == []


def test_a_repeated_dialog_info_version_is_reported():
    assert findings(flow(notified(0, 0)), "dialog-info-version") == ["F3"]


def test_a_first_dialog_info_version_other_than_zero_is_reported():
    assert findings(flow(notified(1)), "dialog-info-version") == ["F2"]


# --- participants-named ----------------------------------------------------------------------


def annotated(text, as_written=None):
    steps = [{**call()[0], "annotation": {"en": text}}, *call()[1:]]
    note = {"step": "F1", "kind": "rfc-defect", "where": "RFC 5359", "as_written": as_written}
    return flow(steps, notes=[{**note, "discussion": {"en": text}}] if as_written else [])


def test_prose_naming_someone_outside_the_flow_is_reported():
    assert findings(annotated("Alice invites Carol."), "participants-named") == ["F1"]


def test_prose_naming_the_participants_is_fine():
    assert findings(annotated("Alice invites Bob."), "participants-named") == []


def test_quoting_the_rfc_as_written_is_fine():
    text = 'The RFC says "the subscription between Bob and Carol"; it means Bob.'
    document = annotated(text, as_written="the subscription between Bob and Carol\n")
    assert findings(document, "participants-named") == []


# --- label-start-line ------------------------------------------------------------------------


def test_a_caption_naming_another_response_is_reported():
    assert findings(flow(call()), "label-start-line", captions={"F3": "180 Ringing"}) == ["F3"]


def test_captions_agreeing_with_the_start_lines_are_fine():
    captions = {"F1": "INVITE (hold)", "F2": "180", "F3": "200 OK", "F4": "ACK"}
    assert findings(flow(call()), "label-start-line", captions=captions) == []


# --- hostile input: each text is looked at once ------------------------------------------------


def test_a_dialog_info_body_of_unclosed_tags_is_read_in_one_pass():
    """100 KB of '<dialog-info' with no version took the old pattern seconds."""
    steps = notified(0, 1)
    hostile = edit(steps, "F3", 'version="1"', "<dialog-info" * 8_000 + ' version="5"')
    assert findings(flow(hostile), "dialog-info-version") == ["F3"]


def test_a_dialog_info_tag_with_many_attributes_and_no_version_is_not_numbered():
    attributes = ' a="b"' * 16_000
    hostile = edit(notified(0, 0), "F3", 'version="0"', attributes)
    assert findings(flow(hostile), "dialog-info-version") == []


def test_prose_of_unclosed_quotation_marks_is_read_in_one_pass():
    """50,000 opening marks with no closing one took the old pattern minutes."""
    text = "\u201c" * 50_000 + " Alice invites Carol."
    assert findings(annotated(text), "participants-named") == ["F1"]


def test_a_quotation_of_the_rfc_after_many_unclosed_marks_is_still_recognised():
    text = "\u201c" * 30_000 + ' The RFC says "Bob and Carol talk".'
    document = annotated(text, as_written="Bob and Carol talk\n")
    assert findings(document, "participants-named") == []


# --- placeholders, sections and root causes ------------------------------------------------


def test_a_body_left_out_with_a_placeholder_is_not_checked_as_sdp():
    steps = edit(call(), "F1", sdp(), "(SDP not shown)")
    found = [f for f in lint_flow(flow(steps)) if f.step == "F1"]
    assert [(f.rule, f.severity) for f in found] == [("message-parse", "info")]
    assert "leaves out the body" in found[0].message


def test_an_sdp_body_that_is_wrong_is_still_reported():
    steps = edit(call(), "F1", "s=-", "s=")
    assert findings(flow(steps), "sdp") == ["F1"]


def test_every_finding_carries_the_rfc_section_it_rests_on():
    steps = edit(call(), "F3", "CSeq: 1 INVITE", "CSeq: 2 INVITE")
    found = lint_flow(flow(steps))
    assert found and all(f.rfc.startswith("RFC ") and "§" in f.rfc for f in found)


def test_a_finding_names_the_section_its_sentence_cites():
    steps = edit(call(), "F3", "CSeq: 1 INVITE", "CSeq: 2 INVITE")
    cited = {f.rule: f.rfc for f in lint_flow(flow(steps))}
    assert cited["response-matches-request"] == "RFC 3261 §8.2.6.2"


def test_a_defect_relayed_by_a_proxy_is_reported_once_where_it_arises():
    sdp_type = "Content-Type: application/sdp"
    steps = edit(proxied_call(), "F1 F2", sdp_type, f"{sdp_type}\r\nX-Bad Header: 1")
    found = [f for f in lint_flow(flow(steps, PROXIED)) if f.rule == "message-parse"]
    assert [(f.step, f.hops) for f in found] == [("F1", ("F2",))]
    assert found[0].message.endswith("The same is carried on in F2.")


def test_a_defect_a_proxy_introduces_is_reported_at_the_proxy():
    sdp_type = "Content-Type: application/sdp"
    steps = edit(proxied_call(), "F2", sdp_type, f"{sdp_type}\r\nX-Bad Header: 1")
    found = [f for f in lint_flow(flow(steps, PROXIED)) if f.rule == "message-parse"]
    assert [(f.step, f.hops) for f in found] == [("F2", ())]


def on_one_host(steps):
    """The flow as a lab capture has it: every lane on 127.0.0.1, each on a port of its own."""
    lanes = {
        "client.atlanta.example.com": "127.0.0.1:5060",
        "client.biloxi.example.com": "127.0.0.1:5062",
        PROXY_HOST: "127.0.0.1:5064",
    }
    out = []
    for s in steps:
        text = s["message"]
        for host, address in lanes.items():
            text = text.replace(f"{host}:5061", address).replace(host, address)
        out.append({**s, "message": text})
    return out


def test_lanes_on_one_host_told_apart_by_port_give_no_via_findings():
    assert findings(flow(on_one_host(proxied_call()), PROXIED), "via-sent-by") == []


def test_a_via_naming_another_lanes_port_on_the_same_host_is_reported():
    steps = on_one_host(proxied_call())
    steps = edit(steps, "F10", "Via: SIP/2.0/TLS 127.0.0.1:5060", "Via: SIP/2.0/TLS 127.0.0.1:5062")
    assert findings(flow(steps, PROXIED), "via-sent-by") == ["F10"]


def test_a_retransmitted_request_keeps_its_branch_and_cseq():
    steps = call()
    again = {**steps[0], "label": "F1a"}
    document = flow([steps[0], again, *steps[1:]])
    assert findings(document, "branch-unique") == []
    assert findings(document, "cseq-order") == []


def test_a_new_request_reusing_a_branch_is_still_reported():
    steps = call()
    document = flow(edit(steps, "F5", "z9hG4bKB", "z9hG4bK74bf9"))
    assert findings(document, "branch-unique") == ["F5"]


def test_sip_uris_are_compared_as_rfc_3261_compares_them():
    assert lint.same_uri("sip:Bob@Biloxi.example.com;transport=tcp", "sip:Bob@biloxi.example.com")
    assert not lint.same_uri("sip:bob@biloxi.example.com", "sip:BOB@biloxi.example.com")
    assert not lint.same_uri("sip:+1555@gw.example.com;user=phone", "sip:+1555@gw.example.com")
    assert not lint.same_uri("sip:bob@biloxi.example.com", "sip:bob@biloxi.example.com:5060")


def test_a_request_uri_equal_to_the_remote_target_but_for_transport_is_fine():
    steps = edit(
        call(), "F3", f"Contact: <{BOB.contact}>", f"Contact: <{BOB.contact};transport=tls>"
    )
    assert findings(flow(steps), "ack") == []


# --- precision on a call-flow RFC as imported --------------------------------------------------

PRECISION = Path(__file__).resolve().parents[1] / "data" / "checker_precision_rfc3666.yaml"


@pytest.fixture(scope="module")
def rfc3666_findings():
    reading = read_call_flows((REFERENCE / "rfc3666.txt").read_text(encoding="utf-8"))
    found = set()
    for document in reading.flows:
        captions = {c.label: c.text for c in reading.captions if c.flow == document["slug"]}
        section = document["source"]["section"]
        found |= {
            (section, f.step, f.rule, f.message) for f in lint_flow(document, captions=captions)
        }
    return found


@pytest.fixture(scope="module")
def sampled():
    return yaml.safe_load(PRECISION.read_text(encoding="utf-8"))["findings"]


def test_every_sampled_finding_on_rfc_3666_still_appears_or_is_recorded_gone(
    rfc3666_findings, sampled
):
    missing = [
        entry
        for entry in sampled
        if not entry.get("gone")
        and not any(
            (flow, step, rule) == (entry["flow"], entry["step"], entry["rule"])
            and message.startswith(entry["says"])
            for flow, step, rule, message in rfc3666_findings
        )
    ]
    assert missing == []


def test_at_least_nine_in_ten_sampled_findings_on_rfc_3666_are_true(sampled):
    standing = [entry for entry in sampled if not entry.get("gone")]
    assert len(standing) >= 40
    assert sum(entry["true"] for entry in standing) / len(standing) >= 0.9


# --- rules read from messages and lanes -----------------------------------------------------


def with_media(steps, media, frm="alice", to="bob"):
    leg = {
        "label": "M1",
        "kind": "media",
        "from": frm,
        "to": to,
        "media": media,
        "text": {"en": "RTP"},
    }
    return [*steps[:4], leg, *steps[4:]]


def test_a_two_way_leg_between_sendrecv_ends_is_fine():
    assert findings(flow(with_media(call(), "two-way")), "media-direction") == []


def test_a_two_way_leg_where_one_end_only_receives_is_reported():
    steps = edit(
        call(), "F1", "m=audio 49170 RTP/AVP 0\r\n", "m=audio 49170 RTP/AVP 0\r\na=recvonly\r\n"
    )
    assert findings(flow(with_media(steps, "two-way")), "media-direction") == ["M1"]


def test_a_one_way_leg_from_the_sender_to_the_receiver_is_fine():
    steps = edit(
        call(), "F1", "m=audio 49170 RTP/AVP 0\r\n", "m=audio 49170 RTP/AVP 0\r\na=sendonly\r\n"
    )
    assert findings(flow(with_media(steps, "one-way")), "media-direction") == []


def test_a_one_way_leg_drawn_against_the_sdp_is_reported():
    steps = edit(
        call(), "F1", "m=audio 49170 RTP/AVP 0\r\n", "m=audio 49170 RTP/AVP 0\r\na=sendonly\r\n"
    )
    assert findings(flow(with_media(steps, "one-way", "bob", "alice")), "media-direction") == ["M1"]


def three_party_subscription(uri):
    subscribe = request(
        "SUBSCRIBE", ALICE, CAROL, 1, "z9hG4bKs1", uri=uri, extra=["Event: dialog", "Expires: 60"]
    )
    return flow(
        [*call()[:2], *exchange("F5", "alice", "carol", subscribe, CAROL, extra=["Expires: 60"])],
        THREE,
    )


def test_an_initial_request_to_the_party_its_to_names_is_fine():
    assert findings(three_party_subscription(CAROL.aor), "request-target") == []


def test_an_initial_request_uri_naming_another_participant_is_reported():
    assert findings(three_party_subscription(BOB.aor), "request-target") == ["F5"]


def test_feature_tags_in_contact_are_fine():
    steps = edit(call(), "F1", f"Contact: <{ALICE.contact}>", f"Contact: <{ALICE.contact}>;isfocus")
    assert findings(flow(steps), "feature-tags") == []


def test_a_feature_tag_in_the_to_header_is_reported():
    steps = edit(
        call(),
        "F1",
        "To: Bob <sips:bob@biloxi.example.com>",
        "To: Bob <sips:bob@biloxi.example.com>;isfocus",
    )
    assert findings(flow(steps), "feature-tags") == ["F1"]


def test_a_listing_heading_agreeing_with_the_start_line_is_fine():
    headings = {"F1": "INVITE Alice -> Bob", "F3": "200 OK Bob -> Alice", "F4": "ACK Alice -> Bob"}
    assert findings(flow(call()), "label-start-line", headings=headings) == []


def test_a_listing_heading_with_a_reason_phrase_after_a_method_is_reported():
    assert findings(flow(call()), "label-start-line", headings={"F4": "ACK OK Alice -> Bob"}) == [
        "F4"
    ]


def test_a_listing_heading_naming_another_response_is_reported():
    assert findings(flow(call()), "label-start-line", headings={"F3": "180 Ringing Bob"}) == ["F3"]


def test_headers_under_a_line_that_breaks_the_header_block_are_one_finding():
    contact = f"Contact: <{ALICE.contact}>"
    steps = edit(call(), "F1", contact, f"Contact:\r\n<{ALICE.contact}>")
    found = [f for f in lint_flow(flow(steps)) if f.step == "F1" and f.rule == "message-parse"]
    assert len(found) == 1
    assert found[0].message.endswith(
        "The Content-Type and Content-Length below it are read as body."
    )
