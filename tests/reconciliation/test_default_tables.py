"""The seeded classification rules and header mappings come back after a flush (post_migrate)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from reconciliation.models import ClassificationRule, HeaderMapping


@pytest.mark.django_db(transaction=True)
def test_the_default_rules_and_headers_are_seeded_again_into_emptied_tables():
    call_command("flush", interactive=False, verbosity=0)
    assert ClassificationRule.objects.filter(pattern=r"^(?P<base>.+?)-?SC$").exists()
    assert HeaderMapping.objects.filter(header="payment number", field="payment_number").exists()


@pytest.mark.django_db(transaction=True)
def test_an_edited_table_is_left_alone():
    HeaderMapping.objects.exclude(header="payment number").delete()
    call_command("migrate", "reconciliation", verbosity=0)  # emits post_migrate
    assert list(HeaderMapping.objects.values_list("header", flat=True)) == ["payment number"]
