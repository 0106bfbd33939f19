"""Library flows played between real SIPp processes on loopback, each once per test run."""

import os
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sipflows.sip import flowdoc, sipp

FIXTURES = Path(__file__).resolve().parent.parent.parent / "fixtures"
SLUGS = sorted(path.stem for path in FIXTURES.glob("*.yaml"))
# run.sh bounds every lane by LIMIT; this bounds run.sh itself and its capture.
RUN_LIMIT_S = sipp.LANE_TIME_LIMIT_S + 15


@dataclass
class Playback:
    returncode: int
    output: str
    capture: bytes


def library_document(slug: str) -> dict:
    return flowdoc.parse_documents((FIXTURES / f"{slug}.yaml").read_bytes(), name=slug)[0]


def write_export(doc: dict, folder: Path, **options) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in sipp.export_sipp(doc, **options).items():
        (folder / name).write_bytes(data)
    (folder / "run.sh").chmod(0o755)
    return folder


def play(doc: dict, folder: Path) -> Playback:
    """Export, run run.sh with a capture, and always end what it started."""
    write_export(doc, folder)
    process = subprocess.Popen(
        ["./run.sh"],
        cwd=folder,
        env={**os.environ, "CAPTURE": "capture.pcap"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=RUN_LIMIT_S)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            output = "run.sh did not finish in time"
    capture = folder / "capture.pcap"
    return Playback(process.returncode, output, capture.read_bytes() if capture.exists() else b"")
