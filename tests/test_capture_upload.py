"""Editors bring in their own captures in the browser: one flow per call, previewed first."""

import io
import random
from pathlib import Path

from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile

from sipflows.models import Flow

CAPTURES = Path(__file__).resolve().parent / "data" / "pcap"


def upload(client, name, data):
    return client.post("/flows/import/", {"file": SimpleUploadedFile(name, data)})


def test_a_capture_is_previewed_as_new_flows_then_saved(client, editor):
    response = upload(client, "Lab Call.pcap", (CAPTURES / "call-hold.pcap").read_bytes())
    page = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 200
    previews = page.select("section.upload-preview")
    assert previews and previews[0]["id"].startswith("preview-lab-call-")
    assert Flow.objects.count() == 0  # nothing saved before the editor confirms
    form = page.select_one("section.upload-preview").find_parent("form")
    fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    fields["document_text"] = form.select_one("textarea[name=document_text]").get_text()
    assert client.post("/flows/import/", fields).status_code == 302
    flow = Flow.objects.get()
    assert flow.slug.startswith("lab-call-") and flow.steps.filter(kind="message").count() > 5


def noise_capture(packets: int) -> bytes:
    """A pcap of UDP datagrams holding random bytes on the SIP port."""
    import dpkt

    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out)
    for n in range(packets):
        datagram = dpkt.udp.UDP(sport=5060, dport=5060, data=random.randbytes(60))
        datagram.ulen = len(datagram)
        packet = dpkt.ip.IP(src=b"\x7f\x00\x00\x01", dst=b"\x7f\x00\x00\x02", p=17)
        packet.data = datagram
        packet.len = len(packet)
        frame = dpkt.ethernet.Ethernet(data=packet, type=dpkt.ethernet.ETH_TYPE_IP)
        writer.writepkt(bytes(frame), ts=n)
    return out.getvalue()


def test_a_capture_with_no_sip_says_so_and_saves_nothing(client, editor):
    response = upload(client, "noise.pcap", noise_capture(50))
    problems = BeautifulSoup(response.content, "html.parser").select_one("#upload-problems")
    assert response.status_code == 400
    assert "no SIP message" in problems.get_text()
    assert Flow.objects.count() == 0


def test_a_truncated_capture_is_a_clear_problem(client, editor):
    data = (CAPTURES / "call-hold.pcap").read_bytes()[:30]
    response = upload(client, "cut.pcap", data)
    assert response.status_code == 400
    assert BeautifulSoup(response.content, "html.parser").select_one("#upload-problems")
    assert Flow.objects.count() == 0
