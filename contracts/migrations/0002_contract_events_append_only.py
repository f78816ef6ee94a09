"""The audit trail is append-only in the database itself: a trigger refuses UPDATE and DELETE on
contract events for every role that uses the application's connection, whatever the Python code does.

The function is created in the tenant's own schema (first on the search path while tenant
migrations run), so it travels with the schema when a spare is renamed into a tenant.
"""

from django.db import migrations

CREATE = """
CREATE FUNCTION contract_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'contract events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER contract_event_append_only
    BEFORE UPDATE OR DELETE ON contracts_contractevent
    FOR EACH ROW EXECUTE FUNCTION contract_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS contract_event_append_only ON contracts_contractevent;
DROP FUNCTION IF EXISTS contract_event_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("contracts", "0001_contracts")]

    operations = [migrations.RunSQL(CREATE, DROP)]
