from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sipflows.services import FlowSaveError, flows_import
from sipflows.sip.flowdoc import FlowDocumentError, parse_documents

DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json")


class Command(BaseCommand):
    help = (
        "Import flow documents (YAML or JSON files, or folders of them), each as the next "
        "revision of its flow. All or nothing: a bad document changes nothing and names the "
        "document, step and key."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or folders")
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="leave flows the library knows untouched, renamed or deleted ones included "
            "(used by `make run`)",
        )

    def handle(self, *args, paths, keep_existing, **options):
        documents = []
        try:
            for path in _document_files(paths):
                documents += parse_documents(path.read_bytes(), name=str(path))
        except FlowDocumentError as exc:
            raise CommandError(f"{exc}\nNothing was imported.") from None
        slugs = [d["slug"] for d in documents]
        duplicated = sorted({s for s in slugs if slugs.count(s) > 1})
        if duplicated:
            raise CommandError(f"Flow {duplicated[0]} is given twice. Nothing was imported.")
        try:
            imported = flows_import(documents=documents, keep_existing=keep_existing)
        except FlowSaveError as exc:
            raise CommandError(f"{exc} Nothing was imported.") from None
        kept = len(documents) - len(imported)
        message = f"Imported {len(imported)} flow(s)"
        if kept:
            message += f"; kept {kept} already in the library"
        self.stdout.write(message + ".")


def _document_files(paths: list[str]) -> list[Path]:
    files = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix in DOCUMENT_SUFFIXES)
        elif path.is_file():
            files.append(path)
        else:
            raise CommandError(f"{name}: no such file or folder. Nothing was imported.")
    return files
