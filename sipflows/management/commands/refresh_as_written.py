from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sipflows.sip.aswritten import with_reader_notes
from sipflows.sip.flowdoc import dump_documents, validate_document
from sipflows.sip.rfc5359 import FLOW_SLOTS
from sipflows.sip.rfcreader import read_call_flows

# The reference texts sit in a shared folder beside the clone (CI), or beside the folder
# that holds the clone and its work trees.
SHARED_RFC = Path("shared", "reference", "rfc5359.txt")
DEFAULT_RFC = next(
    (
        folder / SHARED_RFC
        for folder in (settings.BASE_DIR.parent, settings.BASE_DIR.parent.parent)
        if (folder / SHARED_RFC).exists()
    ),
    settings.BASE_DIR.parent / SHARED_RFC,
)
DEFAULT_OUT = settings.BASE_DIR / "fixtures" / "as-written"


class Command(BaseCommand):
    help = (
        "Read RFC 5359 with the project's reader and write each service flow as the RFC prints "
        "it (arrows as drawn, messages as listed) to fixtures/as-written/<slug>.yaml, the "
        "documents the flow pages' 'As RFC 5359 printed it' view compares with. The library "
        "is untouched."
    )

    def add_arguments(self, parser):
        parser.add_argument("--rfc", default=str(DEFAULT_RFC), help="RFC 5359 as plain text")
        parser.add_argument("--out", default=str(DEFAULT_OUT), help="the folder to write to")

    def handle(self, *args, rfc, out, **options):
        path = Path(rfc)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise CommandError(
                f"{rfc}: {exc.strerror}. Give RFC 5359's text with --rfc PATH; nothing was written."
            ) from None
        reading = read_call_flows(text, document="RFC 5359")
        flows = {flow["slug"]: flow for flow in reading.flows}
        missing = [slot.slug for slot in FLOW_SLOTS if slot.slug not in flows]
        if missing:
            raise CommandError(
                f"{path.name} did not give {', '.join(missing)}: is it RFC 5359? "
                "Nothing was written."
            )
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        for slot in FLOW_SLOTS:
            flow = with_reader_notes(flows[slot.slug], reading, path.name)
            document = validate_document(flow, name=slot.slug)
            (folder / f"{slot.slug}.yaml").write_text(dump_documents([document]), encoding="utf-8")
        self.stdout.write(
            f"Wrote {len(FLOW_SLOTS)} as-written flow(s) from {path.name} to {folder}."
        )
