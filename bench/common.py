"""What the benchmarks share: a throwaway library, uvicorn as `make run` serves, and the bare
ASGI app that serves the same bytes for a baseline."""

import io
import os
import pickle
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate, br", "Accept-Language": "en"}
# Headers the server sets per connection; the bare app's uvicorn adds its own.
PER_CONNECTION = {"date", "server", "content-length", "connection", "transfer-encoding"}

# As `make run` serves (see the Makefile); the bare app runs under the same flags.
UVICORN_FLAGS = [
    *("--ws", "websockets-sansio", "--ws-per-message-deflate", "false", "--ws-max-size", "4096")
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, deadline: float = 30.0) -> None:
    start = time.monotonic()
    while time.monotonic() - start < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing is listening on port {port}")


def bench_env() -> dict:
    """Settings for a benchmark's server: DEBUG off, a fresh SQLite file unless DATABASE_URL
    names a database, Redis when REDIS_URL is set."""
    workdir = Path(tempfile.mkdtemp(prefix="sipflows-bench-"))
    env = {
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SETTINGS_MODULE": "sipflows.settings",
        # Every client of a benchmark comes from one address, which a real server would limit.
        "SOCKETS_PER_CLIENT": "5000",
        "CLIENT_ACTIONS_PER_SECOND": "100000",
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}"),
    }
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    return env


def setup_django(env: dict) -> None:
    """Django in this process, on the benchmark's database, with the library loaded."""
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("import_flows", "--keep-existing", str(ROOT / "fixtures"), stdout=io.StringIO())


def load_library() -> None:
    """Django in this process on a throwaway SQLite file holding the library (DEBUG off)."""
    setup_django(bench_env())


class Server:
    """An ASGI app under uvicorn in a process of its own; `with` stops it."""

    def __init__(self, app: str, env: dict, workers: int = 1):
        self.port = free_port()
        command = [sys.executable, "-m", "uvicorn", app, "--port", str(self.port)]
        command += ["--log-level", "warning", "--backlog", "4096", *UVICORN_FLAGS]
        if workers > 1:
            command += ["--workers", str(workers)]
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
        wait_for_port(self.port)
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_until_answering(workers)

    def _wait_until_answering(self, workers: int) -> None:
        """The port is bound before the workers are ready: ask until each could answer."""
        answers, deadline = 0, time.monotonic() + 60
        while answers < 2 * workers:
            if time.monotonic() > deadline:
                raise SystemExit(f"{self.url} does not answer")
            try:
                urllib.request.urlopen(self.url + "/", timeout=10).read()
            except urllib.error.HTTPError:
                pass  # an answer all the same (the bare app knows only its own paths)
            except OSError:
                time.sleep(0.2)
                continue
            answers += 1

    def cpu_seconds(self) -> float:
        """User and system CPU of the server process (one process: no workers)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait()


def bare_server(responses: dict[str, tuple[int, list, bytes]], frame: str = "") -> Server:
    """bench/bare_app.py serving these responses (path -> status, headers, body) and sending
    `frame` to every socket that connects."""
    store = Path(tempfile.mkdtemp(prefix="sipflows-bare-")) / "responses.pickle"
    store.write_bytes(pickle.dumps({"responses": responses, "frame": frame}))
    return Server("bench.bare_app:app", {"BARE_RESPONSES": str(store)})


def reader_cookie(url: str) -> str:
    """The cookie a browser keeps from its first page (the CSRF cookie)."""
    with urllib.request.urlopen(urllib.request.Request(url, headers=BROWSER_HEADERS)) as reply:
        cookies = [value.split(";", 1)[0] for value in reply.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies)


def fetch(url: str) -> tuple[int, list, bytes]:
    """Status, headers and the bytes on the wire, as a browser (BROWSER_HEADERS) gets them."""
    with urllib.request.urlopen(urllib.request.Request(url, headers=BROWSER_HEADERS)) as reply:
        body = reply.read()
        headers = [
            (name.lower().encode(), value.encode())
            for name, value in reply.headers.items()
            if name.lower() not in PER_CONNECTION
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        return reply.status, headers, body


def without_page_cache():
    """Settings under which Django renders every page (no kept pages): for render times."""
    from django.conf import settings
    from django.test import override_settings

    kept = "sipflows.pagecache.PageCacheMiddleware"
    return override_settings(MIDDLEWARE=[m for m in settings.MIDDLEWARE if m != kept])
