"""X12 EDI connector for Amazon Vendor Central (1P): tokenizer, envelopes, readers and writers.

Readers (Amazon → us): ``read_purchase_orders`` (850 → ``EdiPurchaseOrder``, whose ``.order`` is
the very ``vendorsync.amazon.values.PurchaseOrder`` the Orders API client returns),
``read_remittances`` (820 → ``Remittance``), ``read_documents`` (any supported set). Every reader
returns a ``ReadResult``: the good documents (iterate or unpack it like a list) plus
``.rejected``, the transaction sets it skipped with errors naming the segment position — one bad
set no longer fails the file, and ``acknowledge_group`` turns those errors into a rejecting 997.
Writers (us → Amazon): ``write_855``, ``write_856`` (5010), ``write_810``, ``write_997``; each takes a
typed value (the 856 and 810 take the Amazon API's ``ShipmentConfirmation`` and ``Invoice``, so the
ASN and the invoice have one type whichever channel carries them, and read back into them), an ``OutboundEnvelope`` (sender/receiver ids), ``control_numbers`` (a
``ControlNumbers`` or a callable returning one, e.g. the core's
``vendorsync.edi_numbers.next_control_numbers``) and
``at`` (the envelope timestamp: timezone-aware, written in UTC). Writers are strict about what we
create (bad SSCC/GTIN check digits raise ``ValueError``) but echo product ids read from a PO
(``ProductId.echoed``) unchanged; readers are lenient (they collect ``X12Warning``s). Damage to
the interchange itself (ISA, GS/GE, IEA) raises ``X12Error`` naming the segment position.

Why a tokenizer of our own rather than a library: see ``vendorsync.edi.x12``. This package holds
no business rules and imports nothing from the core (models, services, outbox), ``orders`` or
``reconciliation`` (``tests/test_connector_boundaries.py`` checks it): the caller passes the
control numbers in.
"""

from vendorsync.edi._common import product_ids_for
from vendorsync.edi.acknowledgement import (
    API_ACK_CODES,
    AcknowledgementItem,
    ItemStatus,
    PurchaseOrderAcknowledgement,
    read_acknowledgements,
    write_855,
)
from vendorsync.edi.documents import UnsupportedTransaction, read_documents, to_jsonable
from vendorsync.edi.errors import X12Error, X12Warning
from vendorsync.edi.functional_ack import (
    FunctionalAcknowledgement,
    TransactionResponse,
    acknowledge_group,
    read_functional_acknowledgements,
    write_997,
)
from vendorsync.edi.invoice import EdiInvoice, read_invoices, write_810
from vendorsync.edi.purchase_order import (
    API_UOM_TO_X12,
    EdiOrderLine,
    EdiPurchaseOrder,
    parse_850,
    read_purchase_orders,
)
from vendorsync.edi.remittance import Adjustment, Remittance, RemittanceLine, read_remittances
from vendorsync.edi.ship_notice import EdiShipNotice, read_ship_notices, write_856
from vendorsync.edi.values import (
    DateReference,
    EnvelopeInfo,
    N1Loop,
    ProductId,
    ReadResult,
    Reference,
    RejectedTransaction,
)
from vendorsync.edi.x12 import (
    ControlNumbers,
    Delimiters,
    Interchange,
    OutboundEnvelope,
    Segment,
    parse_interchanges,
    tokenize,
)

__all__ = [
    "API_ACK_CODES",
    "API_UOM_TO_X12",
    "AcknowledgementItem",
    "Adjustment",
    "ControlNumbers",
    "DateReference",
    "Delimiters",
    "EdiInvoice",
    "EdiOrderLine",
    "EdiPurchaseOrder",
    "EdiShipNotice",
    "EnvelopeInfo",
    "FunctionalAcknowledgement",
    "Interchange",
    "N1Loop",
    "ItemStatus",
    "OutboundEnvelope",
    "ProductId",
    "PurchaseOrderAcknowledgement",
    "ReadResult",
    "Reference",
    "RejectedTransaction",
    "Remittance",
    "RemittanceLine",
    "Segment",
    "TransactionResponse",
    "UnsupportedTransaction",
    "X12Error",
    "X12Warning",
    "acknowledge_group",
    "parse_850",
    "parse_interchanges",
    "product_ids_for",
    "read_acknowledgements",
    "read_documents",
    "read_functional_acknowledgements",
    "read_invoices",
    "read_purchase_orders",
    "read_remittances",
    "read_ship_notices",
    "to_jsonable",
    "tokenize",
    "write_810",
    "write_855",
    "write_856",
    "write_997",
]
