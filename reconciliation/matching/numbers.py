"""Document-number handling: normalisation, deduction suffixes, and "nearly the same number".

Remittances retype our invoice numbers: lower case, spaces, separators dropped or added, zero
padding, truncation to a column width, and now and then a character wrong. These functions make
two spellings of one number compare equal, and say how two numbers differ when they nearly do.
"""

from __future__ import annotations

import re

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_LEADING_ZEROS = re.compile(r"^0+(?=[0-9A-Z])|(?<=[A-Z])0+(?=[0-9])")
# Longest suffix first: ...SCRSC is a revised claim, not an SC of "...SCR".
_DEDUCTION_SUFFIX = re.compile(r"[\s\-_/.(]*(SCRSC|SCR|SC|PCR|PC|VCBSINV)\)?$")
MIN_TRUNCATED_LENGTH = 6  # a shorter stub matches too much to mean anything


def normalise(number: str) -> str:
    """Upper case, only letters and digits, no leading zeros in any run of digits.

    ``" inv-0001001 "`` and ``"INV1001"`` both give ``"INV1001"``. Zeros inside a number stay.
    """
    upper = number.upper()
    if not (upper.isascii() and upper.isalnum()):  # skip the regexes when they cannot change anything
        upper = _NOT_ALNUM.sub("", upper)
    return _LEADING_ZEROS.sub("", upper) if "0" in upper else upper


def compact(number: str) -> str:
    """Upper case letters and digits only, zeros kept: the form typos are counted in.

    Stripping zeros first would turn one wrong character into several (``INV-01WA01NY`` →
    ``INV1WA1NY`` but ``INV-01WA0ENY`` → ``INV1WAENY``).
    """
    return _NOT_ALNUM.sub("", number.upper())


def strip_deduction_suffix(document_number: str) -> str:
    """``INV1001SC`` / ``INV1001-SC`` / ``INV1001 (PC)`` → ``INV1001``; "" when there is no suffix."""
    upper = document_number.strip().upper()
    found = _DEDUCTION_SUFFIX.search(upper)
    if not found or found.start() == 0:
        return ""
    return document_number.strip()[: found.start()]


def near_miss(a: str, b: str) -> str:
    """How two normalised numbers nearly agree ("" when they do not).

    One substitution, insertion, deletion or swap of neighbours; or one is the other cut short
    (at least ``MIN_TRUNCATED_LENGTH`` characters kept, from either end).
    """
    if a == b:
        return ""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) >= MIN_TRUNCATED_LENGTH and len(long_) > len(short) + 1:
        if long_.startswith(short) or long_.endswith(short):
            return "truncated"
        return ""
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return "one character differs"
        if (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        ):
            return "two characters swapped"
        return ""
    if len(long_) == len(short) + 1:
        i = 0
        while i < len(short) and short[i] == long_[i]:
            i += 1
        if short[i:] == long_[i + 1 :]:
            return "truncated" if i == len(short) else "one character more or less"
    return ""
