"""Pages served per second: sipflows against a minimal ASGI app serving the same bytes.

    .venv/bin/python bench/pages.py [--seconds 10] [--connections 10] [PATH ...]

Loads the library into a throwaway SQLite database (or DATABASE_URL), serves it with one
uvicorn process under the flags `make run` uses, and loads each page with `wrk` (Debian
package; `make bench-tools` installs it) as an anonymous reader whose browser accepts gzip and
brotli and has been here before (it sends the CSRF cookie its first page set). Then
bench/bare_app.py, under the same uvicorn flags, serves the very bytes and headers sipflows
answered with, loaded the same way. Prints requests/s and server CPU per request for
both, and their ratio.
"""

import argparse
import re
import shutil
import subprocess

from common import (
    BROWSER_HEADERS,
    Server,
    bare_server,
    bench_env,
    fetch,
    reader_cookie,
    setup_django,
)

PATHS = {
    "step page": "/flows/call-pickup/F7/",
    "overview": "/flows/call-pickup/",
    "notes": "/notes/",
    "home": "/",
}


def load(server: Server, path: str, seconds: int, connections: int) -> dict:
    """wrk against one path: requests/s, server CPU ms per request (one process), errors."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    for name, value in BROWSER_HEADERS.items():
        command += ["-H", f"{name}: {value}"]
    cpu_before = server.cpu_seconds()
    output = subprocess.run(
        [*command, server.url + path], capture_output=True, text=True, check=True
    ).stdout
    cpu = server.cpu_seconds() - cpu_before
    requests = int(re.search(r"(\d+) requests in", output)[1])
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1]),
        "cpu_ms": cpu * 1000 / max(requests, 1),
        "errors": int(errors[1]) if errors else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("paths", nargs="*", help="pages to load (default: the four below)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: run `make bench-tools` (Debian package wrk).")
    pages = {path: path for path in args.paths} if args.paths else PATHS
    env = bench_env()
    setup_django(env)
    with Server("sipflows.asgi:application", env) as app:
        BROWSER_HEADERS["Cookie"] = reader_cookie(app.url + "/")
        responses = {path: fetch(app.url + path) for path in pages.values()}
        measured = {path: load(app, path, args.seconds, args.connections) for path in responses}
    with bare_server(responses) as bare:
        baseline = {path: load(bare, path, args.seconds, args.connections) for path in responses}
    print(
        f"one uvicorn process, wrk {args.connections} connections, {args.seconds} s per page, "
        "anonymous reader accepting gzip/br"
    )
    print(
        f"{'page':<28} {'bytes':>7} | {'sipflows req/s':>14} {'CPU ms/req':>10} | "
        f"{'bare req/s':>10} {'CPU ms/req':>10} | {'ratio':>6}"
    )
    for name, path in pages.items():
        ours, bare = measured[path], baseline[path]
        encoding = dict(responses[path][1]).get(b"content-encoding", b"").decode()
        size = f"{len(responses[path][2])}{encoding[:2]}"
        errors = f"  ({ours['errors']} errors)" if ours["errors"] else ""
        print(
            f"{name + ' ' + path:<28.28} {size:>7} | {ours['rps']:14.1f} {ours['cpu_ms']:10.2f} | "
            f"{bare['rps']:10.1f} {bare['cpu_ms']:10.2f} | {ours['rps'] / bare['rps']:6.3f}"
            f"{errors}"
        )


if __name__ == "__main__":
    main()
