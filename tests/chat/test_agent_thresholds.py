"""The agent workspace's thresholds as tenant settings: the beat and the teardown follow the tenant's
own values (the deployment's settings where it has none), and the owner edits them on the settings
page within their bounds (a fresh heartbeat shorter than the stuck threshold, dead after idle)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from chat import tasks
from chat.models import Agent, Task, TaskEvent
from chat.services.agents import AgentThresholds, agent_thresholds, agents_evaluate
from chat.services.tasks import task_claim, task_create, task_teardown
from tenants.forms import TenantConfigForm
from tenants.models import AGENT_THRESHOLDS, TenantConfig
from tests.chat.test_mcp import in_schema
from tests.conftest import client_for
from tests.tenants.test_config_rules import FORM

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
S = Agent.State


def configure(world, **values) -> None:
    TenantConfig.objects.filter(pk=world.tenant.pk).update(**values)


def busy_agent(world, name="SEO agent") -> Agent:
    in_schema(world)
    return Agent.objects.create(name=name, state=S.BUSY, last_heartbeat_at=T0)


def state_at(agent: Agent, minutes: float) -> Agent:
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        agents_evaluate()
    agent.refresh_from_db()
    return agent


# --- the helper -------------------------------------------------------------------------------------


@override_settings(
    AGENT_STUCK_MINUTES=11, AGENT_FRESH_HEARTBEAT_MINUTES=3, AGENT_IDLE_MINUTES=16,
    AGENT_DEAD_MINUTES=61, TASK_ARCHIVE_MINUTES=31, TASK_CLAIM_TIMEOUT_MINUTES=181,
)  # fmt: skip
def test_thresholds_are_the_tenants_own_or_else_the_settings(alpha, beta):
    configure(alpha, agent_stuck_minutes=30, task_claim_timeout_minutes=60)
    assert agent_thresholds(tenant=alpha.tenant) == AgentThresholds(
        stuck=30, fresh_heartbeat=3, idle=16, dead=61, task_archive=31, task_claim_timeout=60
    )
    assert agent_thresholds(tenant=beta.tenant) == AgentThresholds(
        stuck=11, fresh_heartbeat=3, idle=16, dead=61, task_archive=31, task_claim_timeout=181
    )
    in_schema(alpha)  # without a tenant named: the connection's
    assert agent_thresholds().stuck == 30
    with schema_context(alpha.tenant.schema_name):  # a schema chosen by its name only
        assert agent_thresholds().stuck == 30


# --- the beat follows the tenant -----------------------------------------------------------------------


def test_a_tenant_with_a_30_minute_stuck_threshold_is_not_alerted_at_11_minutes(alpha, beta):
    configure(alpha, agent_stuck_minutes=30)
    mine, theirs = busy_agent(alpha), busy_agent(beta, name="Beta agent")
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        tasks.agents_evaluate_all()  # the beat, every tenant with its own thresholds
    in_schema(beta)
    assert Agent.objects.get(pk=theirs.pk).stuck_flagged_at is not None  # the default: 10 minutes
    in_schema(alpha)
    assert state_at(mine, 30).stuck_flagged_at is None  # at its limit: not yet
    assert state_at(mine, 31).stuck_flagged_at == T0 + timedelta(minutes=31)


def test_a_tenants_idle_and_dead_thresholds_move_its_agents(alpha):
    configure(alpha, agent_idle_minutes=5, agent_dead_minutes=20)
    in_schema(alpha)
    warm = Agent.objects.create(name="Warm agent", state=S.WARM, last_heartbeat_at=T0)
    busy = Agent.objects.create(name="Busy agent", state=S.BUSY, last_heartbeat_at=T0 - timedelta(minutes=15))
    assert (state_at(warm, 5).state, state_at(busy, 5).state) == (S.WARM, S.BUSY)  # at the limits
    assert (state_at(warm, 5.01).state, state_at(busy, 5.01).state) == (S.IDLE, S.DEAD)
    assert warm.transitions.first().reason == "no activity for 5 minutes"
    assert busy.transitions.first().reason == "no heartbeat for 20 minutes"


def test_teardown_uses_the_tenants_claim_timeout_and_archive_grace(alpha):
    configure(alpha, task_claim_timeout_minutes=60, task_archive_minutes=5)
    in_schema(alpha)
    agent = Agent.objects.create(name="SEO agent", state=S.WARM, last_heartbeat_at=T0)
    with time_machine.travel(T0, tick=False):
        claimed = task_claim(task_id=task_create(title="Audit titles", actor_label="owner").pk, agent=agent)
        done = task_create(title="Fix redirects", actor_label="owner")
        Task.objects.filter(pk=done.pk).update(status=Task.Status.DONE, finished_at=T0)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert task_teardown() == {"archived": 0, "released": 0, "reopened": 0}
    with time_machine.travel(T0 + timedelta(minutes=5, seconds=1), tick=False):
        assert task_teardown()["archived"] == 1  # the default grace is 30 minutes
    with time_machine.travel(T0 + timedelta(minutes=60), tick=False):
        assert task_teardown()["reopened"] == 0
    with time_machine.travel(T0 + timedelta(minutes=60, seconds=1), tick=False):
        assert task_teardown()["reopened"] == 1  # the default timeout is 180 minutes
    claimed.refresh_from_db()
    assert claimed.status == Task.Status.OPEN
    assert TaskEvent.objects.filter(task=claimed).last().note == (
        "Reopened: no heartbeat from its agent for 60 minutes."
    )


# --- the owner's settings page ---------------------------------------------------------------------------


def post_settings(world, **thresholds):
    values = {field: "" for field in AGENT_THRESHOLDS} | {k: str(v) for k, v in thresholds.items()}
    data = {**FORM, "feature_agents": "on", **values}
    return client_for(world, user=world.owner).post("/dashboard/settings/", data)


def stored(world) -> dict:
    config = TenantConfig.objects.get(pk=world.tenant.pk)
    return {field: getattr(config, field) for field in AGENT_THRESHOLDS}


def test_the_settings_page_shows_an_agents_fieldset_with_the_defaults(alpha):
    page = client_for(alpha, user=alpha.owner).get("/dashboard/settings/").content.decode()
    fieldset = page[page.index('<fieldset id="agent-thresholds"') : page.index("</fieldset>")]
    assert "<legend>Agents</legend>" in fieldset
    assert 'name="agent_stuck_minutes"' in fieldset and 'placeholder="10"' in fieldset
    assert 'name="task_claim_timeout_minutes"' in fieldset and 'placeholder="180"' in fieldset
    assert "empty: the default, 10 minutes." in fieldset


def test_the_owner_sets_and_clears_thresholds(alpha):
    response = post_settings(alpha, agent_stuck_minutes=30, task_claim_timeout_minutes=60)
    assert response.status_code == 200 and "Settings saved." in response.content.decode()
    assert stored(alpha) == {field: None for field in AGENT_THRESHOLDS} | {
        "agent_stuck_minutes": 30,
        "task_claim_timeout_minutes": 60,
    }
    assert post_settings(alpha).status_code == 200  # empty boxes: back to the defaults
    assert stored(alpha) == {field: None for field in AGENT_THRESHOLDS}


def test_without_agent_access_the_thresholds_are_hidden_and_kept(alpha):
    configure(alpha, agent_stuck_minutes=30, feature_agents=False)
    owner = client_for(alpha, user=alpha.owner)
    assert 'id="agent-thresholds"' not in owner.get("/dashboard/settings/").content.decode()
    assert owner.post("/dashboard/settings/", FORM).status_code == 200
    assert stored(alpha)["agent_stuck_minutes"] == 30


def test_a_member_who_is_not_owner_cannot_change_thresholds(alpha):
    values = {**FORM, "agent_stuck_minutes": "30"}
    response = client_for(alpha, user=alpha.member).post("/dashboard/settings/", values)
    assert response.status_code in (403, 404)
    assert stored(alpha)["agent_stuck_minutes"] is None


def form_errors(world, **thresholds) -> dict:
    """The settings form's errors for these thresholds (the other boxes as FORM has them)."""
    values = {field: "" for field in AGENT_THRESHOLDS} | {k: str(v) for k, v in thresholds.items()}
    config = TenantConfig.objects.get(pk=world.tenant.pk)
    form = TenantConfigForm({**FORM, "feature_agents": "on", **values}, instance=config)
    form.is_valid()
    return {field: [e.code for e in errors.as_data()] for field, errors in form.errors.items()}


# Each bound at its limit (valid) and one past it (refused); companions keep the pair rules satisfied.
BOUNDS = [
    ({"agent_stuck_minutes": 2, "agent_fresh_heartbeat_minutes": 1}, "agent_stuck_minutes", 1),
    ({"agent_stuck_minutes": 1440}, "agent_stuck_minutes", 1441),
    ({"agent_fresh_heartbeat_minutes": 1}, "agent_fresh_heartbeat_minutes", 0),
    ({"agent_fresh_heartbeat_minutes": 60, "agent_stuck_minutes": 61}, "agent_fresh_heartbeat_minutes", 61),
    ({"agent_idle_minutes": 1}, "agent_idle_minutes", 0),
    ({"agent_idle_minutes": 1440, "agent_dead_minutes": 1441}, "agent_idle_minutes", 1441),
    ({"agent_dead_minutes": 2, "agent_idle_minutes": 1}, "agent_dead_minutes", 1),
    ({"agent_dead_minutes": 10080}, "agent_dead_minutes", 10081),
    ({"task_archive_minutes": 1}, "task_archive_minutes", 0),
    ({"task_archive_minutes": 10080}, "task_archive_minutes", 10081),
    ({"task_claim_timeout_minutes": 5}, "task_claim_timeout_minutes", 4),
    ({"task_claim_timeout_minutes": 10080}, "task_claim_timeout_minutes", 10081),
]


@pytest.mark.parametrize(("at_limit", "field", "past"), BOUNDS)
def test_each_threshold_is_accepted_at_its_limit_and_refused_one_past_it(alpha, at_limit, field, past):
    assert form_errors(alpha, **at_limit) == {}
    refused = form_errors(alpha, **(at_limit | {field: past}))
    assert set(refused) == {field} and refused[field][0] in ("min_value", "max_value")


@pytest.mark.parametrize(
    ("good", "bad", "field", "code"),
    [
        # both set: the fresh heartbeat must be shorter than the stuck threshold
        (
            {"agent_stuck_minutes": 10, "agent_fresh_heartbeat_minutes": 9},
            {"agent_stuck_minutes": 10, "agent_fresh_heartbeat_minutes": 10},
            "agent_fresh_heartbeat_minutes",
            "fresh_not_below_stuck",
        ),
        # one set: compared with the default beside it (fresh 2, stuck 10; idle 15, dead 60)
        (
            {"agent_fresh_heartbeat_minutes": 9},
            {"agent_fresh_heartbeat_minutes": 10},
            "agent_fresh_heartbeat_minutes",
            "fresh_not_below_stuck",
        ),
        (
            {"agent_stuck_minutes": 3},
            {"agent_stuck_minutes": 2},
            "agent_stuck_minutes",
            "fresh_not_below_stuck",
        ),
        (
            {"agent_idle_minutes": 30, "agent_dead_minutes": 31},
            {"agent_idle_minutes": 30, "agent_dead_minutes": 30},
            "agent_dead_minutes",
            "dead_not_after_idle",
        ),
        ({"agent_idle_minutes": 59}, {"agent_idle_minutes": 60}, "agent_idle_minutes", "dead_not_after_idle"),
        ({"agent_dead_minutes": 16}, {"agent_dead_minutes": 15}, "agent_dead_minutes", "dead_not_after_idle"),
    ],
)
def test_the_pairs_are_refused_at_the_limit_and_accepted_one_before(alpha, good, bad, field, code):
    assert form_errors(alpha, **good) == {}
    assert form_errors(alpha, **bad) == {field: [code]}


def test_a_refused_pair_is_shown_by_its_box_and_nothing_is_saved(alpha):
    assert post_settings(alpha, agent_stuck_minutes=10, agent_fresh_heartbeat_minutes=9).status_code == 200
    response = post_settings(alpha, agent_stuck_minutes=10, agent_fresh_heartbeat_minutes=10)
    page = response.content.decode()
    assert response.status_code == 400
    box = page.index('name="agent_fresh_heartbeat_minutes"')
    errors = page[page.rindex("<label", 0, box) : box]
    assert "errorlist" in errors and "must be shorter than" in errors and "(10)" in errors
    assert stored(alpha) == {field: None for field in AGENT_THRESHOLDS} | {
        "agent_stuck_minutes": 10,
        "agent_fresh_heartbeat_minutes": 9,
    }


def test_the_api_refuses_a_fresh_heartbeat_as_long_as_the_stuck_threshold(alpha):
    owner = client_for(alpha, user=alpha.owner)
    payload = {"agent_stuck_minutes": 5, "agent_fresh_heartbeat_minutes": 5}
    response = owner.patch("/api/v1/config/", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["fields"]["agent_fresh_heartbeat_minutes"][0]["code"] == "fresh_not_below_stuck"
    assert stored(alpha)["agent_stuck_minutes"] is None
    payload["agent_fresh_heartbeat_minutes"] = 4
    assert owner.patch("/api/v1/config/", payload, content_type="application/json").status_code == 200
    assert owner.get("/api/v1/config/").json()["agent_fresh_heartbeat_minutes"] == 4


@pytest.mark.parametrize(
    "values",
    [
        {"agent_stuck_minutes": 1},
        {"task_claim_timeout_minutes": 10081},
        {"agent_stuck_minutes": 5, "agent_fresh_heartbeat_minutes": 5},
        {"agent_idle_minutes": 30, "agent_dead_minutes": 30},
    ],
)
def test_the_database_refuses_thresholds_out_of_bounds_whoever_writes_them(alpha, values):
    with pytest.raises(IntegrityError), transaction.atomic():
        configure(alpha, **values)


def test_staff_edit_a_tenant_without_agent_access_and_its_thresholds_are_kept(alpha):
    """The admin's configuration inline leaves the thresholds out too when agent access is off: saving
    it must neither fail on the missing fields nor clear what the tenant had set."""
    from django.test import Client

    from tenants.models import User
    from tests.tenants.test_audit import admin_change_form

    configure(alpha, agent_dead_minutes=120, feature_agents=False)
    staff = User.objects.create_superuser("staff-thresholds@inkwell.example", "a-long-staff-password")
    client = Client(HTTP_HOST="localhost")
    client.force_login(staff)
    url = f"/admin/tenants/tenant/{alpha.tenant.pk}/change/"
    data = admin_change_form(client.get(url))
    data["config-0-brand_name"] = "Alpha By Staff"
    response = client.post(url, data)

    assert response.status_code == 302
    config = TenantConfig.objects.get(pk=alpha.tenant.pk)
    assert (config.brand_name, config.agent_dead_minutes) == ("Alpha By Staff", 120)
