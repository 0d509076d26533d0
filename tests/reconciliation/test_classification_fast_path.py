"""The classifier's fast path (literal suffix/prefix tests read off each rule's regex, block
prefilters) never changes a result: for any text, the first rule whose regex finds something is
the rule the classifier returns, exactly as trying every regex in order would."""

from __future__ import annotations

import importlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciliation.classification import Classifier, CompiledRule, literal_condition
from reconciliation.models import LineType, RuleField

# Pieces the seeded rules and odd admin rules care about, so random texts hit their edges.
PIECES = ["INV-", "SC", "SCR", "SCRSC", "PC", "PCR", "(PC)", "-", "VCBSINV", "IPAPUS", "1234567", "0",
          "PROVISION FOR RECEIVABLES", "provision for receivables", "R", "04", "01", " ", "\n", "ſ", "K",
          "return", "RTV", "Quick pay", "co-op", "x"]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)

EXTRA_PATTERNS = [
    r"(?:ab|cd)$",
    r"ab|cd$",
    r"^(?i:inv)-\d+$",
    r"x(?i:SC)$",
    r"(?m)SC$",
    r"SC\Z",
    r"\ASC",
    r"^04$",
    r"SC(?=R)",
    r"[A-Z]SC$",
]


def reference(
    rules: list[CompiledRule], known: set[str], texts: tuple[str, str, str]
) -> tuple[str, int | None]:
    fields = {RuleField.DOCUMENT_NUMBER: 0, RuleField.DESCRIPTION: 1, RuleField.ADJUSTMENT_CODE: 2}
    stripped = tuple(t.strip() for t in texts)
    for rule in rules:
        if rule.field == RuleField.KNOWN_INVOICE:
            if stripped[0] in known:
                return rule.line_type, rule.id
            continue
        value = stripped[fields[rule.field]]
        if value and rule.regex.search(value):
            return rule.line_type, rule.id
    return LineType.UNKNOWN, None


def seeded_rules() -> list[CompiledRule]:
    """The rule table the application ships (from its seeding migration, so no database is needed)."""
    seed = importlib.import_module("reconciliation.migrations.0002_seed_rules_and_headers")
    return [
        CompiledRule(
            order, field, re.compile(pattern) if field != RuleField.KNOWN_INVOICE else None, line_type
        )
        for order, field, pattern, line_type, _ in seed.RULES
    ]


@pytest.fixture(scope="module")
def rule_sets() -> list[list[CompiledRule]]:
    seeded = seeded_rules()
    extra = [
        CompiledRule(1000 + n, field, re.compile(pattern), LineType.COOP)
        for n, pattern in enumerate(EXTRA_PATTERNS)
        for field in (RuleField.DOCUMENT_NUMBER, RuleField.DESCRIPTION)
    ]
    return [seeded, extra + seeded, seeded[:5] + extra + seeded[5:]]


@settings(max_examples=400, deadline=None)
@given(document=texts, description=texts, code=texts, which=st.integers(0, 2), known=st.booleans())
def test_the_fast_path_returns_what_trying_every_rule_in_order_returns(
    rule_sets, document, description, code, which, known
):
    rules = rule_sets[which]
    invoices = {document.strip()} if known else set()
    got = Classifier(rules, invoices).values(document, description, code)
    assert (got[0], got[2]) == reference(rules, invoices, (document, description, code))


def test_literal_conditions_are_read_only_where_they_are_certain():
    assert literal_condition(r"^(?P<base>.+?)-?SCRSC$") == (("SCRSC",), ())
    assert literal_condition(r"^(?P<base>.+?)(?:-?PC|\(PC\))$") == (("(PC)", "PC"), ())
    assert literal_condition(r"^IPAPUS\d{7}$") == ((), ("IPAPUS",))
    for uncertain in [r"(?i)PROVISION FOR RECEIVABLES$", r"ab|cd$", r"x(?i:ab)$", r"(?m)SC$", r"[A-Z]$", "("]:
        assert literal_condition(uncertain) is None, uncertain
