from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sipflows.models import Flow
from sipflows.sip.flowdoc import parse_documents
from tests.sip.test_rfcreader import BASIC, PAGE_BREAK

# A page of RFC 5359-like text: section 2.16 becomes the call-pickup slot.
SAMPLE = BASIC.replace("3.1.  Basic Call", "2.16.  Call Pickup") + PAGE_BREAK


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("import_rfc", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def rfc_file(tmp_path):
    path = tmp_path / "rfc9999.txt"
    path.write_text(SAMPLE.replace("RFC 9999", "RFC 5359"), encoding="utf-8")
    return path


def test_out_writes_one_yaml_document_per_flow_and_leaves_the_library_alone(rfc_file, tmp_path):
    # No database access is allowed in this test: writing files must not touch the library.
    out, _ = run(str(rfc_file), "--out", str(tmp_path / "flows"))
    written = tmp_path / "flows" / "call-pickup.yaml"
    document = parse_documents(written.read_text(encoding="utf-8"), name=written.name)[0]
    assert document["source"] == {"document": "RFC 5359", "section": "2.16"}
    assert [s["label"] for s in document["steps"]] == ["F1", "F2"]
    assert "nothing imported" in out


@pytest.mark.django_db
def test_without_out_the_flows_are_imported_into_the_library(rfc_file):
    out, _ = run(str(rfc_file))
    flow = Flow.objects.get(slug="call-pickup")
    assert [s.label for s in flow.steps.all()] == ["F1", "F2"]
    assert "new: call-pickup" in out


@pytest.mark.django_db
def test_importing_over_a_flow_in_the_library_changes_nothing_without_replace(rfc_file):
    run(str(rfc_file))
    Flow.objects.filter(slug="call-pickup").update(summary={"en": "Annotated by an editor."})
    with pytest.raises(CommandError, match="already holds call-pickup: nothing was imported"):
        run(str(rfc_file))
    assert Flow.objects.get().summary == {"en": "Annotated by an editor."}


@pytest.mark.django_db
def test_replace_says_which_flows_were_replaced(rfc_file):
    run(str(rfc_file))
    out, _ = run(str(rfc_file), "--replace")
    assert Flow.objects.count() == 1
    assert "replaced (earlier revisions kept in their history): call-pickup" in out


def test_problems_are_printed_to_stderr_with_file_line_and_section(tmp_path):
    path = tmp_path / "rfc9999.txt"
    text = SAMPLE.replace("F2 200 OK Bob -> Alice", "F2 200 OK Alice -> Bob")
    path.write_text(text, encoding="utf-8")
    line = text.split("\n").index("   F2 200 OK Alice -> Bob") + 1
    _, err = run(str(path), "--out", str(tmp_path))
    assert err == (
        f"rfc9999.txt:{line}: §2.16 F2: listing says 'Alice -> Bob', the diagram draws "
        "Bob -> Alice: the diagram's direction is kept\n"
    )


def test_reading_nothing_is_an_error(tmp_path):
    path = tmp_path / "prose.txt"
    path.write_text("1.  Introduction\n\n   No call flows here.\n", encoding="utf-8")
    with pytest.raises(CommandError, match="No call flow could be read from prose.txt"):
        run(str(path), "--out", str(tmp_path))


def test_a_missing_section_is_reported_and_is_an_error(rfc_file, tmp_path):
    with pytest.raises(CommandError, match="section 4.1 of rfc9999.txt"):
        run(str(rfc_file), "--section", "4.1", "--out", str(tmp_path))
