"""The page a set-password link opens: the user, and only the user, chooses their password."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpResponse

from vendorsync.users import user_password_set_by_link


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Django's one-time token check and password form, with the new password audited."""

    template_name = "registration/password_reset_confirm.html"

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            user_password_set_by_link(user=form.user)
        return response
