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
import re._constants as sre_c
import re._parser as sre_p
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


def _literal_tails(items: list[Any]) -> set[str] | None:
    """The literal texts one of which every match of ``items`` must end with, or None if unknown."""
    tail = ""
    for op, av in reversed(items):
        if op is sre_c.LITERAL:
            tail = chr(av) + tail
            continue
        if tail:
            return {tail}
        if op is sre_c.SUBPATTERN and not av[1] & re.IGNORECASE:  # (group, add flags, del flags, p)
            return _literal_tails(list(av[3]))
        if op is sre_c.BRANCH:
            tails: set[str] = set()
            for alternative in av[1]:
                found = _literal_tails(list(alternative))
                if not found:
                    return None
                tails |= found
            return tails
        return None
    return {tail} if tail else None


def literal_condition(pattern: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """(suffixes, prefixes): a text ``pattern`` finds anything in (``search``, on a stripped text)
    ends with one of the suffixes or starts with one of the prefixes — a necessary condition, read
    off the pattern's own parse, that ``str.endswith``/``startswith`` test in C far faster than the
    regex runs. Only an exact, case-sensitive literal anchored by ``$``/``\\Z`` or ``^``/``\\A``
    counts; anything else (case-insensitive, multi-line, a class or repeat at the anchor) gives
    None and the regex alone decides."""
    try:
        parsed = sre_p.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.MULTILINE):
        return None
    items = list(parsed)
    suffixes: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    if items and items[-1] in ((sre_c.AT, sre_c.AT_END), (sre_c.AT, sre_c.AT_END_STRING)):
        suffixes = tuple(sorted(_literal_tails(items[:-1]) or ()))
    if items and items[0] in ((sre_c.AT, sre_c.AT_BEGINNING), (sre_c.AT, sre_c.AT_BEGINNING_STRING)):
        head = ""
        for op, av in items[1:]:
            if op is not sre_c.LITERAL:
                break
            head += chr(av)
        prefixes = (head,) if head else ()
    if suffixes:
        return (suffixes, ())  # when there is a prefix too, both hold: one is enough to test
    return ((), prefixes) if prefixes else None


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
        # here into blocks of consecutive rules on the same field: (field index, prefilter or
        # None, [(search or None for "known invoice", type, rule id, literals or None), ...]).
        positions = {RuleField.DOCUMENT_NUMBER: 0, RuleField.DESCRIPTION: 1, RuleField.ADJUSTMENT_CODE: 2}
        blocks: list[tuple[int, Any, list[tuple[Any, str, int | None, Any]]]] = []
        current_field: str | None = None
        for rule in rules:
            if rule.field != RuleField.KNOWN_INVOICE and rule.regex is None:
                continue
            if rule.field != current_field or rule.field == RuleField.KNOWN_INVOICE:
                blocks.append((positions.get(rule.field, 0), None, []))
                current_field = rule.field
            search = None if rule.field == RuleField.KNOWN_INVOICE else rule.regex.search
            literals = literal_condition(rule.regex.pattern) if rule.regex is not None else None
            blocks[-1][2].append((search, rule.line_type, rule.id, literals))
        self._blocks = [(position, _block_prefilter(members), members) for position, _, members in blocks]

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
            if prefilter is not None and (not value or not prefilter(value)):
                continue  # no rule of this block can match
            for search, line_type, rule_id, literals in members:
                if search is None:  # known NetSuite invoice
                    if texts[0] in self.known_invoices:
                        return line_type, "", rule_id
                    continue
                if not value:
                    continue
                if literals is not None and not (
                    value.endswith(literals[0]) or value.startswith(literals[1])
                ):
                    continue  # the text lacks the literal this rule's regex needs
                match = search(value)
                if match:
                    base = match.groupdict().get("base") if match.re.groupindex else None
                    return line_type, (base or "").strip(" -"), rule_id
        return LineType.UNKNOWN, "", None


def _block_prefilter(members: list[tuple[Any, str, int | None, Any]]) -> Any:
    """A test that is False only when no rule of the block can match a text, or None (try them all).

    Rules with a literal condition are tested by ``endswith``/``startswith`` on tuples of their
    literals; the rest by one combined regex (``_prefilter``). Either way the rules are then still
    tried one by one in order, so the first matching rule is the one it would be without this.
    """
    if len(members) < 2 or any(search is None for search, _, _, _ in members):
        return None
    suffixes = tuple(s for *_, lit in members if lit for s in lit[0])
    prefixes = tuple(p for *_, lit in members if lit for p in lit[1])
    rest = [search.__self__.pattern for search, _, _, lit in members if lit is None]
    combined = _prefilter(rest) if rest else None
    if rest and combined is None:
        return None
    others = combined.search if combined is not None else None

    def prefilter(value: str) -> bool:
        return (
            value.endswith(suffixes)
            or value.startswith(prefixes)
            or (others is not None and others(value) is not None)
        )

    return prefilter


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
