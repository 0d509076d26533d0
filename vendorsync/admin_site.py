"""Django's admin, opened by role: people with the admin role manage users there without being staff."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpRequest

from vendorsync.roles import perm


class VendorSyncAdminSite(admin.AdminSite):
    site_header = "VendorSync administration"
    site_title = "VendorSync administration"
    index_title = "Users and roles"

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and (user.is_staff or user.has_perm(perm("manage_settings"))))


class VendorSyncAdminConfig(AdminConfig):
    default_site = "vendorsync.admin_site.VendorSyncAdminSite"
