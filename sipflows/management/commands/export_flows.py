from django.core.management.base import BaseCommand, CommandError

from sipflows.models import Flow
from sipflows.selectors import flow_document, flows_named
from sipflows.sip.flowdoc import dump_documents


class Command(BaseCommand):
    help = "Print flow documents to stdout (all flows, or the slugs given). JSON is a list."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")

    def handle(self, *args, slugs, format, **options):
        try:
            flows = flows_named(slugs=slugs)
        except Flow.DoesNotExist as missing:
            raise CommandError(str(missing)) from None
        if not flows:
            raise CommandError("The library holds no flows to export.")
        documents = [flow_document(flow=f) for f in flows]
        self.stdout.write(dump_documents(documents, format), ending="")
