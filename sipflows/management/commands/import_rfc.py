from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sipflows.models import Flow
from sipflows.services import flows_import
from sipflows.sip.flowdoc import dump_documents
from sipflows.sip.rfcreader import INFO, ReaderProblem, read_call_flows


class Command(BaseCommand):
    help = (
        "Read the call flows of an RFC-style text (e.g. rfc5359.txt) and import them into the "
        "library; flows already there are left alone unless --replace is given. With --out, "
        "write them as YAML flow documents instead. What could not be read goes to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the RFC as plain text")
        parser.add_argument("--section", help="read only this section, e.g. 2.16")
        parser.add_argument(
            "--out", metavar="DIR", help="write <slug>.yaml files here; the library is untouched"
        )
        parser.add_argument(
            "--document", help="the document's name when the text does not say it (RFC 5359)"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="save the RFC as written as the next revision of flows with the same slug "
            "(their former revisions stay in their history)",
        )

    def handle(self, *args, file, section, out, document, replace, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}. Nothing was read.") from None
        reading = read_call_flows(text, document=document, section=section)
        for problem in reading.problems:
            self.stderr.write(_problem_line(path.name, problem))
        if not reading.flows:
            where = f"section {section} of {path.name}" if section else path.name
            raise CommandError(f"No call flow could be read from {where}.")
        if out:
            self._write(reading.flows, Path(out))
        else:
            self._import(reading.flows, path.name, replace)

    def _write(self, flows, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for flow in flows:
            (folder / f"{flow['slug']}.yaml").write_text(dump_documents([flow]), encoding="utf-8")
        self.stdout.write(f"Wrote {len(flows)} flow document(s) to {folder}; nothing imported:")
        for flow in flows:
            self.stdout.write(f"  {flow['slug']}.yaml  §{flow['source']['section']}")

    def _import(self, flows, name: str, replace: bool) -> None:
        slugs = [flow["slug"] for flow in flows]
        existing = set(Flow.objects.filter(slug__in=slugs).values_list("slug", flat=True))
        if existing and not replace:
            raise CommandError(
                f"The library already holds {', '.join(sorted(existing))}: nothing was imported. "
                "Use --out DIR to compare, or --replace to overwrite them with the RFC as written."
            )
        flows_import(documents=flows, message=f"Read from {name}")
        self.stdout.write(f"Imported {len(flows)} flow(s) read from {name} into the library.")
        new = [slug for slug in slugs if slug not in existing]
        replaced = [slug for slug in slugs if slug in existing]
        if new:
            self.stdout.write(f"  new: {', '.join(new)}")
        if replaced:
            self.stdout.write(
                f"  replaced (earlier revisions kept in their history): {', '.join(replaced)}"
            )


def _problem_line(name: str, problem: ReaderProblem) -> str:
    """`rfc5359.txt:8283: §2.16 F7: ...`, the way compilers point at a line."""
    line = f"{name}:{problem.line}: §{problem.section} {problem.message}"
    return f"{line} (info)" if problem.severity == INFO else line
