import json
from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from sipflows.models import Flow, Note, Step
from tests.conftest import save_edit
from tests.samples import SAMPLE_FLOW


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def sample_file(tmp_path):
    path = tmp_path / "sample-call.yaml"
    path.write_text(SAMPLE_FLOW, encoding="utf-8")
    return path


def test_import_creates_the_flow_with_its_steps_and_notes(db, sample_file):
    assert run("import_flows", str(sample_file)) == "Imported 1 flow(s).\n"
    flow = Flow.objects.get(slug="sample-call")
    assert [s.label for s in flow.steps.all()] == ["F1", "F2", "M1", "E1"]
    assert flow.notes.get(kind="rfc-defect").step.label == "F2"
    assert flow.steps.get(label="F1").message.endswith("Content-Length: 0\r\n\r\n")


def test_export_prints_what_was_imported_exactly(db, sample_file):
    run("import_flows", str(sample_file))
    exported = run("export_flows", "sample-call")
    assert yaml.safe_load(exported) == yaml.safe_load(SAMPLE_FLOW)


def test_export_then_import_then_export_is_identical(db, sample_file, tmp_path):
    run("import_flows", str(sample_file))
    first = run("export_flows", "--format", "json")
    again = tmp_path / "again.json"
    again.write_text(first, encoding="utf-8")
    run("import_flows", str(again))
    assert run("export_flows", "--format", "json") == first
    assert [d["slug"] for d in json.loads(first)] == ["sample-call"]


def test_import_replaces_a_flow_with_the_same_slug(db, sample_file, tmp_path):
    run("import_flows", str(sample_file))
    edited = yaml.safe_load(SAMPLE_FLOW)
    edited["steps"] = edited["steps"][:2]
    edited["notes"] = []
    path = tmp_path / "edited.yaml"
    path.write_text(yaml.safe_dump(edited, allow_unicode=True), encoding="utf-8")
    run("import_flows", str(path))
    assert Flow.objects.count() == 1
    assert Step.objects.count() == 2
    assert Note.objects.count() == 0


def test_keep_existing_never_overwrites_an_edited_flow(db, sample_file):
    run("import_flows", str(sample_file))
    save_edit(Flow.objects.get(), lambda document: document.update(title={"en": "Edited"}))
    out = run("import_flows", "--keep-existing", str(sample_file))
    assert out == "Imported 0 flow(s); kept 1 already in the library.\n"
    assert Flow.objects.get().title == {"en": "Edited"}


def test_bad_document_changes_nothing_and_says_where(db, sample_file, tmp_path):
    run("import_flows", str(sample_file))
    broken = yaml.safe_load(SAMPLE_FLOW)
    broken["slug"] = "another-flow"
    broken["steps"][1]["from"] = "carol"
    bad = tmp_path / "broken.yaml"
    bad.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(SAMPLE_FLOW.replace("slug: sample-call", "slug: fresh-flow"), encoding="utf-8")
    with pytest.raises(CommandError) as error:
        run("import_flows", str(good), str(bad))
    assert "broken.yaml (another-flow): step F2: key 'from': 'carol'" in str(error.value)
    assert "Nothing was imported" in str(error.value)
    assert list(Flow.objects.values_list("slug", flat=True)) == ["sample-call"]


def test_import_of_a_missing_path_says_so(db):
    with pytest.raises(CommandError, match="no-such.yaml: no such file or folder"):
        run("import_flows", "no-such.yaml")


def test_export_of_an_unknown_slug_says_so(db):
    with pytest.raises(CommandError, match="No flow with slug 'nope'"):
        run("export_flows", "nope")


def test_the_document_limits_are_the_columns_lengths():
    from sipflows.models import Flow, Note, Participant
    from sipflows.sip import flowdoc

    assert {
        "name": Participant._meta.get_field("name").max_length,
        "document": Flow._meta.get_field("source_document").max_length,
        "section": Flow._meta.get_field("source_section").max_length,
        "where": Note._meta.get_field("where").max_length,
        "slug": Flow._meta.get_field("slug").max_length,
        "key": Participant._meta.get_field("key").max_length,
        "label": Step._meta.get_field("label").max_length,
        "note key": Note._meta.get_field("key").max_length,
    } == {
        "name": flowdoc.MAX_NAME,
        "document": flowdoc.MAX_SOURCE_DOCUMENT,
        "section": flowdoc.MAX_SOURCE_SECTION,
        "where": flowdoc.MAX_WHERE,
        "slug": 64,
        "key": 32,
        "label": 16,
        "note key": 16,
    }


def test_a_name_longer_than_its_column_changes_nothing(db, tmp_path):
    path = tmp_path / "long.yaml"
    path.write_text(SAMPLE_FLOW.replace("name: Bob,", f"name: {'B' * 101},"), encoding="utf-8")
    with pytest.raises(CommandError, match=r"participants\[1\].name': is 101 characters long"):
        run("import_flows", str(path))
    assert not Flow.objects.exists()


def test_a_yaml_bomb_changes_nothing(db, tmp_path):
    from tests.sip.test_flowdoc import BILLION_LAUGHS

    path = tmp_path / "laughs.yaml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    with pytest.raises(CommandError, match="alias"):
        run("import_flows", str(path))
    assert not Flow.objects.exists()
