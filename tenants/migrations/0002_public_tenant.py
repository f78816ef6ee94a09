from django.db import migrations


def create_public_tenant(apps, schema_editor):
    # django-tenants needs a tenant row for the public schema; the public host maps to it in
    # tenants.middleware without a Domain row, so changing INKWELL_PUBLIC_URL needs no migration.
    Tenant = apps.get_model("tenants", "Tenant")
    Tenant.objects.get_or_create(schema_name="public", defaults={"name": "Inkwell", "status": "active"})


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]
    operations = [migrations.RunPython(create_public_tenant, migrations.RunPython.noop)]
