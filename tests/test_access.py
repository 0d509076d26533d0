"""Role × page matrix: every page answers allowed, 403, or a redirect to the login page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from vendorsync import services

ALLOW, DENY = 200, 403

# page name → expected status per persona (anonymous visitors are always sent to the login page)
MATRIX = {
    "dashboard": {"finance": ALLOW, "approver": ALLOW, "ops": ALLOW, "admin": ALLOW, "outsider": DENY},
    "exceptions": {"finance": ALLOW, "approver": ALLOW, "ops": ALLOW, "admin": ALLOW, "outsider": DENY},
    "exception_detail": {"finance": ALLOW, "approver": ALLOW, "ops": ALLOW, "admin": ALLOW, "outsider": DENY},
    "orders:index": {"finance": ALLOW, "approver": ALLOW, "ops": ALLOW, "admin": ALLOW, "outsider": DENY},
    "reconciliation:index": {
        "finance": ALLOW,
        "approver": ALLOW,
        "ops": DENY,
        "admin": ALLOW,
        "outsider": DENY,
    },
    "reconciliation:posting_batches": {
        "finance": ALLOW,
        "approver": ALLOW,
        "ops": DENY,
        "admin": ALLOW,
        "outsider": DENY,
    },
    "reconciliation:posting_candidates": {
        "finance": ALLOW,
        "approver": ALLOW,
        "ops": DENY,
        "admin": ALLOW,
        "outsider": DENY,
    },
    "reconciliation:posting_periods": {
        "finance": ALLOW,
        "approver": ALLOW,
        "ops": DENY,
        "admin": ALLOW,
        "outsider": DENY,
    },
    "settings": {"finance": DENY, "approver": DENY, "ops": DENY, "admin": ALLOW, "outsider": DENY},
    "sync_runs": {"finance": ALLOW, "approver": ALLOW, "ops": ALLOW, "admin": ALLOW, "outsider": DENY},
    "audit_log": {"finance": DENY, "approver": ALLOW, "ops": DENY, "admin": ALLOW, "outsider": DENY},
    "password_change": {"finance": ALLOW, "approver": ALLOW, "ops": ALLOW, "admin": ALLOW, "outsider": ALLOW},
}


@pytest.fixture
def case(db):
    case, _ = services.exception_raise(
        kind="sku_asin_gap", dedupe_key="po:9:line:1", message="ASIN B0X unmapped"
    )
    return case


def _url(name: str, case) -> str:
    if name == "exception_detail":
        return reverse(name, args=[case.public_id])
    if name == "exceptions":
        return reverse(name) + "?status=unresolved"  # without a query the queue redirects to a team's view
    return reverse(name)


@pytest.mark.parametrize("page", sorted(MATRIX))
@pytest.mark.parametrize("persona", ["finance", "approver", "ops", "admin", "outsider"])
def test_role_page_matrix(page, persona, personas, case):
    client = Client()
    client.force_login(personas[persona])
    response = client.get(_url(page, case))
    assert response.status_code == MATRIX[page][persona], (page, persona)


@pytest.mark.parametrize("page", sorted(MATRIX))
def test_anonymous_visitors_are_sent_to_login(page, case):
    response = Client().get(_url(page, case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("persona", "landing"),
    [
        ("finance", "/reconciliation/"),
        ("approver", "/reconciliation/"),
        ("ops", "/exceptions/?status=unresolved&owner_team=ops"),
        ("admin", "/dashboard/"),
    ],
)
def test_each_role_lands_on_its_own_page(persona, landing, personas):
    client = Client()
    client.force_login(personas[persona])
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == landing


def test_a_user_without_a_role_sees_only_a_polite_page(personas):
    client = Client()
    client.force_login(personas["outsider"])
    response = client.get("/")
    assert response.status_code == 403
    assert b"has no role" in response.content
    assert b"Reconciliation</a>" not in response.content  # no navigation to pages they cannot open


def test_navigation_shows_only_what_the_role_may_open(personas):
    client = Client()
    client.force_login(personas["ops"])
    html = client.get(reverse("dashboard")).content.decode()
    assert ">Orders</a>" in html and ">Exceptions</a>" in html
    assert ">Reconciliation</a>" not in html and ">Settings</a>" not in html


def test_header_shows_connection_mode(personas, settings):
    client = Client()
    client.force_login(personas["admin"])
    settings.SANDBOX = True
    assert b">Sandbox</span>" in client.get(reverse("dashboard")).content
    settings.SANDBOX = False
    assert b">Production</span>" in client.get(reverse("dashboard")).content


def test_only_the_owning_team_can_work_an_exception(personas, case):
    finance = Client()
    finance.force_login(personas["finance"])
    response = finance.post(reverse("exception_action", args=[case.public_id, "resolve"]), {"note": "x"})
    assert response.status_code == 403  # an ops case
    ops = Client()
    ops.force_login(personas["ops"])
    response = ops.post(reverse("exception_action", args=[case.public_id, "resolve"]), {"note": "mapped"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolved_by == personas["ops"]


def test_exception_list_uses_a_bounded_number_of_queries(personas, django_assert_max_num_queries):
    for i in range(60):
        services.exception_raise(kind="price_discrepancy", dedupe_key=f"k{i}", message=f"PO {i} cost differs")
    client = Client()
    client.force_login(personas["ops"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("exceptions"), {"status": "unresolved", "owner_team": "ops"})
    assert response.status_code == 200
    assert response.content.count(b"cost differs") == 50  # one page


def test_htmx_filter_request_gets_only_the_results_partial(personas, case):
    client = Client()
    client.force_login(personas["ops"])
    response = client.get(reverse("exceptions"), {"kind": "sku_asin_gap"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b'id="results"' in response.content and b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("finance", 302), ("approver", 302), ("ops", 302), ("outsider", 302)],
)
def test_only_admins_open_the_user_administration(personas, persona, status):
    client = Client()
    client.force_login(personas[persona])
    response = client.get(reverse("admin:auth_user_changelist"))
    assert response.status_code == status
    if status == 302:
        assert reverse("admin:login") in response["Location"]


def test_an_admin_can_give_a_role_but_is_no_superuser(personas):
    from django.contrib.auth.models import Group

    admin = personas["admin"]
    admin.refresh_from_db()
    assert not admin.is_superuser
    assert not admin.has_perm("vendorsync.approve_postings")  # segregation of duties holds for admins
    assert admin.has_perm("auth.change_user")
    client = Client()
    client.force_login(admin)
    finance = personas["finance"]
    page = client.get(reverse("admin:auth_user_change", args=[finance.pk]))
    assert page.status_code == 200 and b'name="groups"' in page.content
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "finance",
        "finance_approver",
        "ops",
        "admin",
    }


def test_role_changes_in_the_user_administration_are_audited(personas):
    from django.contrib.auth.models import Group

    from vendorsync.models import AuditEvent

    client = Client()
    client.force_login(personas["admin"])
    target = personas["finance"]
    url = reverse("admin:auth_user_change", args=[target.pk])
    form = client.get(url).context["adminform"].form
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in ("groups", "user_permissions")
    }
    data.update(
        {
            "username": target.username,
            "groups": [Group.objects.get(name="finance").pk, Group.objects.get(name="finance_approver").pk],
            "is_active": "on",
            "date_joined_0": target.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": target.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("password", None)
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    event = AuditEvent.objects.get(action="user.roles_changed")
    assert event.actor == personas["admin"] and event.subject_id == target.username
    assert event.before["roles"] == ["finance"] and event.after["roles"] == ["finance", "finance_approver"]
    assert event.after["superuser"] is False and event.after["permissions"] == []


def _change_form_data(client, user, **changes):
    form = client.get(reverse("admin:auth_user_change", args=[user.pk])).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.pop("password", None)
    data["groups"] = [g.pk for g in user.groups.all()]
    data["is_active"] = "on"
    data.update(changes)
    return form, data


def test_an_admin_cannot_grant_superuser_staff_or_direct_permissions(personas):
    from django.contrib.auth.models import Permission

    client = Client()
    client.force_login(personas["admin"])
    target = personas["ops"]
    approve = Permission.objects.get(codename="approve_postings")
    form, data = _change_form_data(
        client, target, is_superuser="on", is_staff="on", user_permissions=[approve.pk]
    )
    assert not {"is_superuser", "is_staff", "user_permissions"} & set(form.fields)
    client.post(reverse("admin:auth_user_change", args=[target.pk]), data)
    target.refresh_from_db()
    assert not target.is_superuser and not target.is_staff
    assert not target.has_perm("vendorsync.approve_postings")


def test_an_admin_can_give_only_vendorsync_roles_and_cannot_edit_themselves(personas):
    from django.contrib.auth.models import Group

    Group.objects.create(name="Django superpowers")
    client = Client()
    client.force_login(personas["admin"])
    form, _ = _change_form_data(client, personas["ops"])
    offered = {label for _, label in form.fields["groups"].choices}
    # never "admin" (granted on the server) nor a group outside VendorSync's roles
    assert offered == {"finance", "finance_approver", "ops"}
    own = client.get(reverse("admin:auth_user_change", args=[personas["admin"].pk]))
    assert "groups" not in own.context["adminform"].form.fields  # their own account is view-only
    response = client.post(
        reverse("admin:auth_user_change", args=[personas["admin"].pk]), {"username": "adm"}
    )
    assert response.status_code == 403


def test_a_password_reset_by_an_admin_emails_a_link_and_is_audited(
    personas, mailoutbox, django_capture_on_commit_callbacks
):
    from vendorsync.models import AuditEvent

    client = Client()
    client.force_login(personas["admin"])
    target = personas["approver"]
    target.email = "appr@example.com"
    target.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:auth_user_password_change", args=[target.pk]),
            {
                "password1": "A-new-long-password-77",
                "password2": "A-new-long-password-77",
                "usable_password": "true",
            },
        )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.check_password("A-new-long-password-77")  # the admin's password is ignored
    assert target.check_password("correct-horse-battery")
    assert [m.to for m in mailoutbox] == [["appr@example.com"]]
    event = AuditEvent.objects.get(action="user.password_link_sent")
    assert event.actor == personas["admin"] and event.subject_id == target.username
