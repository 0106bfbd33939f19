"""Play every library flow between real SIPp processes, capture it and read the capture back.

Prints, per flow: whether every lane's call completed, the seconds it took, and whether the
capture gives back the library's messages (method or status, sender, receiver) in order.
Needs sipp and tcpdump (make sipp-tools) and root (or rights to capture on lo).
"""

import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sipflows.sip import flowdoc, lint, pcap, sipp  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def main() -> None:
    slugs = sys.argv[1:] or sorted(p.stem for p in FIXTURES.glob("*.yaml"))
    print(f"{'flow':32} completed  seconds  round trip          checker on the capture")
    total = time.monotonic()
    for slug in slugs:
        doc = flowdoc.parse_documents((FIXTURES / f"{slug}.yaml").read_bytes(), name=slug)[0]
        with tempfile.TemporaryDirectory() as folder:
            for name, data in sipp.export_sipp(doc).items():
                (Path(folder) / name).write_bytes(data)
            os.chmod(Path(folder) / "run.sh", 0o755)
            start = time.monotonic()
            run = subprocess.run(
                ["./run.sh"],
                cwd=folder,
                env={**os.environ, "CAPTURE": "capture.pcap"},
                capture_output=True,
                timeout=sipp.LANE_TIME_LIMIT_S + 30,
            )
            seconds = time.monotonic() - start
            capture = (Path(folder) / "capture.pcap").read_bytes()
        back = pcap.import_capture(capture, name=f"{slug}.pcap").documents
        same = len(back) == 1 and pcap.message_sequence(back[0]) == pcap.message_sequence(doc)
        findings = Counter(f.rule for flow in back for f in lint.lint_flow(flow))
        print(
            f"{slug:32} {'yes' if run.returncode == 0 else 'NO':9} {seconds:7.1f}  "
            f"{'same' if same else 'DIFFERS':7} ({len(back)} flow)  "
            + (", ".join(f"{rule} x{n}" for rule, n in findings.items()) or "clean")
        )
    print(f"all flows: {time.monotonic() - total:.1f} s")


if __name__ == "__main__":
    main()
