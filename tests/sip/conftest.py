import pytest

from tests.sip.wire import library_document, play


@pytest.fixture(scope="session")
def played(tmp_path_factory):
    """slug -> Playback, each flow played (and captured) once however many tests read it."""
    cache = {}

    def get(slug: str):
        if slug not in cache:
            cache[slug] = play(library_document(slug), tmp_path_factory.mktemp(slug))
        return cache[slug]

    return get
