import copy
import socket
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from sipflows import selectors, services
from sipflows.sip.flowdoc import parse_documents, validate_document
from tests.samples import SAMPLE_FLOW

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

# Servers and consumers under test query from threads of their own; connections that close
# after each use leave none holding the test database when the run drops it.
settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
# Signing in is tested, not the cost of hashing: a fast hasher keeps it quick.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Counts and pages the tests make (wrong join codes, kept pages, ...) stay in this process,
# even where REDIS_URL would put them in a Redis that others share.
settings.CACHES = {
    name: {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": name}
    for name in ("default", "pages", "versions")
}


@pytest.fixture
def sample_document():
    """A fresh, raw (unvalidated) copy of a small flow document, for tests to spoil."""
    return copy.deepcopy(yaml.safe_load(SAMPLE_FLOW))


@pytest.fixture
def sample_flow(db):
    documents = parse_documents(SAMPLE_FLOW, name="sample.yaml")
    return services.flows_import(documents=documents)[0].flow


@pytest.fixture
def teacher(sample_flow):
    """The owner of live walkthroughs in consumer tests (instructor pages check the group)."""
    from django.contrib.auth.models import User

    return User.objects.create_user("teacher")


@pytest.fixture
def session(sample_flow, teacher):
    """A live walkthrough of the sample flow, on its overview."""
    return services.live_session_start(flow=sample_flow, owner=teacher)


@pytest.fixture
def library(db):
    return load_library()


@pytest.fixture
def editor(client, db):
    """A member of the editor group, signed in on `client`."""
    from django.contrib.auth.models import Group, User

    user = User.objects.create_user("ed", password="a-long-test-password")
    user.groups.add(Group.objects.get_or_create(name="editor")[0])
    client.force_login(user)
    return user


def save_edit(flow, edit, **options):
    """Save the flow's current document, changed in place by `edit`, as its next revision
    (the way an editor's save goes)."""
    flow.refresh_from_db()
    document = copy.deepcopy(selectors.flow_document(flow=flow))
    edit(document)
    document = validate_document(document, name="edit")
    return services.flow_save(document=document, base_version=flow.version, flow=flow, **options)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load_library():
    """The seed library from fixtures/, as `make run` loads it."""
    documents = []
    for path in sorted(FIXTURES.glob("*.yaml")):
        documents += parse_documents(path.read_bytes(), name=path.name)
    return [revision.flow for revision in services.flows_import(documents=documents)]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Counts kept in the cache (wrong join codes, ...) start from nothing in every test."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test runs in its own event loop; a channel layer (Redis's receive lock) and the
    live hubs belong to one loop, so every test starts with new ones, as a new process would."""
    from channels.layers import channel_layers

    from sipflows import hub
    from sipflows.drawn import Kept

    channel_layers.backends.clear()
    hub._hubs.clear()
    Kept.forget_all()
    yield


@pytest.fixture(scope="session", autouse=True)
def collected_static():
    """Pages name static files by their hashed names (collectstatic's manifest), as served."""
    from django.core.management import call_command

    static = Path(settings.BASE_DIR) / "static"
    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    newest = max(path.stat().st_mtime for path in static.rglob("*") if path.is_file())
    if not manifest.exists() or manifest.stat().st_mtime < newest:
        call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture(autouse=True)
def fresh_page_cache():
    """Pages kept by one test are not another's."""
    from sipflows.pagecache import forget_pages

    forget_pages()
    yield
