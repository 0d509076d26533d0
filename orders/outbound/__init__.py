"""Orders out (issue 8): fulfilments → validated ASNs → invoices, receipts and the PO window close.

Modules: ``validation`` (the rules every ASN passes before it is sent, on both paths),
``services`` (audited writes), ``encoders`` (the one model → API JSON / X12 856 and 810),
``flows`` (fulfilments, shipments, invoices, receipts, po-window), ``handlers`` (outbox),
``views`` (ops screens; finance reads).
"""
