from django.core.management.base import BaseCommand, CommandError

from sipflows.models import Flow, FlowRevision
from sipflows.selectors import revision_find, revisions_current
from sipflows.sip.flowdoc import dump_documents


class Command(BaseCommand):
    help = (
        "Print flow documents to stdout: the current revision of all flows, or of the slugs "
        "given, or with --revision N revision N of one flow exactly as saved. JSON is a list."
    )

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")
        parser.add_argument("--revision", type=int, metavar="N", help="revision N of one flow")

    def handle(self, *args, slugs, format, revision, **options):
        if revision is not None:
            revisions = [_revision(slugs, revision)]
        else:
            try:
                revisions = revisions_current(slugs=slugs)
            except Flow.DoesNotExist as missing:
                raise CommandError(str(missing)) from None
        if not revisions:
            raise CommandError("The library holds no flows to export.")
        self.stdout.write(dump_documents([r.document for r in revisions], format), ending="")


def _revision(slugs: list[str], number: int) -> FlowRevision:
    if len(slugs) != 1:
        raise CommandError("--revision needs exactly one flow: export_flows --revision N SLUG.")
    revision = revision_find(slug=slugs[0], number=number)
    if revision is None:
        raise CommandError(f"Flow {slugs[0]!r} has no revision {number}.")
    return revision
