"""Orders pages. Purchase orders, acknowledgements, shipments and invoices arrive with the order-flow issues."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from vendorsync.access import require_perm
from vendorsync.selectors import team_overview


@require_perm("view_orders")
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "orders/index.html", team_overview(team="ops"))
