"""Reconciliation pages. Remittances, matching and posting batches arrive with the cash-application issues."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vendorsync.access import require_perm
from vendorsync.selectors import team_overview


@require_perm("view_reconciliation")
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "reconciliation/index.html", team_overview(team="finance"))
