"""Finance pages: remittances, deductions, imports (upload with progress), GL mappings with a dry run.

Parse → service → render. Lists are django-tables2 + django-filter with XLSX export; the upload's
work runs in the worker (``reconciliation.tasks.import_remittance``) and the import page polls its
progress with htmx (a ``<progress>`` element: no inline script or style, so CSP holds).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from reconciliation import selectors, services
from reconciliation.filters import DeductionFilter, RemittanceFilter
from reconciliation.forms import HeaderMappingForm, MappingForm, RuleForm, UploadForm
from reconciliation.models import (
    ClassificationRule,
    DeductionMapping,
    HeaderMapping,
    ImportBatch,
    ImportDoor,
    Remittance,
)
from reconciliation.posting import selectors as posting_selectors
from reconciliation.posting import services as posting_services
from reconciliation.tables import DeductionTable, ImportTable, LineTable, MappingTable, RemittanceTable
from vendorsync.access import require_perm
from vendorsync.exports import table_xlsx_response
from vendorsync.roles import perm

PAGE_SIZE = 50


def _partial(request: HttpRequest) -> bool:
    return bool(request.htmx and not request.htmx.history_restore_request)


@require_perm("view_reconciliation")
@vary_on_headers("HX-Request")
def remittances(request: HttpRequest) -> HttpResponse:
    queryset = Remittance.objects.all()
    filterset = RemittanceFilter(request.GET or None, queryset=queryset)
    qs = queryset.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
    if not request.GET.get("status"):
        qs = qs.exclude(status="superseded")
    table = RemittanceTable(qs)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "remittances")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    template = (
        "reconciliation/remittances.html#results" if _partial(request) else "reconciliation/remittances.html"
    )
    return render(request, template, {"filter": filterset, "table": table})


@require_perm("view_reconciliation")
def remittance_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    remittance = get_object_or_404(
        Remittance.objects.select_related("batch", "supersedes"), public_id=public_id
    )
    lines = LineTable(remittance.lines.select_related("gl_account", "discount_gl_account"))
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, lines, f"remittance-{remittance.payment_number}")
    RequestConfig(request, paginate={"per_page": 200}).configure(lines)
    return render(
        request,
        "reconciliation/remittance_detail.html",
        {
            "remittance": remittance,
            "table": lines,
            "blockers": services.remittance_blockers(remittance),
            "posting_batch": posting_selectors.live_batch_of(remittance),
            "can_build": posting_services.may_prepare(request.user),
        },
    )


@require_perm("view_reconciliation")
@vary_on_headers("HX-Request")
def deductions(request: HttpRequest) -> HttpResponse:
    queryset = selectors.deductions()
    filterset = DeductionFilter(request.GET or None, queryset=queryset)
    qs = queryset.none() if filterset.is_bound and not filterset.is_valid() else filterset.qs
    table = DeductionTable(qs)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "deductions")
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    context = {"filter": filterset, "table": table, "totals": selectors.deduction_totals(qs)}
    template = (
        "reconciliation/deductions.html#results" if _partial(request) else "reconciliation/deductions.html"
    )
    return render(request, template, context)


@require_perm("view_reconciliation")
def imports(request: HttpRequest) -> HttpResponse:
    """The upload form (finance) and the history of every import, whatever its door."""
    can_import = request.user.has_perm(perm("prepare_postings"))
    form = UploadForm()
    if request.method == "POST":
        if not can_import:
            return render(request, "403.html", status=403)
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            batch = services.import_batch_create(
                name=upload.name,
                door=ImportDoor.UPLOAD,
                data=upload.read(),
                actor=request.user,
                revision=form.cleaned_data["revision"],
                keep_content=True,
            )
            from reconciliation.tasks import import_remittance

            fmt = form.cleaned_data["format"]
            transaction.on_commit(lambda: import_remittance.delay(batch.pk, fmt))
            return redirect(batch.get_absolute_url())
    table = ImportTable(ImportBatch.objects.select_related("uploaded_by").defer("content"))
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return render(
        request, "reconciliation/imports.html", {"form": form, "table": table, "can_import": can_import}
    )


@require_perm("view_reconciliation")
@vary_on_headers("HX-Request")
def import_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    batch = get_object_or_404(ImportBatch.objects.defer("content"), public_id=public_id)
    template = (
        "reconciliation/import_detail.html#status"
        if _partial(request)
        else "reconciliation/import_detail.html"
    )
    return render(request, template, {"batch": batch})


@require_perm("view_reconciliation")
@vary_on_headers("HX-Request")
def mappings(request: HttpRequest) -> HttpResponse:
    """Mapping versions; admins propose a change, see its dry run, then save it."""
    can_edit = request.user.has_perm(perm("manage_mappings"))
    form = MappingForm(request.POST or None) if can_edit else None
    moves = None
    if request.method == "POST":
        if not can_edit:
            return render(request, "403.html", status=403)
        if form.is_valid():
            data = form.cleaned_data
            change = services.MappingChange(
                line_type=data["line_type"],
                adjustment_code=data["adjustment_code"].strip(),
                gl_account=data["gl_account"],
                effective_from=data["effective_from"],
                note=data["note"],
            )
            try:
                if request.POST.get("action") == "save":
                    services.mapping_change(actor=request.user, change=change)
                    messages.success(request, "Mapping saved; lines it now covers were recoded.")
                    return redirect("reconciliation:mappings")
                moves = services.mapping_dry_run(change=change, last=data["last"])
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
        if _partial(request):
            return render(request, "reconciliation/mappings.html#dry_run", {"form": form, "moves": moves})
    table = MappingTable(DeductionMapping.objects.select_related("gl_account", "changed_by"))
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    if request.GET.get("export") == "xlsx":
        return table_xlsx_response(request, table, "gl-mappings")
    return render(
        request,
        "reconciliation/mappings.html",
        {"form": form, "moves": moves, "table": table, "can_edit": can_edit},
    )


@require_perm("view_reconciliation")
def rules(request: HttpRequest) -> HttpResponse:
    """The classification rules and the spreadsheet header mappings (admins edit headers here)."""
    can_edit = request.user.has_perm(perm("manage_mappings"))
    return render(
        request,
        "reconciliation/rules.html",
        {
            "rules": ClassificationRule.objects.all(),
            "headers": HeaderMapping.objects.all(),
            "form": HeaderMappingForm() if can_edit else None,
            "rule_form": RuleForm() if can_edit else None,
            "can_edit": can_edit,
        },
    )


@require_POST
@require_perm("manage_mappings")
def header_mapping_save(request: HttpRequest) -> HttpResponse:
    form = HeaderMappingForm(request.POST)
    if form.is_valid():
        mapping = services.header_mapping_save(
            actor=request.user, header=form.cleaned_data["header"], field=form.cleaned_data["field"]
        )
        messages.success(request, f"Column {mapping.header!r} now fills {mapping.get_field_display()}.")
    else:
        messages.error(request, "Give a header and a field.")
    return redirect("reconciliation:rules")


@require_POST
@require_perm("manage_mappings")
def header_mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.header_mapping_delete(actor=request.user, mapping=get_object_or_404(HeaderMapping, pk=pk))
    messages.success(request, "Header mapping removed.")
    return redirect("reconciliation:rules")


@require_POST
@require_perm("manage_mappings")
def rule_add(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        services.classification_rule_add(
            actor=request.user,
            order=data["order"],
            field=data["field"],
            pattern=data["pattern"],
            line_type=data["line_type"],
            note=data["note"],
        )
        messages.success(request, "Rule added; it classifies lines imported from now on.")
    else:
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        messages.error(request, f"Rule not added. {errors}")
    return redirect("reconciliation:rules")


@require_POST
@require_perm("manage_mappings")
def rule_toggle(request: HttpRequest, public_id: str) -> HttpResponse:
    rule = services.classification_rule_toggle(
        actor=request.user, rule=get_object_or_404(ClassificationRule, public_id=public_id)
    )
    messages.success(request, f"Rule {rule.order} {'activated' if rule.active else 'switched off'}.")
    return redirect("reconciliation:rules")
