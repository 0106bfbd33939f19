import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sipflows.models import Flow
from sipflows.selectors import revisions_current
from sipflows.sip.lint import Finding, lint_flow
from sipflows.sip.rfcreader import RfcReading, read_call_flows

# One linted flow: its name in the report, its findings (acknowledged ones marked).
Linted = tuple[str, list[Finding]]


class Command(BaseCommand):
    help = (
        "Check flows with the SIP-aware checker and print its findings: the library's flows "
        "(all, or the slugs given), or with --rfc the call flows of an RFC as written (all, or "
        "the sections or slugs given). Findings that a note acknowledges are not listed. "
        "The exit status is 0 whatever is found; only bad arguments fail."
    )

    def add_arguments(self, parser):
        parser.add_argument("flows", nargs="*", metavar="SLUG", help="flows (or RFC sections)")
        parser.add_argument("--rfc", metavar="FILE", help="an RFC text to read flows from")
        parser.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, flows, rfc, format, **options):
        linted = _rfc_flows(rfc, flows) if rfc else _library_flows(flows)
        rows = [_row(name, f) for name, findings in linted for f in findings if not f.acknowledged]
        if format == "json":
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for row in rows:
            step = row["step"] or "-"
            self.stdout.write(
                f"{row['flow']} {step} {row['severity']} {row['rule']}: {row['message']}"
            )
        self.stdout.write(_summary(linted, rows))


def _library_flows(slugs: list[str]) -> list[Linted]:
    try:
        revisions = revisions_current(slugs=slugs)
    except Flow.DoesNotExist as missing:
        raise CommandError(str(missing)) from None
    return [(r.slug, _lint(r.document)) for r in revisions]


def _rfc_flows(path: str, wanted: list[str]) -> list[Linted]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise CommandError(f"Cannot read {path}: it is not UTF-8 text.") from None
    reading = read_call_flows(text)
    flows = {d["source"]["section"]: d for d in reading.flows}
    slugs = {d["slug"]: section for section, d in flows.items()}
    missing = [w for w in wanted if w not in flows and w not in slugs]
    if missing:
        raise CommandError(f"{path} has no call flow {missing[0]!r} (sections or slugs).")
    sections = [slugs.get(w, w) for w in wanted] or list(flows)
    return [(section, _lint_as_written(reading, flows[section])) for section in sections]


def _lint(document: dict[str, Any], **options: Any) -> list[Finding]:
    return lint_flow(document, include_acknowledged=True, **options)


def _lint_as_written(reading: RfcReading, document: dict[str, Any]) -> list[Finding]:
    """The checker's findings, with what the diagram captions say of each arrow."""
    section = document["source"]["section"]
    captions = {c.label: c.text for c in reading.captions if c.section == section}
    return _lint(document, captions=captions)


def _row(flow: str, finding: Finding) -> dict[str, Any]:
    return {
        "flow": flow,
        "step": finding.step,
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
    }


def _summary(linted: list[Linted], rows: list[dict[str, Any]]) -> str:
    errors = sum(row["severity"] == "error" for row in rows)
    with_findings = len({row["flow"] for row in rows})
    acknowledged = sum(f.acknowledged for _, findings in linted for f in findings)
    summary = (
        f"{len(rows)} finding(s), {errors} error(s) and {len(rows) - errors} warning(s), "
        f"in {with_findings} of {len(linted)} flow(s)"
    )
    return summary + (
        f"; {acknowledged} acknowledged by notes, not listed." if acknowledged else "."
    )
