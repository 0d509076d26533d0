"""Alerts: immediate email for high-severity cases, hourly team digests, the webhook, never twice."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
import respx
from django.core import mail
from django.utils import timezone

from vendorsync import alerts, services
from vendorsync.models import AuditEvent, ExceptionCase
from vendorsync.tasks import health_sweep

WEBHOOK = "https://hooks.example.test/services/T000/B000/XXX"


@pytest.fixture
def alert_settings(settings):
    settings.ALERT_EMAILS = {"ops": ["ops-team@example.test"], "finance": ["finance@example.test"]}
    settings.ALERT_WEBHOOK_URL = ""
    settings.ALERT_IMMEDIATE_SEVERITIES = ["high", "critical"]
    settings.ALERT_DIGEST_SECONDS = 3600
    settings.SITE_URL = "https://vendorsync.example.test"
    return settings


def _raise(key: str, kind: str = "asn_blocked", severity: str = "medium", age: timedelta | None = None):
    case, _ = services.exception_raise(kind=kind, dedupe_key=key, message=f"problem {key}", severity=severity)
    if age:
        ExceptionCase.objects.filter(pk=case.pk).update(first_seen_at=timezone.now() - age)
    return case


@pytest.mark.django_db(transaction=True)
def test_a_high_severity_case_alerts_at_once_and_only_once(alert_settings):
    case = _raise("outbox:1", kind="outbox_needs_review", severity="high")
    _raise("asn:1")  # medium: waits for the digest
    assert alerts.send_immediate_alerts() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops-team@example.test"]
    assert message.subject == "[VendorSync] High: Delivery needs review (Operations)"
    assert f"https://vendorsync.example.test{case.get_absolute_url()}" in message.body
    # Seen again, swept again, digest time: still one alert for this case.
    _raise("outbox:1", kind="outbox_needs_review", severity="high")
    assert alerts.send_immediate_alerts() == 0
    alerts.send_digests(now=timezone.now() + timedelta(hours=2))
    assert sum("problem outbox:1" in m.body for m in mail.outbox) == 1
    assert AuditEvent.objects.filter(action="exception.alerted", subject_id=str(case.public_id)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_each_team_gets_one_digest_of_its_new_cases_after_an_hour(alert_settings):
    _raise("asn:young")
    assert alerts.send_digests() == {}  # the oldest new case is minutes old: not yet
    assert mail.outbox == []
    _raise("asn:old", age=timedelta(minutes=61))
    _raise("drift:1", kind="settlement_drift", age=timedelta(minutes=90))
    closed = _raise("asn:closed", age=timedelta(minutes=70))
    services.exception_clear(dedupe_key="asn:closed", note="gone")
    sent = alerts.send_digests()
    assert sent == {"ops": 2, "finance": 1}
    by_team = {m.to[0]: m for m in mail.outbox}
    ops = by_team["ops-team@example.test"]
    assert ops.subject == "[VendorSync] 2 new Operations exceptions"
    assert "problem asn:old" in ops.body and "problem asn:young" in ops.body
    assert "asn:closed" not in ops.body  # closed before the digest: not news
    assert "ASN blocked 2" in ops.body
    assert "problem drift:1" in by_team["finance@example.test"].body
    assert ExceptionCase.objects.get(pk=closed.pk).alerted_at is not None  # and never reported later
    assert alerts.send_digests(now=timezone.now() + timedelta(hours=3)) == {}
    assert len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_the_webhook_gets_slack_compatible_json(alert_settings):
    alert_settings.ALERT_EMAILS = {"ops": [], "finance": []}
    alert_settings.ALERT_WEBHOOK_URL = WEBHOOK
    _raise("asn:hook", severity="critical")
    with respx.mock(assert_all_called=True) as router:
        route = router.post(WEBHOOK).mock(return_value=httpx.Response(200, text="ok"))
        health_sweep()
        health_sweep()
    assert route.call_count == 1
    payload = json.loads(route.calls[0].request.content)
    assert set(payload) == {"text"} and "Critical: ASN blocked (Operations)" in payload["text"]
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_webhook_does_not_resend_or_break_the_sweep(alert_settings):
    alert_settings.ALERT_WEBHOOK_URL = WEBHOOK
    _raise("asn:down", severity="high")
    with respx.mock() as router:
        route = router.post(WEBHOOK).mock(return_value=httpx.Response(503))
        report = health_sweep()
        health_sweep()
    assert report["immediate"] == 1 and route.call_count == 1
    assert len(mail.outbox) == 1  # the email still went


@pytest.mark.django_db(transaction=True)
def test_cases_of_a_team_without_a_channel_stay_unreported(alert_settings):
    alert_settings.ALERT_EMAILS = {"ops": [], "finance": ["finance@example.test"]}
    case = _raise("asn:nobody", severity="high", age=timedelta(hours=2))
    assert alerts.send_immediate_alerts() == 0 and alerts.send_digests() == {}
    assert ExceptionCase.objects.get(pk=case.pk).alerted_at is None  # reported once ops configure alerts
