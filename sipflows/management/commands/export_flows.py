from django.core.management.base import BaseCommand, CommandError

from sipflows.selectors import flow_document, flows_with_content
from sipflows.sip.flowdoc import dump_documents


class Command(BaseCommand):
    help = "Print flow documents to stdout (all flows, or the slugs given). JSON is a list."

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", metavar="SLUG")
        parser.add_argument("--format", choices=["yaml", "json"], default="yaml")

    def handle(self, *args, slugs, format, **options):
        flows = flows_with_content()
        if slugs:
            flows = {f.slug: f for f in flows.filter(slug__in=slugs)}
            missing = [s for s in slugs if s not in flows]
            if missing:
                raise CommandError(f"No flow with slug {missing[0]!r} in the library.")
            flows = [flows[s] for s in slugs]
        documents = [flow_document(flow=f) for f in flows]
        if not documents:
            raise CommandError("The library holds no flows to export.")
        self.stdout.write(dump_documents(documents, format), ending="")
