import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_exists

from tenants.models import Domain, Membership, OutboundMessage, Tenant, TenantConfig, User
from tenants.selectors import spare_tenants
from tenants.services import provisioning
from tenants.services.provisioning import spare_schema_drop, tenant_provision


def provision(**overrides):
    args = dict(
        name="Gamma Haulers", subdomain="gamma", owner_email="Owner@Gamma.example", external_key="k:gamma"
    )
    args.update(overrides)
    return tenant_provision(**args)


def tables_in(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_provisioned_tenant_is_usable_and_owner_gets_a_working_welcome_link(
    worlds, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = provision(owner_phone="(416) 555-0199", plan="seo")

    tenant = result.tenant
    assert result.created
    assert tenant.status == Tenant.Status.ACTIVE and tenant.plan == "seo"
    assert tenant.schema_name == "t_gamma" and schema_exists("t_gamma")
    assert "django_migrations" in tables_in("t_gamma")
    assert Domain.objects.get(tenant=tenant).domain == "gamma.localhost"
    assert TenantConfig.objects.get(tenant=tenant).brand_name == "Gamma Haulers"
    owner = User.objects.get(email="owner@gamma.example")
    assert owner.phone == "+14165550199" and not owner.has_usable_password()
    assert Membership.objects.get(tenant=tenant, user=owner).role == "owner"

    client = Client(HTTP_HOST="gamma.localhost")
    assert "Gamma Haulers" in client.get("/").content.decode()

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["owner@gamma.example"]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/sign-in/link/" in line).strip()
    path = link.split("gamma.localhost:8000", 1)[1]
    assert client.post(path).status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_same_external_key_twice_gives_one_tenant(worlds):
    first = provision()
    before = Tenant.objects.count()
    second = provision(name="Another Name", subdomain="gamma-two")
    assert second.tenant.pk == first.tenant.pk and not second.created
    assert Tenant.objects.count() == before
    assert not Tenant.objects.filter(subdomain="gamma-two").exists()


@pytest.mark.parametrize(
    "subdomain, message",
    [
        ("Bad_Sub", "lowercase letters"),
        ("-acme", "lowercase letters"),
        ("www", "reserved"),
        ("admin", "reserved"),
        ("", "lowercase letters"),
        ("a" * 41, "lowercase letters"),
        ("alpha", "already taken"),
    ],
)
def test_invalid_subdomain_is_refused_and_nothing_is_created(worlds, subdomain, message):
    tenants_before, spares_before, users_before = (
        Tenant.objects.count(),
        spare_tenants().count(),
        User.objects.count(),
    )
    with pytest.raises(ValidationError) as exc:
        provision(subdomain=subdomain, external_key=None)
    assert message in " ".join(exc.value.message_dict["subdomain"])
    assert (Tenant.objects.count(), spare_tenants().count(), User.objects.count()) == (
        tenants_before,
        spares_before,
        users_before,
    )


def test_other_bad_fields_are_reported_together(worlds):
    with pytest.raises(ValidationError) as exc:
        provision(name=" ", owner_email="not-an-email", owner_phone="12", plan="gold")
    assert set(exc.value.message_dict) == {"name", "owner_email", "owner_phone", "plan"}


def provision_failing_at_membership(monkeypatch):
    """Provision with the last write of the claim failing, as if the database went away."""

    def explode(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(provisioning.Membership.objects, "create", explode)
    with pytest.raises(RuntimeError):
        provision()


def test_failure_midway_leaves_no_tenant_and_the_spare_survives(worlds, monkeypatch):
    spare = spare_tenants().get()

    provision_failing_at_membership(monkeypatch)
    assert not Tenant.objects.filter(subdomain="gamma").exists()
    assert not schema_exists("t_gamma")
    assert not Domain.objects.filter(domain="gamma.localhost").exists()
    assert not User.objects.filter(email="owner@gamma.example").exists()
    assert spare_tenants().get().schema_name == spare.schema_name and schema_exists(spare.schema_name)


def test_without_a_spare_the_fallback_migrates_a_new_schema(worlds):
    for spare in spare_tenants():
        spare_schema_drop(spare)
    result = provision()
    assert result.tenant.schema_name == "t_gamma" and schema_exists("t_gamma")
    assert provisioning.spare_is_current("t_gamma")
    assert spare_tenants().count() == 0


def test_fallback_that_fails_while_migrating_leaves_no_orphan_schema(worlds, monkeypatch):
    for spare in spare_tenants():
        spare_schema_drop(spare)
    created = []
    real_create_schema = Tenant.create_schema

    def half_create(self, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{self.schema_name}"')
        created.append(self.schema_name)
        raise RuntimeError("migration failed")

    monkeypatch.setattr(Tenant, "create_schema", half_create)
    with pytest.raises(RuntimeError):
        provision()
    monkeypatch.setattr(Tenant, "create_schema", real_create_schema)
    assert created and not schema_exists(created[0])
    assert not Tenant.objects.filter(schema_name=created[0]).exists()
    assert not Tenant.objects.filter(subdomain="gamma").exists()


def _unmigrate_leaf_app(schema_name: str, *, whole_app: bool) -> str:
    """Unapply, in `schema_name`, the latest migration (or all migrations) of a tenant app no other
    app's migrations depend on, as if it had been written after the schema was made; returns one of
    its tables that the unapplied migrations drop. A leaf app, so that only its own migrations go
    back and forth (unapplying contenttypes would take every app with it and cost tens of seconds)."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    app = "chat"
    leaf = graph.leaf_nodes(app)[0]
    assert not [child for child in graph.node_map[leaf].children if child.key[0] != app]
    if whole_app:
        target, table = "zero", apps.get_model("chat", "Conversation")._meta.db_table
    else:
        target = next(parent.key[1] for parent in graph.node_map[leaf].parents if parent.key[0] == app)
        before = tables_in(schema_name)
        table = None
    call_command("migrate_schemas", app, target, schema_name=schema_name, tenant=True, verbosity=0)
    connection.set_schema_to_public()
    if not whole_app:
        assert (app, leaf[1]) not in _applied(schema_name) and tables_in(schema_name) <= before
    assert table is None or table not in tables_in(schema_name)
    return table


def _applied(schema_name: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema_name}".django_migrations')
        return set(cursor.fetchall())


@pytest.mark.parametrize("behind", ["latest", "zero"])
def test_a_stale_spare_is_migrated_before_it_is_claimed(worlds, behind):
    spare = spare_tenants().get()
    # As if the app's latest migration (or the whole app) had been written after this spare was made.
    table = _unmigrate_leaf_app(spare.schema_name, whole_app=behind == "zero")
    assert not provisioning.spare_is_current(spare.schema_name)
    result = provision()
    assert result.tenant.pk == spare.pk
    assert provisioning.spare_is_current("t_gamma")
    assert table is None or table in tables_in("t_gamma")


def test_tenant_create_command_prints_url_and_link(worlds, capsys):
    call_command(
        "tenant_create", "--name", "Delta Moving", "--subdomain", "delta", "--owner-email", "d@delta.example"
    )
    out = capsys.readouterr().out
    assert "Created Delta Moving at http://delta.localhost:8000/" in out
    assert "http://delta.localhost:8000/sign-in/link/" in out
    call_command(
        "tenant_create", "--name", "Delta Moving", "--subdomain", "delta", "--owner-email", "d@delta.example"
    )
    assert "Already exists: Delta Moving" in capsys.readouterr().out
    assert Tenant.objects.filter(subdomain="delta").count() == 1


def test_tenant_create_command_explains_bad_input(worlds):
    with pytest.raises(CommandError) as exc:
        call_command("tenant_create", "--name", "X", "--subdomain", "www", "--owner-email", "x@x.example")
    assert "subdomain:" in str(exc.value) and "reserved" in str(exc.value)
    assert not Tenant.objects.filter(name="X").exists()


def test_fallback_spare_is_returned_to_the_pool_when_the_claim_fails(worlds, monkeypatch):
    for spare in spare_tenants():
        spare_schema_drop(spare)

    provision_failing_at_membership(monkeypatch)
    assert not Tenant.objects.filter(subdomain="gamma").exists()
    survivor = spare_tenants().get()  # the schema the fallback made is a usable spare now
    assert provisioning.spare_is_current(survivor.schema_name)
    assert not Tenant.objects.filter(status=Tenant.Status.PROVISIONING).exists()


def test_a_spare_row_without_its_schema_is_cleared_away(worlds):
    spare = spare_tenants().get()
    # Older than the good spare (the oldest is claimed first), so provisioning comes to it first.
    oldest = Tenant.objects.order_by("pk").values_list("pk", flat=True).first()
    broken = Tenant.objects.create(
        pk=oldest - 1, schema_name="spare_brokenbroken", status=Tenant.Status.SPARE
    )
    result = provision()
    assert result.tenant.status == Tenant.Status.ACTIVE and schema_exists("t_gamma")
    assert result.tenant.pk == spare.pk  # the good spare, no new schema migrated
    assert not Tenant.objects.filter(pk=broken.pk).exists()


def test_a_leftover_schema_with_the_same_name_is_reported_as_taken(worlds):
    with connection.cursor() as cursor:
        cursor.execute('CREATE SCHEMA "t_gamma"')
    with pytest.raises(ValidationError) as exc:
        provision()
    assert "already taken" in " ".join(exc.value.message_dict["subdomain"])


def test_top_up_clears_abandoned_spares_and_refreshes_stale_ones(worlds):
    from datetime import timedelta

    from django.utils import timezone

    stale = spare_tenants().get()
    _unmigrate_leaf_app(stale.schema_name, whole_app=False)
    abandoned = _reserved_spare()
    Tenant.objects.filter(pk=abandoned.pk).update(reserved_at=timezone.now() - timedelta(hours=2))

    assert provisioning.spare_schemas_top_up(target=2) == 1
    assert not schema_exists(abandoned.schema_name) and not Tenant.objects.filter(pk=abandoned.pk).exists()
    assert provisioning.spare_is_current(stale.schema_name)
    assert spare_tenants().count() == 2


def _reserved_spare() -> Tenant:
    """A spare some process reserved and is building (its schema begun, not yet migrated): what
    spare_schema_create(claimable=False) leaves while it runs, without the migrations' seconds."""
    from django.utils import timezone

    spare = Tenant.objects.create(
        schema_name="spare_reserved0000", status=Tenant.Status.PROVISIONING, reserved_at=timezone.now()
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{spare.schema_name}"')
    return spare


def test_top_up_leaves_recently_reserved_spares_alone_and_clears_broken_rows(worlds):
    in_use = _reserved_spare()  # e.g. the fallback of a running provision
    Tenant.objects.filter(pk=in_use.pk).update(created=in_use.created.replace(year=2020))  # made long ago…
    broken = Tenant.objects.create(schema_name="spare_nothinghere", status=Tenant.Status.SPARE)
    provisioning.spare_schemas_top_up(target=1)
    assert schema_exists(in_use.schema_name)  # …but reserved just now: not abandoned
    assert Tenant.objects.get(pk=in_use.pk).status == Tenant.Status.PROVISIONING
    assert not Tenant.objects.filter(pk=broken.pk).exists()


def test_only_one_top_up_runs_at_a_time(worlds):
    with provisioning._pool_lock() as acquired:
        assert acquired
        assert provisioning.spare_schemas_top_up(target=5) == 0
    assert spare_tenants().count() == 1


def test_provisioning_never_changes_an_existing_persons_identity(worlds):
    from django.test import Client

    existing = User.objects.create_user(email="owner@gamma.example", full_name="Real Name")
    result = provision(
        owner_email="OWNER@gamma.example", owner_phone="(416) 555-0177", owner_name="Someone Else"
    )
    existing.refresh_from_db()
    assert result.owner == existing
    assert (existing.email, existing.phone, existing.full_name) == ("owner@gamma.example", "", "Real Name")
    # whoever holds that number can't use it to sign in as them
    client = Client(HTTP_HOST="gamma.localhost")
    response = client.post("/sign-in/code/", {"phone": "+14165550177"})
    assert response.status_code == 302
    assert not OutboundMessage.objects.filter(channel="sms").exists()


def test_a_phone_that_belongs_to_someone_else_is_not_given_to_a_new_owner(worlds):
    alpha_owner = User.objects.get(email="owner@alpha.example")
    result = provision(owner_phone=alpha_owner.phone)  # no error that would say the number is known
    assert result.created and result.owner.phone == ""
    assert User.objects.get(pk=alpha_owner.pk).phone == alpha_owner.phone
    assert User.objects.filter(phone=alpha_owner.phone).count() == 1


def test_only_the_true_spelling_of_an_address_finds_an_existing_owner(worlds):
    existing = User.objects.create_user(email="owner@scilla.example")
    # PostgreSQL's upper() folds "ſ" into "S": a look-alike must not make the real person an owner
    # (the true spelling in any case does: see test_provisioning_never_changes_an_existing_persons_identity)
    lookalike = provision(owner_email="owner@ſcilla.example")
    assert lookalike.owner != existing
    assert not Membership.objects.filter(user=existing, tenant=lookalike.tenant).exists()
