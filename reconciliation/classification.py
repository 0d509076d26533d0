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
from typing import Any

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


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=")


def _prefilter(patterns: list[str]) -> re.Pattern[str] | None:
    """One regex that matches a text wherever ANY of ``patterns`` would (``search`` semantics).

    Used only to skip a run of rules that cannot match: when it finds nothing, none of them does;
    when it finds something, the rules are still tried one by one in order, so the first matching
    rule and its ``base`` group are exactly what they would be without it. Named groups become
    plain groups and global inline flags scoped ones; patterns with back-references (which that
    would renumber) get no prefilter.
    """
    parts = []
    for pattern in patterns:
        if _BACKREFERENCE.search(pattern):
            return None
        pattern = re.sub(r"\(\?P<\w+>", "(?:", pattern)
        flags = re.match(r"\(\?([aiLmsux]+)\)", pattern)
        if flags:
            pattern = f"(?{flags.group(1)}:{pattern[flags.end() :]})"
        parts.append(f"(?:{pattern})")
    try:
        return re.compile("|".join(parts))
    except re.error:
        return None


class Classifier:
    def __init__(self, rules: list[CompiledRule], known_invoices: set[str]) -> None:
        self.rules = rules
        self.known_invoices = known_invoices
        # ``values`` runs once per line of a 100,000-line file, so the per-rule work is resolved
        # here into blocks of consecutive rules on the same field: (field index, prefilter search
        # or None, [(search or None for "known invoice", type, rule id), ...]).
        positions = {RuleField.DOCUMENT_NUMBER: 0, RuleField.DESCRIPTION: 1, RuleField.ADJUSTMENT_CODE: 2}
        blocks: list[tuple[int, Any, list[tuple[Any, str, int | None]]]] = []
        current_field: str | None = None
        for rule in rules:
            if rule.field != RuleField.KNOWN_INVOICE and rule.regex is None:
                continue
            if rule.field != current_field or rule.field == RuleField.KNOWN_INVOICE:
                blocks.append((positions.get(rule.field, 0), None, []))
                current_field = rule.field
            search = None if rule.field == RuleField.KNOWN_INVOICE else rule.regex.search
            blocks[-1][2].append((search, rule.line_type, rule.id))
        self._blocks = []
        for position, _, members in blocks:
            prefilter = None
            if len(members) > 1:
                combined = _prefilter([search.__self__.pattern for search, _, _ in members])
                prefilter = combined.search if combined is not None else None
            self._blocks.append((position, prefilter, members))

    def classify(
        self, *, document_number: str, description: str = "", adjustment_code: str = ""
    ) -> Classified:
        return Classified(*self.values(document_number, description, adjustment_code))

    def values(
        self, document_number: str, description: str, adjustment_code: str
    ) -> tuple[str, str, int | None]:
        """``classify`` as a plain (line type, base invoice, rule id) tuple: the importer's fast path."""
        texts = (document_number.strip(), description.strip(), adjustment_code.strip())
        for position, prefilter, members in self._blocks:
            value = texts[position]
            if prefilter is not None and (not value or prefilter(value) is None):
                continue  # no rule of this block can match
            for search, line_type, rule_id in members:
                if search is None:  # known NetSuite invoice
                    if texts[0] in self.known_invoices:
                        return line_type, "", rule_id
                    continue
                if not value:
                    continue
                match = search(value)
                if match:
                    base = match.groupdict().get("base") if match.re.groupindex else None
                    return line_type, (base or "").strip(" -"), rule_id
        return LineType.UNKNOWN, "", None


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
        self._memo: dict[tuple[str, str, date], MappingVersion | None] = {}
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
        # Memoised: an import asks the same few (type, code, date) questions for thousands of lines,
        # and the table does not change once built.
        key = (line_type, adjustment_code, when)
        try:
            return self._memo[key]
        except KeyError:
            found = self._memo[key] = self._lookup(line_type, adjustment_code, when)
            return found

    def _lookup(self, line_type: str, adjustment_code: str, when: date) -> MappingVersion | None:
        candidates = [v for v in self.by_type.get(line_type, ()) if v.in_force(when)]
        specific = [v for v in candidates if v.adjustment_code and v.adjustment_code == adjustment_code]
        if specific:
            return specific[0]
        generic = [v for v in candidates if not v.adjustment_code]
        return generic[0] if generic else None
