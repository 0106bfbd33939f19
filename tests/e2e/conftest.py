import os

import pytest
from playwright.sync_api import sync_playwright

from sipflows import services
from sipflows.sip.flowdoc import parse_documents
from tests.conftest import FIXTURES

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


@pytest.fixture(scope="session")
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


@pytest.fixture
def served_library(transactional_db, live_server):
    documents = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        documents += parse_documents(path.read_bytes(), name=path.name)
    services.flows_import(documents=documents)
    return live_server.url
