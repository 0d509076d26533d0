"""The deliveries part of the sync page: the filtered outbox list, one resend form, bulk resend.

Resending follows ownership: only the team that owns a delivery's handler may send it again
(``work_ops_exceptions`` / ``work_finance_exceptions``); admins, who belong to no team, may not.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from vendorsync.access import require_perm
from vendorsync.models import OutboxMessage, Team
from vendorsync.outbox import services
from vendorsync.outbox.filters import OutboxFilter
from vendorsync.outbox.registry import lookup_for, owned_by, owner_of
from vendorsync.tables import OutboxTable

PAGE_SIZE = 50
TEAM_PERMS = ("work_ops_exceptions", "work_finance_exceptions")


def _filtered(data: QueryDict | None) -> tuple[OutboxFilter, QuerySet[OutboxMessage]]:
    filterset = OutboxFilter(data or None, queryset=OutboxMessage.objects.all())
    if filterset.is_bound and not filterset.is_valid():
        return filterset, OutboxMessage.objects.none()
    return filterset, filterset.qs


def _resendable(queryset: QuerySet[OutboxMessage], user: Any) -> QuerySet[OutboxMessage]:
    """The part of ``queryset`` that ``user`` may send again: waiting for a person, their team's."""
    teams = services.teams_of(user)
    queryset = queryset.filter(state__in=services.RESENDABLE)
    if teams >= set(Team.values):
        return queryset
    if not teams:
        return queryset.none()
    # One team: an empty Q() (ops owns everything nobody else registered) must not be OR-ed away.
    [team] = teams
    return queryset.filter(owned_by(team))


def deliveries_context(request: HttpRequest) -> dict[str, Any]:
    """The filter, the table and what bulk resend would do, for the sync page."""
    filterset, queryset = _filtered(request.GET)
    table = OutboxTable(queryset, prefix="outbox-", user=request.user)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    resend = _resendable(queryset, request.user).aggregate(
        n=Count("id"), unknown=Count("id", filter=Q(outcome_unknown=True))
    )
    filter_query = request.GET.copy()
    for name in list(filter_query):
        if name not in filterset.filters:
            del filter_query[name]
    return {
        "filter": filterset,
        "outbox": table,
        "resend_count": resend["n"],
        "resend_unknown": resend["unknown"],
        "filter_query": filter_query.urlencode(),
    }


@require_perm(*TEAM_PERMS)
def outbox_requeue(request: HttpRequest, public_id: str) -> HttpResponse:
    """One delivery: GET shows what it is and asks for a reason; POST sends it again."""
    message = get_object_or_404(OutboxMessage, public_id=public_id)
    error = ""
    if request.method == "POST":
        try:
            services.outbox_requeue(
                message=message, actor=request.user, reason=request.POST.get("reason", "")
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            if message.outcome_unknown:
                messages.success(
                    request,
                    f"{message.external_key} is looked up in {message.get_target_display()} first, "
                    "then sent again only if it is not there.",
                )
            else:
                messages.success(request, f"{message.external_key} will be sent again.")
            return redirect(f"{reverse('sync_runs')}#deliveries")
    context = {
        "message": message,
        "owner": Team(owner_of(message)).label,
        "may_resend": services.may_resend(request.user, message),
        "can_check": lookup_for(message) is not None,
        "error": error,
    }
    return render(request, "vendorsync/outbox_resend.html", context, status=400 if error else 200)


@require_POST
@require_perm(*TEAM_PERMS)
def outbox_resend_filtered(request: HttpRequest) -> HttpResponse:
    """Bulk resend: every delivery the deliveries filter selects that the user's team may resend."""
    filter_query = QueryDict(request.POST.get("filter", ""))
    _filterset, queryset = _filtered(filter_query)
    target = f"{reverse('sync_runs')}?{filter_query.urlencode()}#deliveries"
    try:
        outcome = services.outbox_resend(
            messages=queryset.filter(state__in=services.RESENDABLE),
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(target)
    text = f"{outcome.resent} deliver{'y' if outcome.resent == 1 else 'ies'} will be sent again"
    if outcome.may_have_reached:
        text += f" ({outcome.may_have_reached} looked up by external id first)"
    if outcome.not_owned:
        text += f"; {outcome.not_owned} belong to the other team and were left as they are"
    messages.success(request, text + ".")
    return redirect(target)
