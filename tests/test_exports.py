import io
import struct
import zipfile
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from sipflows.models import Flow
from sipflows.sip.flowdoc import parse_documents
from tests.sip.packets import noise
from tests.sip.wire import library_document

pytestmark = pytest.mark.django_db
CAPTURES = Path(__file__).resolve().parent / "data" / "pcap"


def run(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "download" in attrs:
            self.links.append(attrs["href"])


def download_links(page):
    parser = Links()
    parser.feed(page)
    return parser.links


def test_export_writes_a_sipp_folder_with_a_runnable_script(library, tmp_path):
    export_call_hold_to_sipp(tmp_path)
    folder = tmp_path / "call-hold"
    assert sorted(p.name for p in folder.iterdir()) == [
        "README.txt",
        "alice.xml",
        "bob.xml",
        "lanes.tsv",
        "pcmu.pcap",
        "proxy.xml",
        "run.sh",
    ]
    assert (folder / "run.sh").stat().st_mode & 0o111


def export_call_hold_to_sipp(out, *options):
    return run("export_flows", "call-hold", "--format", "sipp", "--out", str(out), *options)


def test_export_takes_lane_addresses(library, tmp_path):
    export_call_hold_to_sipp(tmp_path, "--lane", "bob=10.0.0.7:5080")
    rows = (tmp_path / "call-hold" / "lanes.tsv").read_text().splitlines()
    assert "bob\tBob\tua\tserver\t10.0.0.7\t5080\t6000" in rows


def test_export_refuses_a_lane_the_flow_does_not_have_and_writes_nothing(library, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(CommandError, match="'carol' is not a lane of call-hold. Nothing"):
        export_call_hold_to_sipp(out, "--lane", "carol=10.0.0.7")
    assert not out.exists()


@pytest.mark.parametrize(
    ("fmt", "name", "start"),
    [
        ("svg", "sample-call.svg", b"<svg"),
        ("png", "sample-call.png", b"\x89PNG"),
        ("mermaid", "sample-call.mmd", b"sequenceDiagram"),
        ("plantuml", "sample-call.puml", b"@startuml"),
        ("html", "sample-call.html", b"<!DOCTYPE html>"),
    ],
)
def test_export_writes_each_diagram_format(sample_flow, tmp_path, fmt, name, start):
    run("export_flows", "sample-call", "--format", fmt, "--out", str(tmp_path))
    assert (tmp_path / name).read_bytes().startswith(start)


def test_a_text_export_of_one_flow_goes_to_stdout(sample_flow):
    assert run("export_flows", "sample-call", "--format", "mermaid").startswith("sequenceDiagram\n")


def test_a_png_needs_a_folder(sample_flow):
    with pytest.raises(CommandError, match="--format png writes files: give --out DIR"):
        run("export_flows", "sample-call", "--format", "png")


def test_chinese_diagrams_are_named_apart(library, tmp_path):
    run(
        "export_flows",
        "music-on-hold",
        "--format",
        "plantuml",
        "--lang",
        "zh",
        "--out",
        str(tmp_path),
    )
    title = library_document("music-on-hold")["title"]["zh"]
    assert f"title {title}" in (tmp_path / "music-on-hold.zh.puml").read_text().splitlines()


def test_yaml_export_is_unchanged(sample_flow):
    exported = yaml.safe_load(run("export_flows", "sample-call"))
    assert exported["slug"] == "sample-call" and "steps" in exported


def test_import_pcap_imports_the_calls_of_a_capture(db):
    output = run("import_pcap", str(CAPTURES / "call-hold.pcap"))
    flow = Flow.objects.get(slug="call-hold-1")
    assert output == "Imported 1 flow(s) from call-hold.pcap: call-hold-1\n"
    assert flow.steps.filter(kind="message").count() == 25
    assert [p.name for p in flow.participants.all()] == ["Alice", "Proxy", "Bob"]


def test_import_pcap_with_out_writes_documents_and_leaves_the_library_alone(db, tmp_path):
    run("import_pcap", str(CAPTURES / "transfer-attended.pcap"), "--out", str(tmp_path))
    [document] = parse_documents((tmp_path / "transfer-attended-1.yaml").read_bytes(), name="x")
    assert len([s for s in document["steps"] if s["kind"] == "message"]) == 27
    assert not Flow.objects.exists()


def test_import_pcap_twice_changes_nothing_the_second_time(db):
    run("import_pcap", str(CAPTURES / "call-hold.pcap"))
    with pytest.raises(CommandError, match="already holds call-hold-1: nothing was imported"):
        run("import_pcap", str(CAPTURES / "call-hold.pcap"))
    assert Flow.objects.count() == 1


def test_a_truncated_capture_is_refused_with_its_packet_and_changes_nothing(library, tmp_path):
    data = (CAPTURES / "call-hold.pcap").read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:5000])
    before = Flow.objects.count()
    with pytest.raises(CommandError, match=r"cut.pcap: packet \d+: the capture ends inside it"):
        run("import_pcap", str(cut))
    assert Flow.objects.count() == before


def test_a_capture_of_another_link_type_is_refused(db, tmp_path):
    data = bytearray((CAPTURES / "call-hold.pcap").read_bytes())
    data[20:24] = struct.pack("<I", 147)
    odd = tmp_path / "odd.pcap"
    odd.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="link type 147 is not one sipflows reads"):
        run("import_pcap", str(odd))
    assert not Flow.objects.exists()


def test_a_capture_of_noise_is_refused_and_changes_nothing(sample_flow, tmp_path):
    path = tmp_path / "noise.pcap"
    path.write_bytes(noise(10_000))
    with pytest.raises(CommandError, match="no SIP message in 10000 packet.*Nothing was imported"):
        run("import_pcap", str(path))
    assert list(Flow.objects.values_list("slug", flat=True)) == ["sample-call"]


def test_the_flow_overview_offers_every_download(client, library):
    page = client.get("/flows/call-hold/").content.decode()
    assert download_links(page) == [
        f"/flows/call-hold/export/{fmt}/"
        for fmt in ("html", "svg", "png", "mermaid", "plantuml", "sipp")
    ]


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename"),
    [
        ("html", "text/html; charset=utf-8", "sample-call.html"),
        ("svg", "image/svg+xml", "sample-call.svg"),
        ("png", "image/png", "sample-call.png"),
        ("mermaid", "text/plain; charset=utf-8", "sample-call.mmd"),
        ("plantuml", "text/plain; charset=utf-8", "sample-call.puml"),
        ("sipp", "application/zip", "sample-call-sipp.zip"),
    ],
)
def test_a_download_is_a_named_file(client, sample_flow, fmt, content_type, filename):
    response = client.get(f"/flows/sample-call/export/{fmt}/")
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_the_sipp_download_unpacks_to_a_runnable_folder(client, library):
    archive = zipfile.ZipFile(io.BytesIO(client.get("/flows/call-hold/export/sipp/").content))
    script = archive.getinfo("call-hold/run.sh")
    assert script.external_attr >> 16 & 0o111
    assert "call-hold/alice.xml" in archive.namelist()


def test_diagrams_follow_the_readers_language(client, library):
    client.cookies["django_language"] = "zh-hans"
    response = client.get("/flows/music-on-hold/export/mermaid/")
    assert response["Content-Disposition"] == 'attachment; filename="music-on-hold.zh.mmd"'


def test_an_unknown_export_format_is_not_found(client, sample_flow):
    assert client.get("/flows/sample-call/export/visio/").status_code == 404


def test_the_downloads_speak_the_readers_language(client, library):
    client.cookies["django_language"] = "zh-hans"
    page = client.get("/flows/call-hold/").content.decode()
    assert "带走这个流程" in page and "Take this flow with you" not in page
