import contextlib
import os
import threading
import time

import pytest
import uvicorn
from django.contrib.auth.models import Group, User
from django.test import Client
from playwright.sync_api import sync_playwright

from sipflows.models import Flow
from tests.conftest import free_port, load_library

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API keeps an event loop in this thread; the ORM calls made by the
# fixtures here are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Package scope: Playwright's sync API runs an event loop in this thread while it is open,
# which the async tests outside this folder need to be gone.
@pytest.fixture(scope="package")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 850})
    page = context.new_page()
    yield page
    context.close()


@contextlib.contextmanager
def serving():
    """The whole ASGI app (pages and websockets) served by uvicorn in a thread of this process,
    so it shares the test database and the in-memory channel layer."""
    from sipflows.asgi import application

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            ws_max_size=4096,  # as the Makefile serves
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def asgi_server(transactional_db):
    with serving() as url:
        yield url


@pytest.fixture(scope="module")
def library_to_read(django_db_setup, django_db_blocker):
    """The library served once for a module whose tests only read it (no one signs in, nothing
    is saved): loading it for each test would cost more than the tests themselves."""
    with django_db_blocker.unblock():
        load_library()
        try:
            with serving() as url:
                yield url
        finally:
            Flow.objects.all().delete()


@pytest.fixture
def served_library(asgi_server):
    load_library()
    return asgi_server


@pytest.fixture
def instructor_context(browser, served_library):
    """A browser context signed in as a member of the instructor group."""
    user = User.objects.create_user("teacher", password="a-long-test-password")
    # Transactional tests flush the group the migration made; make it again.
    user.groups.add(Group.objects.get_or_create(name="instructor")[0])
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport={"width": 1366, "height": 850})
    host = served_library.split("//")[1].split(":")[0]
    cookie = client.cookies["sessionid"]
    context.add_cookies([{"name": "sessionid", "value": cookie.value, "domain": host, "path": "/"}])
    yield context
    context.close()
