"""The write path's limits and the all-or-nothing upload (services)."""

import copy

import pytest

from sipflows import selectors, services
from sipflows.models import Flow, FlowRevision
from sipflows.sip.flowdoc import validate_document


def current(flow):
    return copy.deepcopy(selectors.flow_document(flow=flow))


def save(flow, document):
    return services.flow_save(
        document=validate_document(document, name="t"), base_version=flow.version, flow=flow
    )


def test_each_save_is_one_revision(sample_flow):
    document = current(sample_flow)
    document["steps"][0]["annotation"]["en"] = "Once."
    save(sample_flow, document)
    assert FlowRevision.objects.filter(flow=sample_flow).count() == 2


def test_a_message_over_64_kib_is_refused_by_every_write_path(sample_flow):
    document = current(sample_flow)
    document["steps"][0]["message"] += "X-Padding: " + "a" * (64 * 1024) + "\r\n"
    with pytest.raises(services.FlowSaveError, match="64 KiB"):
        save(sample_flow, document)
    assert Flow.objects.get(pk=sample_flow.pk).version == 1


def test_more_than_500_steps_are_refused(sample_flow):
    document = current(sample_flow)
    document["steps"] += [
        {"label": f"E{n}", "kind": "event", "text": {"en": "x"}} for n in range(2, 500)
    ]
    with pytest.raises(services.FlowSaveError, match="at most 500"):
        save(sample_flow, document)


def test_a_document_over_2_mb_is_refused(sample_flow):
    document = current(sample_flow)
    document["steps"] += [
        {"label": f"E{n}", "kind": "event", "text": {"en": "x" * 30_000}} for n in range(2, 80)
    ]
    with pytest.raises(services.FlowSaveError, match="2 MB"):
        save(sample_flow, document)


def test_an_upload_saves_all_documents_or_none(sample_flow):
    good = current(sample_flow)
    good["steps"][0]["annotation"]["en"] = "Changed."
    new = {**copy.deepcopy(good), "slug": "another"}
    with pytest.raises(services.StaleRevision):
        services.flows_upload(
            documents=[validate_document(new, name="n"), validate_document(good, name="g")],
            base_versions={"another": None, "sample-call": 0},
        )
    assert not Flow.objects.filter(slug="another").exists()
    assert Flow.objects.get(pk=sample_flow.pk).version == 1


def test_an_upload_of_an_existing_flow_needs_the_version_it_was_previewed_on(sample_flow):
    with pytest.raises(services.StaleRevision):
        services.flows_upload(documents=[current(sample_flow)], base_versions={})
