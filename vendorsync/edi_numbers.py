"""X12 control numbers for our outbound EDI, drawn from the core's persisted sequences.

The EDI connector (``vendorsync.edi``) imports nothing from the core: its writers take
``control_numbers=`` from the caller, either a ``ControlNumbers`` or a callable returning one.
This is the caller side: pass ``next_control_numbers`` (the function itself, so numbers are only
drawn once the document has been validated and is about to be rendered)::

    write_856(confirmation, envelope=..., control_numbers=next_control_numbers, at=now)

Each counter is incremented by ``vendorsync.services.sequence_next`` under ``select_for_update``
inside ``transaction.atomic``, so two workers never hand out the same number. ISA13 is 9 digits:
counters wrap from 999999999 to 1 (GS06 and ST02 wrap at the same bound; their 9-digit maximum is
the same).
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
