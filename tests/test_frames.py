"""The stepper's ladder, drawn from rows rendered once per flow version and language."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from sipflows import selectors
from sipflows.frames import _ladder, ladder_html

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("current", [None, "F2"])
def test_the_ladder_from_its_rows_is_the_ladder_drawn_whole(sample_flow, language, current):
    flow = selectors.flow_get(slug="sample-call")
    with translation.override(language):
        whole = render_to_string(
            "sipflows/ladder.html", {"ladder": _ladder(flow, language), "current": current}
        )
    assert ladder_html(flow, language, current) == whole.rstrip("\n")


def test_the_current_step_moves_without_marking_the_one_before(sample_flow):
    flow = selectors.flow_get(slug="sample-call")
    ladder_html(flow, "en", "F1")
    second = ladder_html(flow, "en", "F2")
    assert second.count("is-current") == 1
    assert 'data-current="F2"' in second
