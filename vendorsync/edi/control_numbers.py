"""Next X12 control numbers from the core's persisted sequences (the only Django code in the EDI connector).

Each counter is incremented by ``vendorsync.services.sequence_next`` under ``select_for_update``
inside ``transaction.atomic``, so two workers never hand out the same number. ISA13 is 9 digits: counters wrap from 999999999 to 1
(GS06 and ST02 wrap at the same bound; their 9-digit maximum is the same).
"""

from __future__ import annotations

from django.db import transaction

from vendorsync.edi.x12 import MAX_CONTROL_NUMBER, ControlNumbers
from vendorsync.services import sequence_next

INTERCHANGE = "x12.isa"
GROUP = "x12.gs"
TRANSACTION = "x12.st"


def next_value(name: str, *, maximum: int = MAX_CONTROL_NUMBER) -> int:
    """Increment counter ``name`` and return the new value (1 after ``maximum``)."""
    return sequence_next(name=name, wrap_at=maximum)


def next_control_numbers() -> ControlNumbers:
    """ISA13, GS06 and ST02 for one outbound document; pass it as ``control_numbers=`` to a writer."""
    with transaction.atomic():
        return ControlNumbers(
            interchange=next_value(INTERCHANGE),
            group=next_value(GROUP),
            transaction=next_value(TRANSACTION),
        )
