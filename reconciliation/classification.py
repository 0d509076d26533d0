"""Classify remittance lines by the editable rule table, and code deductions to GL accounts.

Rules are tried in ``order``; the first that matches gives the line type, and its named group
``base`` (if any) the base invoice number the deduction concerns. A ``known_invoice`` rule matches
when the document number is one of the Amazon customer's NetSuite invoices (``sync ar``). Nothing
matches → ``unknown`` (the importer raises ``unmatched_remittance_line`` for it).

Both functions work on plain values and preloaded tables so an import of 100,000 lines makes a
fixed number of queries.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from reconciliation.models import ClassificationRule, DeductionMapping, LineType, RuleField


@dataclass(frozen=True)
class Classified:
    line_type: str
    base_invoice_number: str
    rule_id: int | None


@dataclass(frozen=True)
class CompiledRule:
    id: int | None
    field: str
    regex: re.Pattern[str] | None
    line_type: str


def compile_rules(rules: Iterable[ClassificationRule] | None = None) -> list[CompiledRule]:
    """The active rules, compiled. Raises ``re.error`` naming the bad rule."""
    if rules is None:
        rules = ClassificationRule.objects.filter(active=True).order_by("order", "id")
    compiled = []
    for rule in rules:
        try:
            regex = re.compile(rule.pattern) if rule.field != RuleField.KNOWN_INVOICE else None
        except re.error as exc:
            raise re.error(f"rule {rule.order} ({rule.pattern!r}): {exc}") from None
        compiled.append(CompiledRule(rule.pk, rule.field, regex, rule.line_type))
    return compiled


class Classifier:
    def __init__(self, rules: list[CompiledRule], known_invoices: set[str]) -> None:
        self.rules = rules
        self.known_invoices = known_invoices

    def classify(
        self, *, document_number: str, description: str = "", adjustment_code: str = ""
    ) -> Classified:
        values = {
            RuleField.DOCUMENT_NUMBER: document_number.strip(),
            RuleField.DESCRIPTION: description.strip(),
            RuleField.ADJUSTMENT_CODE: adjustment_code.strip(),
        }
        for rule in self.rules:
            if rule.field == RuleField.KNOWN_INVOICE:
                if values[RuleField.DOCUMENT_NUMBER] in self.known_invoices:
                    return Classified(rule.line_type, "", rule.id)
                continue
            value = values[rule.field]
            if not value or rule.regex is None:
                continue
            match = rule.regex.search(value)
            if match:
                base = (match.groupdict().get("base") or "").strip(" -")
                return Classified(rule.line_type, base, rule.id)
        return Classified(LineType.UNKNOWN, "", None)


@dataclass(frozen=True)
class MappingVersion:
    id: int | None
    line_type: str
    adjustment_code: str
    gl_account_id: int
    effective_from: date
    effective_to: date | None

    def in_force(self, when: date) -> bool:
        return self.effective_from <= when and (self.effective_to is None or when <= self.effective_to)


class MappingTable:
    """The mapping versions, indexed by type; ``lookup`` prefers a code-specific mapping."""

    def __init__(self, versions: Iterable[MappingVersion]) -> None:
        self.by_type: dict[str, list[MappingVersion]] = defaultdict(list)
        for version in versions:
            self.by_type[version.line_type].append(version)

    @classmethod
    def load(cls) -> MappingTable:
        return cls(
            MappingVersion(
                m.pk, m.line_type, m.adjustment_code, m.gl_account_id, m.effective_from, m.effective_to
            )
            for m in DeductionMapping.objects.all()
        )

    def lookup(self, line_type: str, adjustment_code: str, when: date) -> MappingVersion | None:
        candidates = [v for v in self.by_type.get(line_type, ()) if v.in_force(when)]
        specific = [v for v in candidates if v.adjustment_code and v.adjustment_code == adjustment_code]
        if specific:
            return specific[0]
        generic = [v for v in candidates if not v.adjustment_code]
        return generic[0] if generic else None
