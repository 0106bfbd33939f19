"""What the settings do in a fresh process, under the environment a server is started with."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the README gives for serving on the network over HTTPS.
PRODUCTION = {
    "SECRET_KEY": "a-long-random-production-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "class.example.org",
    "HTTPS": "1",
}


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    # A server's environment: none of what the test run itself sets (the browser tests
    # allow the ORM in async code, for one).
    unset = ("DEBUG", "SECRET_KEY", "HTTPS", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE")
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "sipflows.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_of(*names: str, **env: str) -> dict:
    values = ", ".join(f"{name!r}: settings.{name}" for name in names)
    code = f"import json; from django.conf import settings; print(json.dumps({{{values}}}))"
    return json.loads(run(f"import django; django.setup(); {code}", **env).stdout)


def setting(name: str, **env: str):
    return settings_of(name, **env)[name]


def test_debug_is_off_unless_asked_for():
    assert setting("DEBUG") is False


def test_debug_can_be_asked_for_on_this_machine():
    assert setting("DEBUG", DEBUG="1") is True


def test_debug_is_refused_when_other_hosts_are_served():
    assert setting("DEBUG", DEBUG="1", ALLOWED_HOSTS="192.0.2.10,localhost") is False


def test_without_a_secret_key_one_is_generated_and_kept():
    key = setting("SECRET_KEY")
    assert len(key) >= 50
    assert key == (ROOT / ".secret_key").read_text().strip()


def test_the_generated_key_is_not_committed():
    ignored = subprocess.run(["git", "check-ignore", ".secret_key"], cwd=ROOT, capture_output=True)
    assert ignored.returncode == 0


def test_secure_cookies_and_hsts_over_https():
    https = settings_of(
        "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", **PRODUCTION
    )
    assert https == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 365 * 24 * 3600,
    }


def test_plain_http_keeps_cookies_usable():
    assert setting("SESSION_COOKIE_SECURE") is False


def test_deploy_check_is_clean_under_the_production_settings():
    result = run(
        "import sys; from django.core.management import execute_from_command_line; "
        "execute_from_command_line(['manage.py', 'check', '--deploy', '--fail-level', 'WARNING'])",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr


def test_errors_are_logged_to_stderr_with_debug_off():
    result = run(
        "import django; django.setup(); from django.test import Client; "
        "from sipflows import views; from unittest import mock; "
        "failing = mock.Mock(side_effect=RuntimeError('boom')); "
        "mock.patch.object(views, 'render', failing).start(); "
        "print(Client(raise_request_exception=False).get('/live/', HTTP_HOST='localhost')"
        ".status_code)",
    )
    assert result.stdout.strip() == "500"
    assert "Internal Server Error: /live/" in result.stderr
    assert "RuntimeError: boom" in result.stderr


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy(client):
    policy = client.get("/live/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
