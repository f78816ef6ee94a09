"""/leads/ on the dashboard: filters and period in the URL, the table and the pipeline board, inline
status changes with history, the detail panel, leads per source and the CSV export."""

import csv
import io
import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from contracts.services.events import Actor
from marketing.models import Lead, LeadEvent
from marketing.selectors import lead_list
from marketing.services.ingestion import tenant_local_today
from marketing.services.leads import lead_create
from tenants.models import Membership
from tests.conftest import client_for

STATUSES = ["new", "contacted", "quoted", "won", "lost"]
SOURCES = ["form", "chat", "phone", "api", "import"]
HTMX = {"HTTP_HX_REQUEST": "true"}


def add_leads(world, count: int, **fields) -> list[Lead]:
    """`count` leads in bulk (no history: fast), statuses and sources taking turns unless given."""
    with tenant_context(world.tenant):
        return Lead.objects.bulk_create(
            Lead(
                name=f"Lead {n}",
                email=f"lead{n}@example.com",
                status=fields.get("status", STATUSES[n % 5]),
                source=fields.get("source", SOURCES[(n // 5) % 5]),
                **{k: v for k, v in fields.items() if k not in ("status", "source")},
            )
            for n in range(count)
        )


def one_lead(world, **fields) -> Lead:
    """A lead made through the service, so it has its "created" history entry."""
    data = {"name": "Marco Rossi", "phone": "416 555 0188", "destination": "Palermo", **fields}
    with tenant_context(world.tenant):
        return lead_create(data=data, actor=Actor(type="owner", user=world.owner))[0]


def received_at(world, lead: Lead, moment: datetime) -> None:
    with tenant_context(world.tenant):
        Lead.objects.filter(pk=lead.pk).update(created=moment)


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def column_counts(html: str) -> dict[str, int]:
    found = re.findall(r'<h3 id="col-(\w+)">[^<]*<span class="count"[^>]*>(\d+)</span>', html)
    return {status: int(count) for status, count in found}


def test_filters_round_trip_through_the_url(alpha):
    one_lead(alpha, source="phone")
    client = client_for(alpha, user=alpha.member)
    page = client.get("/leads/?q=rossi&status=new&source=phone&range=90d&view=board").content.decode()
    # The filter form shows what the URL asked for and keeps the period and the view.
    assert 'name="q" value="rossi"' in page
    assert '<option value="new" selected>' in page and '<option value="phone" selected>' in page
    assert '<input type="hidden" name="range" value="90d">' in page
    assert '<input type="hidden" name="view" value="board">' in page
    # The period picker keeps the filters; the links keep everything but what they change.
    picker = page[page.index('id="range-form"') : page.index("</form>", page.index('id="range-form"'))]
    for kept in ('name="q" value="rossi"', 'name="status" value="new"', 'name="view" value="board"'):
        assert kept in picker
    assert '<option value="90d" selected>' in picker
    assert 'href="/leads/export.csv?q=rossi&amp;status=new&amp;source=phone&amp;range=90d"' in page
    assert 'href="?q=rossi&amp;status=new&amp;source=phone&amp;range=90d"' in page  # the table
    # Bad values are ignored, not an error page.
    assert client.get("/leads/?status=bogus&view=sideways&range=2y").status_code == 200


def test_the_period_is_the_tenants_local_days_and_all_time_is_the_default(alpha):
    tz = ZoneInfo(alpha.tenant.config.timezone)
    today = tenant_local_today(alpha.tenant)
    yesterday = today - timedelta(days=1)
    moments = {
        "Early yesterday": datetime.combine(yesterday, time(0, 5), tzinfo=tz),
        "Late yesterday": datetime.combine(yesterday, time(23, 55), tzinfo=tz),  # next day in UTC
        "Before": datetime.combine(yesterday, time(0, 0), tzinfo=tz) - timedelta(minutes=1),
        "Today": datetime.combine(today, time(0, 0), tzinfo=tz),
        "Last year": datetime.combine(today - timedelta(days=400), time(12), tzinfo=tz),
    }
    for n, (name, moment) in enumerate(moments.items()):
        received_at(alpha, one_lead(alpha, name=name, phone=f"+1416555{n:04d}"), moment)
    client = client_for(alpha, user=alpha.member)
    day = f"range=custom&start={yesterday}&end={yesterday}"
    page = client.get(f"/leads/?{day}").content.decode()
    assert "Early yesterday" in page and "Late yesterday" in page
    assert "Before" not in page and ">Today<" not in page and "Last year" not in page
    assert "2 leads" in page
    everything = client.get("/leads/").content.decode()
    assert '<option value="all" selected>All time</option>' in everything
    assert "5 leads" in everything and "Last year" in everything
    assert 'name="compare"' not in everything  # nothing to compare a list of leads with
    # The presets are the dashboard's (complete days), so "last 7 days" matches the overview.
    week = client.get("/leads/?range=7d").content.decode()
    assert "3 leads" in week and "Last year" not in week and ">Today<" not in week
    exported = csv_rows(client.get(f"/leads/export.csv?{day}"))
    assert sorted(row["name"] for row in exported) == ["Early yesterday", "Late yesterday"]


def test_htmx_gets_only_the_part_it_swaps(alpha):
    lead = one_lead(alpha)
    client = client_for(alpha, user=alpha.member)
    results = client.get("/leads/?q=marco", **HTMX, HTTP_HX_TARGET="lead-results").content.decode()
    assert results.lstrip().startswith('<div id="lead-results"') and "<html" not in results
    assert "Marco Rossi" in results and 'id="lead-filters"' not in results
    # The period picker comes along out of band, keeping the new search.
    assert 'id="range-form"' in results and 'hx-swap-oob="true"' in results
    assert '<input type="hidden" name="q" value="marco">' in results
    body = client.get("/leads/?range=7d", **HTMX, HTTP_HX_TARGET="dash-body").content.decode()
    assert 'id="lead-filters"' in body and 'id="lead-results"' in body and "<html" not in body
    assert 'id="range-status"' in body
    panel = client.get(f"/leads/{lead.pk}/", **HTMX, HTTP_HX_TARGET="lead-panel").content.decode()
    assert "<html" not in panel and "Marco Rossi" in panel and "History" in panel and "Created" in panel
    page = client.get(f"/leads/{lead.pk}/").content.decode()  # without JavaScript: its own page
    assert "<html" in page and '<div id="lead-panel"' in page and "History" in page


def _events(world, lead) -> list[tuple[str, str]]:
    with tenant_context(world.tenant):
        return list(
            LeadEvent.objects.filter(lead=lead, kind="status").values_list("from_status", "to_status")
        )


def test_status_changes_inline_from_row_card_and_panel_record_history(alpha):
    lead = one_lead(alpha)
    client = client_for(alpha, user=alpha.member)
    url = f"/leads/{lead.pk}/status/"
    row = client.post(url, {"status": "contacted"}, **HTMX, HTTP_HX_TARGET=f"lead-{lead.pk}")
    assert row.status_code == 200 and row["HX-Trigger"] == "lead-changed"
    assert row.content.decode().lstrip().startswith(f'<tr id="lead-{lead.pk}"')
    card = client.post(url, {"status": "quoted"}, **HTMX, HTTP_HX_TARGET=f"card-{lead.pk}")
    assert card.content.decode().lstrip().startswith(f'<li id="card-{lead.pk}"')
    assert '<option value="quoted" selected>' in card.content.decode()
    panel = client.post(
        url, {"status": "won", "note": "Signed", "panel": "1"}, **HTMX, HTTP_HX_TARGET="lead-panel"
    )
    html = panel.content.decode()
    assert "<html" not in html and "Signed" in html and "quoted → won" in html
    assert _events(alpha, lead) == [("new", "contacted"), ("contacted", "quoted"), ("quoted", "won")]
    # The same status again changes nothing and records nothing.
    again = client.post(url, {"status": "won"}, **HTMX, HTTP_HX_TARGET=f"lead-{lead.pk}")
    assert again.status_code == 200 and "HX-Trigger" not in again and len(_events(alpha, lead)) == 3
    # Without JavaScript the list's form goes back to the list it came from, never elsewhere.
    back = client.post(url, {"status": "lost", "next": "/leads/?view=board"})
    assert back.status_code == 302 and back["Location"] == "/leads/?view=board"
    away = client.post(url, {"status": "new", "next": "https://evil.example/"})
    assert away["Location"] == f"/leads/{lead.pk}/"


def test_a_status_not_offered_is_refused_in_place_with_400(alpha):
    lead = one_lead(alpha)
    client = client_for(alpha, user=alpha.member)
    url = f"/leads/{lead.pk}/status/"
    unknown = client.post(url, {"status": "bogus"}, **HTMX, HTTP_HX_TARGET=f"lead-{lead.pk}")
    html = unknown.content.decode()
    assert unknown.status_code == 400 and html.lstrip().startswith(f'<tr id="lead-{lead.pk}"')
    assert 'role="alert"' in html and "Choose one of the statuses offered." in html
    # A move the lead's status doesn't allow (a stale page: new → won) is shown on the card.
    stale = client.post(url, {"status": "won"}, **HTMX, HTTP_HX_TARGET=f"card-{lead.pk}")
    html = stale.content.decode()
    assert stale.status_code == 400 and html.lstrip().startswith(f'<li id="card-{lead.pk}"')
    assert "A new lead can&#x27;t be marked won." in html and '<option value="new" selected>' in html
    assert "HX-Trigger" not in stale
    assert client.post(url, {"status": "bogus"}).status_code == 400  # without JavaScript too
    assert _events(alpha, lead) == []
    with tenant_context(alpha.tenant):
        assert Lead.objects.get(pk=lead.pk).status == "new"


def test_a_member_of_both_tenants_cant_reach_the_other_tenants_lead(alpha, beta):
    lead = one_lead(alpha, name="Alpha Secret")
    Membership.objects.create(user=alpha.owner, tenant=beta.tenant, role=Membership.Role.MEMBER)
    client = client_for(beta, user=alpha.owner)  # signed in on beta's host
    assert client.get(f"/leads/{lead.pk}/").status_code == 404
    assert client.get(f"/leads/{lead.pk}/", **HTMX, HTTP_HX_TARGET="lead-panel").status_code == 404
    for target in (f"lead-{lead.pk}", f"card-{lead.pk}", "lead-panel"):
        refused = client.post(f"/leads/{lead.pk}/status/", {"status": "lost"}, **HTMX, HTTP_HX_TARGET=target)
        assert refused.status_code == 404
    assert "Alpha Secret" not in client.get("/leads/?view=board").content.decode()
    assert "Alpha Secret" not in b"".join(client.get("/leads/export.csv").streaming_content).decode()
    with tenant_context(alpha.tenant):
        assert Lead.objects.get(pk=lead.pk).status == "new" and not LeadEvent.objects.filter(kind="status")


def test_board_and_table_counts_are_the_selectors(alpha):
    add_leads(alpha, 90)  # 18 per status; by source, 5 of each status per turn of 25
    add_leads(alpha, 30, status="new", source="phone")  # more new ones than a column shows
    client = client_for(alpha, user=alpha.member)
    for query, filters in (
        ("", {}),
        ("source=phone", {"source": "phone"}),
        ("q=lead 1", {"search": "lead 1"}),
    ):
        with tenant_context(alpha.tenant):
            expected = {status: lead_list(**filters).filter(status=status).count() for status in STATUSES}
        board = client.get(f"/leads/?view=board&{query}").content.decode()
        assert column_counts(board) == expected
        table = client.get(f"/leads/?{query}").content.decode()
        assert f"({sum(expected.values())} leads)" in table
    board = client.get("/leads/?view=board").content.decode()
    assert board.count('class="lead-card"') == 25 + 18 * 4  # a column shows its newest 25
    assert "23 more new in the table" in board and 'href="?status=new"' in board
    # Leads per source: the period's, with a link to filter by each.
    with tenant_context(alpha.tenant):
        phone = lead_list(source="phone").count()
    sources = re.search(
        r'aria-current="true">Phone</a></th><td class="num">(\d+)<',
        client.get("/leads/?source=phone").content.decode(),
    )
    assert int(sources.group(1)) == phone


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("view", ["table", "board"])
def test_queries_stay_the_same_for_many_leads_and_few(alpha, view, django_assert_num_queries):
    client = client_for(alpha, user=alpha.member)
    url = f"/leads/?view={view}&range=12m"
    two_days_ago = datetime.now(ZoneInfo("UTC")) - timedelta(days=2)  # inside "last 12 months"
    add_leads(alpha, 3)
    with tenant_context(alpha.tenant):
        Lead.objects.update(created=two_days_ago)
    few = _queries(client, url)
    add_leads(alpha, 400)
    with tenant_context(alpha.tenant):
        Lead.objects.update(created=two_days_ago)
    with django_assert_num_queries(few):
        page = client.get(url).content.decode()
    assert "403 leads" in page
    # Tenant, session, user, membership (each after setting the schema), then three about the
    # leads: count, page and sources for the table; status counts, cards and sources for the board.
    assert few == 14


def test_export_keeps_the_filters_and_defuses_every_formula_start(alpha):
    one_lead(alpha, name="Phone Caller", source="phone", email="caller@example.com")
    one_lead(alpha, name="Form Filler", phone="+14165550199")
    dangerous = ["=1+2", "+SUM(A1)", "-2+3", "@cmd", "\tx=1", "\r=1"]
    for n, text in enumerate(dangerous):
        one_lead(alpha, name=f"Risky {n}", phone=f"+1416555{n:04d}", source="phone", message=text)
    client = client_for(alpha, user=alpha.member)
    rows = csv_rows(client.get("/leads/export.csv?source=phone&q=caller"))
    assert [row["name"] for row in rows] == ["Phone Caller"]
    risky = {row["name"]: row for row in csv_rows(client.get("/leads/export.csv?source=phone&q=risky"))}
    assert len(risky) == len(dangerous)
    for n, text in enumerate(dangerous):
        assert risky[f"Risky {n}"]["message"] == "'" + text
        assert risky[f"Risky {n}"]["phone"].startswith("+1416555")  # a phone number stays dialable
