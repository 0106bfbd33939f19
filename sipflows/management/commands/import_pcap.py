from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sipflows.models import Flow
from sipflows.services import flows_import
from sipflows.sip.flowdoc import dump_documents
from sipflows.sip.pcap import CaptureError, import_capture


class Command(BaseCommand):
    help = (
        "Read a pcap or pcapng capture into flow documents, one per call, and import them into "
        "the library; with --out, write them as YAML instead. What could not be read goes to "
        "stderr with its packet number."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the capture (pcap or pcapng)")
        parser.add_argument(
            "--out", metavar="DIR", help="write <slug>.yaml files here; the library is untouched"
        )

    def handle(self, *args, file, out, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}. Nothing was imported.") from None
        try:
            reading = import_capture(data, name=path.name)
        except CaptureError as exc:
            raise CommandError(f"{path.name}: {exc}. Nothing was imported.") from None
        for problem in reading.problems:
            self.stderr.write(f"{path.name}: {problem}")
        documents = reading.documents
        if out:
            folder = Path(out)
            folder.mkdir(parents=True, exist_ok=True)
            for doc in documents:
                (folder / f"{doc['slug']}.yaml").write_text(dump_documents([doc]), encoding="utf-8")
            self.stdout.write(f"Wrote {len(documents)} flow document(s) to {folder}.")
            return
        slugs = [doc["slug"] for doc in documents]
        existing = sorted(Flow.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        if existing:
            raise CommandError(
                f"The library already holds {', '.join(existing)}: nothing was imported. "
                "Rename the capture, or use --out DIR."
            )
        flows_import(documents=documents, message=f"Read from the capture {path.name}")
        self.stdout.write(f"Imported {len(documents)} flow(s) from {path.name}: {', '.join(slugs)}")
