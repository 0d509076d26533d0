"""Segregation of duties for admins (issue 6 §2), walked through the real pages and commands.

The escalation that used to work: as ``admin`` create ``admin2`` with admin + finance +
finance_approver; log in as ``admin2`` and give ``admin`` the same; or set the approver's password
and log in as the approver. Each step is tried here and must be refused.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from vendorsync import users
from vendorsync.models import AuditEvent

PASSWORD = "correct-horse-battery"
LINK = re.compile(r"https?://\S+/password/set/\S+/\S+/")


def login(username: str, password: str = PASSWORD, address: str = "127.0.0.1") -> tuple[Client, int]:
    """Log in through the login page (with django-axes in the way), as a person would."""
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password})
    return client, response.status_code


def group_ids(*names: str) -> list[int]:
    return list(Group.objects.filter(name__in=names).values_list("pk", flat=True))


def roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def change_form(client: Client, user, **changes):
    """The change page's own form data for ``user``, with ``changes`` applied (as a browser would post)."""
    response = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data.pop("password", None)
    data["groups"] = [g.pk for g in user.groups.exclude(name="admin")]
    data["is_active"] = "on"
    for name in ("date_joined", "last_login"):
        if name in data:
            value = data.pop(name)
            data[f"{name}_0"], data[f"{name}_1"] = value.strftime("%Y-%m-%d"), value.strftime("%H:%M:%S")
    data.update(changes)
    return data


@pytest.fixture
def admin_client(personas):
    client, status = login("adm")
    assert status == 302
    return client


def test_the_two_account_escalation_is_refused_at_each_step(
    personas, admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    User = get_user_model()
    admin, approver = personas["admin"], personas["approver"]
    approver.email = "appr@example.com"
    approver.save()
    add_url = reverse("admin:auth_user_add")

    # 1. admin creates admin2 with admin + finance + finance_approver: refused, nothing created.
    page = admin_client.get(add_url)
    assert page.status_code == 200
    assert not {"password1", "password2", "usable_password"} & set(page.context["adminform"].form.fields)
    offered = {label for _, label in page.context["adminform"].form.fields["groups"].choices}
    assert offered == {"finance", "finance_approver", "ops"}
    response = admin_client.post(
        add_url,
        {
            "username": "admin2",
            "email": "admin2@example.com",
            "groups": group_ids("admin", "finance", "finance_approver"),
        },
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["groups"]
    assert not User.objects.filter(username="admin2").exists()

    # 2. Nor with the admin role alone: it is granted on the server only.
    response = admin_client.post(
        add_url, {"username": "admin2", "email": "admin2@example.com", "groups": group_ids("admin")}
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["groups"]
    assert not User.objects.filter(username="admin2").exists()

    # 3. An ordinary new user is created without any password; the link goes to their address.
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            add_url, {"username": "admin2", "email": "admin2@example.com", "groups": group_ids("ops")}
        )
    assert response.status_code == 302
    admin2 = User.objects.get(username="admin2")
    assert roles(admin2) == {"ops"} and not admin2.has_usable_password()
    assert [m.to for m in mailoutbox] == [["admin2@example.com"]]

    # 4. admin cannot make admin2 an admin from the change page either (the choice is not valid).
    url = reverse("admin:auth_user_change", args=[admin2.pk])
    response = admin_client.post(url, change_form(admin_client, admin2, groups=group_ids("ops", "admin")))
    assert response.status_code == 200 and response.context["adminform"].form.errors["groups"]
    assert roles(admin2) == {"ops"}

    # 5. On the server, grant_admin makes admin2 an admin (ops + admin is allowed), audited.
    call_command("grant_admin", "admin2", "--reason", "second admin for holidays", stdout=None)
    assert roles(admin2) == {"ops", "admin"}
    granted = AuditEvent.objects.get(action="user.admin_granted")
    assert (
        granted.subject_id == "admin2"
        and granted.actor is None
        and granted.reason == "second admin for holidays"
    )

    # 6. admin2 sets their own password with the link, then logs in.
    link = LINK.search(mailoutbox[0].body).group(0)
    form_page = Client().get(link, follow=True)
    assert form_page.context["validlink"]
    set_url = form_page.redirect_chain[-1][0]
    new_password = "Admin2-chose-this-one"
    client2 = Client()
    client2.get(link)
    response = client2.post(set_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    admin2_client, status = login("admin2", new_password)
    assert status == 302

    # 7. admin2 tries to give admin the finance roles: refused by segregation of duties.
    url = reverse("admin:auth_user_change", args=[admin.pk])
    before = AuditEvent.objects.count()
    response = admin2_client.post(
        url, change_form(admin2_client, admin, groups=group_ids("finance", "finance_approver"))
    )
    assert response.status_code == 200
    assert "cannot be combined" in str(response.context["adminform"].form.errors["groups"])
    assert roles(admin) == {"admin"}
    assert AuditEvent.objects.count() == before  # a refused change writes nothing

    # 8. ...nor take away admin's admin role (that is also the server's business).
    response = admin2_client.post(url, change_form(admin2_client, admin, groups=group_ids("ops")))
    assert response.status_code == 302
    assert roles(admin) == {"admin", "ops"}

    # 9. admin2 cannot set the approver's password: the page has no password form, a POST sends
    #    the approver (not admin2) a link, and the password is unchanged.
    password_url = reverse("admin:auth_user_password_change", args=[approver.pk])
    page = admin2_client.get(password_url)
    assert page.status_code == 200 and b'type="password"' not in page.content
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin2_client.post(
            password_url,
            {"password1": "Taken-over-77", "password2": "Taken-over-77", "usable_password": "true"},
        )
    assert response.status_code == 302
    approver.refresh_from_db()
    assert approver.check_password(PASSWORD) and not approver.check_password("Taken-over-77")
    assert [m.to for m in mailoutbox] == [["appr@example.com"]]
    assert LINK.search(mailoutbox[0].body)
    assert AuditEvent.objects.filter(action="user.password_link_sent", subject_id="appr").count() == 1

    # 10. ...nor redirect that link by changing the approver's email address first.
    url = reverse("admin:auth_user_change", args=[approver.pk])
    data = change_form(admin2_client, approver, email="admin2@example.com")
    assert "email" not in admin2_client.get(url).context["adminform"].form.fields
    admin2_client.post(url, data)
    approver.refresh_from_db()
    assert approver.email == "appr@example.com"

    # 11. ...and cannot grant themselves anything: their own account is not editable.
    own = reverse("admin:auth_user_change", args=[admin2.pk])
    response = admin2_client.post(own, change_form(admin2_client, admin, groups=group_ids("finance")))
    assert response.status_code == 403
    assert not get_user_model().objects.get(pk=admin2.pk).has_perm("vendorsync.approve_postings")


def test_a_set_password_link_works_once(
    personas, admin_client, mailoutbox, django_capture_on_commit_callbacks
):
    target = personas["finance"]
    target.email = "fin@example.com"
    target.save()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("admin:auth_user_password_change", args=[target.pk]))
    link = LINK.search(mailoutbox[0].body).group(0)
    client = Client()
    set_url = client.get(link)["Location"]
    response = client.post(
        set_url, {"new_password1": "Fin-new-password-1", "new_password2": "Fin-new-password-1"}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.check_password("Fin-new-password-1")
    assert AuditEvent.objects.filter(action="user.password_set_by_link", actor=target).count() == 1
    again = Client().get(link, follow=True)
    assert again.context["validlink"] is False and b"no longer works" in again.content


def test_a_new_users_email_must_be_unused(personas, admin_client):
    personas["finance"].email = "fin@example.com"
    personas["finance"].save()
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {"username": "puppet", "email": "FIN@example.com", "groups": group_ids("finance_approver")},
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors["email"]
    assert not get_user_model().objects.filter(username="puppet").exists()


def test_the_service_refuses_every_path_the_same_way(personas):
    admin, ops = personas["admin"], personas["ops"]
    with pytest.raises(PermissionDenied, match="grant_admin"):
        users.user_set_roles(actor=admin, user=ops, roles={"ops", "admin"})
    with pytest.raises(PermissionDenied, match="grant_admin"):
        users.user_create(actor=admin, username="x", email="x@example.com", roles={"admin"})
    with pytest.raises(ValidationError, match="cannot be combined"):
        users.user_set_roles(actor=None, user=ops, roles={"admin", "finance"})  # not even the server
    with pytest.raises(ValidationError, match="cannot be combined"):
        users.user_create(
            actor=None, username="y", email="y@example.com", roles={"admin", "finance_approver"}
        )
    with pytest.raises(PermissionDenied, match="own access"):
        users.user_set_roles(actor=admin, user=admin, roles={"admin", "ops"})
    with pytest.raises(PermissionDenied, match="superuser or on the server"):
        users.user_update(actor=admin, user=ops, changes={"email": "mine@example.com"})
    with pytest.raises(PermissionDenied):
        users.user_send_password_link(actor=personas["finance"], user=ops, base_url="http://testserver/")
    assert roles(ops) == {"ops"}
    assert not get_user_model().objects.filter(username__in=["x", "y"]).exists()
    assert not AuditEvent.objects.filter(action__startswith="user.").exists()


def test_a_superuser_is_bound_by_the_same_exclusivity(personas):
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    with pytest.raises(ValidationError, match="cannot be combined"):
        users.user_set_roles(actor=root, user=personas["admin"], roles={"admin", "finance_approver"})
    with pytest.raises(PermissionDenied, match="grant_admin"):
        users.user_set_roles(actor=root, user=personas["ops"], roles={"admin", "ops"})
    assert roles(personas["admin"]) == {"admin"}


def test_grant_admin_refuses_a_finance_user_and_audits_grant_and_revoke(personas):
    with pytest.raises(CommandError, match="cannot be combined with finance or finance_approver"):
        call_command("grant_admin", "appr")
    assert roles(personas["approver"]) == {"finance", "finance_approver"}
    with pytest.raises(CommandError, match="No user named"):
        call_command("grant_admin", "ghost")
    assert not AuditEvent.objects.filter(action__startswith="user.").exists()

    call_command("grant_admin", "op", stdout=None)
    assert roles(personas["ops"]) == {"ops", "admin"}
    call_command("grant_admin", "op", "--revoke", stdout=None)
    assert roles(personas["ops"]) == {"ops"}
    actions = list(AuditEvent.objects.filter(subject_id="op").order_by("id").values_list("action", flat=True))
    assert actions == ["user.admin_granted", "user.admin_revoked"]


@pytest.mark.django_db
def test_seed_demo_goes_through_the_audited_service(monkeypatch):
    monkeypatch.delenv("VENDORSYNC_DEMO_PASSWORD", raising=False)
    call_command("seed_demo", stdout=None)
    created = AuditEvent.objects.filter(action="user.created", actor_label="system", reason="seed_demo")
    assert sorted(created.values_list("subject_id", flat=True)) == ["admin", "approver", "finance", "ops"]
    assert AuditEvent.objects.filter(action="user.password_set", reason="seed_demo").count() == 4

    approver = get_user_model().objects.get(username="approver")
    approver.groups.set(Group.objects.filter(name="ops"))  # drifted since the seed
    call_command("seed_demo", "--reset", stdout=None)
    change = AuditEvent.objects.get(action="user.roles_changed", subject_id="approver")
    assert change.before["roles"] == ["ops"] and change.after["roles"] == ["finance", "finance_approver"]
    assert change.reason == "seed_demo --reset"
    assert not AuditEvent.objects.filter(action="user.roles_changed").exclude(subject_id="approver").exists()


def test_spraying_one_password_over_thirty_names_from_one_address_is_locked_out(personas, settings):
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert settings.AXES_FAILURE_LIMIT < limit < 30
    statuses = [login(f"user{i}", "Summer2026!", "203.0.113.7")[1] for i in range(30)]
    assert statuses[: limit - 1] == [200] * (limit - 1)  # the login form again, with an error
    assert statuses[limit - 1 :] == [429] * (31 - limit)
    # The address is locked for every name, even with the right password...
    assert login("op", PASSWORD, "203.0.113.7")[1] == 429
    # ...but only that address.
    assert login("op", PASSWORD, "198.51.100.9")[1] == 302


def test_a_successful_login_does_not_reset_the_addresss_count(personas, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6
    for i in range(5):
        assert login(f"user{i}", "wrong-password", "203.0.113.8")[1] == 200
    assert login("op", PASSWORD, "203.0.113.8")[1] == 302  # the sprayer's own account
    assert login("user9", "wrong-password", "203.0.113.8")[1] == 429


def test_a_superuser_still_manages_direct_permissions_audited_but_not_the_admin_role(personas):
    from django.contrib.auth.models import Permission

    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(root)
    target = personas["ops"]
    view_audit = Permission.objects.get(codename="view_audit")
    url = reverse("admin:auth_user_change", args=[target.pk])
    response = client.post(url, change_form(client, target, user_permissions=[view_audit.pk]))
    assert response.status_code == 302
    assert target.has_perm("vendorsync.view_audit") and roles(target) == {"ops"}
    event = AuditEvent.objects.get(action="user.permissions_changed")
    assert event.actor == root and event.after["permissions"] == ["view_audit"]
    # The admin role is not on a superuser's form either: grant_admin is the way.
    response = client.post(url, change_form(client, target, groups=group_ids("ops", "admin")))
    assert response.status_code == 200 and response.context["adminform"].form.errors["groups"]
    assert roles(target) == {"ops"}
