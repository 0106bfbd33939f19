import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sipflows.services import flows_import
from tests.sip.test_lint import BOB, call, edit, flow

# An RFC-style section: a ladder whose F2 is drawn as 180 Ringing but listed as 200 OK.
RFC_TEXT = """\
2.1.  Busy Call

           Alice                 Bob
             |                    |
             |     INVITE F1      |
             |------------------->|
             |   180 Ringing F2   |
             |<-------------------|
             |                    |

   Message Details

      F1 INVITE Alice -> Bob

      INVITE sips:bob@biloxi.example.com SIP/2.0
      Via: SIP/2.0/TLS client.atlanta.example.com:5061;branch=z9hG4bK74bf9
      Max-Forwards: 70
      From: Alice <sips:alice@atlanta.example.com>;tag=1234567
      To: Bob <sips:bob@biloxi.example.com>
      Call-ID: 12345600@atlanta.example.com
      CSeq: 1 INVITE
      Contact: <sips:alice@client.atlanta.example.com>
      Content-Length: 0

      F2 200 OK Bob -> Alice

      SIP/2.0 200 OK
      Via: SIP/2.0/TLS client.atlanta.example.com:5061;branch=z9hG4bK74bf9
      From: Alice <sips:alice@atlanta.example.com>;tag=1234567
      To: Bob <sips:bob@biloxi.example.com>;tag=314159
      Call-ID: 12345600@atlanta.example.com
      CSeq: 1 INVITE
      Contact: <sips:bob@client.biloxi.example.com>
      Content-Length: 0
"""


def run(*args):
    out = StringIO()
    call_command("lint_flows", *args, stdout=out)
    return out.getvalue()


def library_flow(slug, steps, notes=()):
    return {**flow(steps, notes=notes), "slug": slug}


@pytest.fixture
def library(db):
    """A clean call, and a call whose BYE goes to Bob's address of record."""
    wrong_target = edit(call(), "F5", f"BYE {BOB.contact}", f"BYE {BOB.aor}")
    flows_import(
        documents=[library_flow("clean-call", call()), library_flow("stray-bye", wrong_target)]
    )


@pytest.fixture
def rfc_file(tmp_path):
    path = tmp_path / "rfc.txt"
    path.write_text(RFC_TEXT, encoding="utf-8")
    return str(path)


def test_text_output_has_one_line_per_finding_and_a_summary(library):
    lines = run().splitlines()
    assert lines[0].startswith("stray-bye F5 error remote-target: F5 has Request-URI ")
    assert lines[1:] == ["1 finding(s), 1 error(s) and 0 warning(s), in 1 of 2 flow(s)."]


def test_json_output_is_a_list_of_findings_named_by_flow(library):
    rows = json.loads(run("--format", "json"))
    assert [(r["flow"], r["step"], r["rule"], r["severity"]) for r in rows] == [
        ("stray-bye", "F5", "remote-target", "error")
    ]


def test_only_the_flows_named_are_linted(library):
    assert run("clean-call") == "0 finding(s), 0 error(s) and 0 warning(s), in 0 of 1 flow(s).\n"


def test_an_unknown_slug_is_an_error(library):
    with pytest.raises(CommandError, match="No flow with slug 'nowhere'"):
        run("clean-call", "nowhere")


def test_acknowledged_findings_are_counted_but_not_listed(db):
    steps = edit(call(), "F5", f"BYE {BOB.contact}", f"BYE {BOB.aor}")
    note = {"step": "F5", "kind": "discussion", "discussion": {"en": "On purpose."}}
    flows_import(
        documents=[library_flow("known", steps, [{**note, "acknowledges": ["remote-target"]}])]
    )
    assert run().endswith("in 0 of 1 flow(s); 1 acknowledged by notes, not listed.\n")


def test_an_rfc_as_written_is_linted_by_section(rfc_file):
    rows = json.loads(run("--rfc", rfc_file, "--format", "json"))
    assert [(r["flow"], r["step"], r["rule"]) for r in rows] == [("2.1", "F2", "label-start-line")]


def test_an_unreadable_rfc_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("--rfc", str(tmp_path / "missing.txt"))


def test_an_rfc_section_that_is_not_there_is_an_error(rfc_file):
    with pytest.raises(CommandError, match="no call flow '9.9'"):
        run("--rfc", rfc_file, "9.9")


@pytest.mark.django_db
def test_an_rfc_with_a_form_feed_before_other_text_is_checked(tmp_path):
    path = tmp_path / "draft.txt"
    path.write_text("\fINTERNET-DRAFT  Sample  May 2024\n\n" + RFC_TEXT, encoding="utf-8")
    out = StringIO()
    call_command("lint_flows", "--rfc", str(path), "--format", "json", stdout=out)
    assert {row["flow"] for row in json.loads(out.getvalue())} == {"2.1"}


def test_each_finding_names_the_rfc_section_it_rests_on(library):
    rows = json.loads(run("--format", "json"))
    assert [(row["rule"], row["rfc"]) for row in rows] == [("remote-target", "RFC 3261 §12.2.1.1")]
    assert run().splitlines()[0].endswith("[RFC 3261 §12.2.1.1]")


def test_an_rfc_with_two_figures_in_one_section_names_each_flow_by_its_slug(tmp_path):
    path = tmp_path / "rfc.txt"
    figure = RFC_TEXT.split("\n", 1)[1]
    path.write_text(RFC_TEXT + "\n   Figure 1\n\n" + figure, encoding="utf-8")
    rows = json.loads(run("--rfc", str(path), "--format", "json"))
    assert {row["flow"] for row in rows} == {"2-1-busy-call", "2-1-busy-call-2"}
