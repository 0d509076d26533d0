"""Seed the editable tables: classification rules (reference §10.2/§10.4) and header mappings.

Data, not code: admins edit both tables afterwards. Rules are tried by ``order``; document-number
suffix rules come first (longest suffix first: SCRSC before SCR before SC), then known NetSuite
invoices, the vendor's invoice numbering, descriptions, and adjustment codes (ADX02) last, since
real 820s often omit ADX on deduction lines.
"""

from django.db import migrations

RULES = [
    # order, field, pattern, type, note
    (10, "document_number", r"^(?P<base>.+?)-?SCRSC$", "shortage_revised", "Revised shortage claim"),
    (20, "document_number", r"^(?P<base>.+?)-?SCR$", "shortage_reversal", "Shortage claim reversal"),
    (30, "document_number", r"^(?P<base>.+?)-?SC$", "shortage", "Shortage claim (PQV)"),
    (40, "document_number", r"^(?P<base>.+?)-?PCR$", "price_claim_reversal", "Price claim reversal"),
    (50, "document_number", r"^(?P<base>.+?)(?:-?PC|\(PC\))$", "price_claim", "Price claim (PPV)"),
    (60, "document_number", r"VCBSINV$", "chargeback", "Chargeback debit note"),
    (70, "document_number", r"^IPAPUS\d{7}$", "price_protection", "Price protection agreement"),
    (80, "document_number", r"(?i)PROVISION FOR RECEIVABLESR$", "provision_reversal", "Provision reversal"),
    (90, "document_number", r"(?i)PROVISION FOR RECEIVABLES$", "provision", "Provision for receivables"),
    (100, "document_number", r"^\d{4}-\d{7,8}$", "coop", "Agreement (co-op) invoice XXXX-XXXXXXXX"),
    (110, "known_invoice", "", "invoice", "Document number is one of the customer's NetSuite invoices"),
    (120, "document_number", r"^INV-[\w-]+$", "invoice", "The vendor's invoice numbering (edit to yours)"),
    (130, "description", r"(?i)\b(return|RTV|VRET)\b", "return", "Returns"),
    (140, "description", r"(?i)terms discount|quick ?pay", "terms_discount", "Terms / quick-pay discount"),
    (150, "description", r"(?i)co-?op|agreement|allowance|marketing development", "coop", "Co-op by description"),
    (160, "description", r"(?i)chargeback", "chargeback", "Chargeback by description"),
    (170, "description", r"(?i)^invoice payment$", "invoice", "Invoice payment by description"),
    (180, "adjustment_code", r"^04$", "shortage", "ADX02 04 (shortage) when present"),
    (190, "adjustment_code", r"^01$", "price_claim", "ADX02 01 (pricing) when present"),
]

HEADERS = {
    "payment_number": ["payment number", "payment #", "payment no", "payment no.", "payment id", "payment reference"],
    "payment_date": ["payment date", "paid date", "payment date (mm/dd/yyyy)", "date paid"],
    "payment_amount": ["payment amount", "payment total", "total payment amount", "payment amount (usd)"],
    "currency": ["payment currency", "currency", "currency code"],
    "document_number": ["invoice number", "invoice #", "invoice no", "invoice no.", "document number", "invoice id", "transaction number"],
    "document_date": ["invoice date", "document date", "transaction date"],
    "description": ["transaction description", "description", "invoice description", "remarks"],
    "invoice_amount": ["invoice amount", "original invoice amount", "gross amount"],
    "discount": ["terms discount taken", "discount taken", "terms discount", "discount"],
    "amount_paid": ["amount paid", "net amount paid", "paid amount", "net amount"],
    "purchase_order": ["po number", "po #", "purchase order", "purchase order number"],
    "adjustment_code": ["adjustment code", "reason code"],
    "ignore": ["invoice currency", "remaining amount", "withholding amount", "vendor code", "payee code"],
}


def seed(apps, schema_editor):
    Rule = apps.get_model("reconciliation", "ClassificationRule")
    Header = apps.get_model("reconciliation", "HeaderMapping")
    for order, field, pattern, line_type, note in RULES:
        Rule.objects.get_or_create(order=order, field=field, pattern=pattern, defaults={"line_type": line_type, "note": note})
    for field, headers in HEADERS.items():
        for header in headers:
            Header.objects.get_or_create(header=header, defaults={"field": field})


def unseed(apps, schema_editor):
    apps.get_model("reconciliation", "ClassificationRule").objects.all().delete()
    apps.get_model("reconciliation", "HeaderMapping").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("reconciliation", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
