from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants and access"

    def ready(self):
        # Its own module beside tenants/admin.py; registered here so admin autodiscovery needs no edit.
        from tenants import admin_audit  # noqa: F401
