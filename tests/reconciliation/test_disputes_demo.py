"""The seeded sandbox shows disputes after its remittances are imported: the demo disputes the
oldest claims, and the simulated Amazon's later reversals (…SCR) are recognised as recoveries."""

from __future__ import annotations

import pytest

from reconciliation.disputes.demo import demo_disputes
from reconciliation.disputes.selectors import dispute_figures
from reconciliation.models import Dispute, DisputeRecovery
from vendorsync import flows


@pytest.mark.django_db
def test_the_demo_disputes_claims_and_sees_amazon_pay_some_back(
    sandbox, django_capture_on_commit_callbacks, monkeypatch
):
    from reconciliation import tasks

    monkeypatch.setattr(tasks.automatch_remittance, "delay", tasks.automatch_remittance)  # the worker, inline
    for name in ("gl-accounts", "ar", "remittances"):
        with django_capture_on_commit_callbacks(execute=True):
            flows.run_flow(name)  # the import queues auto-match, which runs the demo's disputes
    assert Dispute.objects.filter(kind="shortage").count() == 3
    assert Dispute.objects.filter(kind="price_claim").count() == 1
    assert all(d.reference.startswith("VC-") and d.opened_by is None for d in Dispute.objects.all())
    recovered = DisputeRecovery.objects.select_related("line")
    assert recovered.exists() and all(r.line.document_number.endswith(("SCR", "SCRSC")) for r in recovered)
    assert dispute_figures().total.recovered > 0
    assert demo_disputes() == 0  # targets met: it never opens more


@pytest.mark.django_db
def test_the_demo_never_disputes_outside_the_sandbox(settings):
    settings.SANDBOX = False
    assert demo_disputes() == 0
