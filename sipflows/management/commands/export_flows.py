from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sipflows.models import Flow, FlowRevision
from sipflows.selectors import revision_find, revisions_current
from sipflows.sip.exports import FORMATS, export_files
from sipflows.sip.flowdoc import LANGS, dump_documents
from sipflows.sip.sipp import SippExportError, parse_lane_override

# Exports that are not one text for stdout: written to --out DIR only.
NEEDS_FOLDER = ("sipp", "png")


class Command(BaseCommand):
    help = (
        "Print flow documents to stdout: the current revision of all flows, or of the slugs "
        "given, or with --revision N revision N of one flow exactly as saved. JSON is a list. "
        "The other formats (SIPp scenarios, diagrams, the offline page) go to --out DIR."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG")
        parser.add_argument("--format", choices=["yaml", "json", *FORMATS], default="yaml")
        parser.add_argument("--revision", type=int, metavar="N", help="revision N of one flow")
        parser.add_argument("--out", metavar="DIR", help="write the export files here")
        parser.add_argument("--lang", choices=LANGS, default="en", help="language of diagrams")
        parser.add_argument(
            "--lane",
            action="append",
            default=[],
            metavar="KEY=IP[:PORT[:MEDIA_PORT]]",
            help="sipp: a lane's address instead of 127.0.0.x (repeatable)",
        )

    def handle(self, *args, slugs, format, revision, out, lang, lane, **options):
        if revision is not None:
            revisions = [_revision(slugs, revision)]
        else:
            try:
                revisions = revisions_current(slugs=slugs)
            except Flow.DoesNotExist as missing:
                raise CommandError(str(missing)) from None
        if not revisions:
            raise CommandError("The library holds no flows to export.")
        documents = [r.document for r in revisions]
        if format in ("yaml", "json"):
            self.stdout.write(dump_documents(documents, format), ending="")
        else:
            self._export(documents, format, out, lang, lane)

    def _export(self, documents, fmt: str, out: str | None, lang: str, lane_options) -> None:
        if out is None and (fmt in NEEDS_FOLDER or len(documents) > 1):
            raise CommandError(f"--format {fmt} writes files: give --out DIR (and the slugs).")
        try:
            lanes = dict(parse_lane_override(option) for option in lane_options)
            exports = [export_files(doc, fmt, lang=lang, lanes=lanes) for doc in documents]
        except SippExportError as exc:
            raise CommandError(f"{exc}. Nothing was written.") from None
        if out is None:
            [[data]] = [list(files.values()) for files in exports]
            self.stdout.write(data.decode("utf-8"), ending="")
            return
        folder = Path(out)
        for files in exports:
            for name, data in files.items():
                path = folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                if path.suffix == ".sh":
                    path.chmod(0o755)
        written = {
            name.split("/")[0] + ("/" if "/" in name else ""): None
            for files in exports
            for name in files
        }
        self.stdout.write(f"Wrote to {folder}: {', '.join(written)}")


def _revision(slugs: list[str], number: int) -> FlowRevision:
    if len(slugs) != 1:
        raise CommandError("--revision needs exactly one flow: export_flows --revision N SLUG.")
    revision = revision_find(slug=slugs[0], number=number)
    if revision is None:
        raise CommandError(f"Flow {slugs[0]!r} has no revision {number}.")
    return revision
