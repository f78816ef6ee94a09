from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and access"

    def ready(self):
        # Its own module beside tenants/admin.py; registered here so admin autodiscovery needs no edit.
        from tenants import admin_agents, admin_audit  # noqa: F401


class StaffAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, with `admin.site` being the back office's site (second factor, branding),
    so every app's admin registers there. Named in INSTALLED_APPS instead of django.contrib.admin."""

    default = False  # not the config of the "tenants" app itself
    default_site = "tenants.admin_site.StaffAdminSite"
