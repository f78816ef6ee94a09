"""The seasonal calendar (/dashboard/calendar/): twelve months with their search demand, the events
that touch them (also over New Year) and the recommended campaign windows; owners add, change and
delete events in place, members read."""

import json
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from marketing.connectors.base import SearchRow
from marketing.metrics import last_complete
from marketing.models import SeasonalEvent
from marketing.seasons import event_months, monthly_demand, recommended_windows
from marketing.services.calendar import seasonal_event_create, seasonal_event_delete, seasonal_event_update
from marketing.services.ingestion import facts_write
from tenants.models import Membership
from tests.conftest import client_for

BODY = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "dash-body"}
SNOWBIRDS = {"name": "Snowbirds go south", "start_month": 12, "start_day": 15, "end_month": 1, "end_day": 10}


def event(world, **fields):
    with tenant_context(world.tenant):
        return seasonal_event_create(data=SNOWBIRDS | fields)


def searches(world, days, impressions):
    """One search row a day for `days` days ending yesterday; `impressions(day)` each."""
    end = last_complete(tenant=world.tenant, days=1).end
    rows = [
        SearchRow(d, "car shipping", "https://a.example/", "MOBILE", "can", 1, impressions(d), 3.0, True)
        for d in (end - timedelta(days=i) for i in range(days))
    ]
    with tenant_context(world.tenant):
        facts_write(rows=rows)


def month_cell(html, month):
    return re.search(rf'id="month-{month}">(.*?)(?=<li class="month|</ol>)', html, re.S).group(1)


# --- what the page shows ------------------------------------------------------------------------------


def test_months_show_the_demand_windows_and_events_of_the_selectors(alpha):
    # Two years with busy summers: June–August twice as busy as the rest.
    searches(alpha, 730, lambda d: 200 if d.month in (6, 7, 8) else 100)
    event(alpha)
    event(alpha, name="Spring moves", start_month=4, start_day=1, end_month=5, end_day=31, notes="Students")
    response = client_for(alpha, user=alpha.member).get("/dashboard/calendar/")
    assert response.status_code == 200
    with tenant_context(alpha.tenant):
        demand = monthly_demand(tenant=alpha.tenant)
    months = response.context["months"]
    assert [m["index"] for m in months] == [d["index"] for d in demand]
    assert [m["month"] for m in months if m["recommended"]] == recommended_windows(demand)[0]["months"] == [6]
    html = response.content.decode()
    june, july = month_cell(html, 6), month_cell(html, 7)
    assert "Campaign window" in june and "Campaign window" not in july
    assert 'class="month level-5 recommended"' in html
    assert f"Demand <strong>{demand[5]['index']:.0f}</strong>" in june  # the numbers, without JavaScript
    assert "(200 impressions a day)" in june
    # Dec 15 → Jan 10 runs over New Year: in December and January, nowhere else.
    assert "Snowbirds go south" in month_cell(html, 12) and "Snowbirds go south" in month_cell(html, 1)
    assert "Snowbirds go south" not in month_cell(html, 2) + month_cell(html, 11)
    assert "Dec 15 – Jan 10" in month_cell(html, 1)
    assert all("Spring moves" in month_cell(html, m) for m in (4, 5)) and "Spring moves" not in month_cell(
        html, 6
    )
    assert "June" in html and "<strong>June</strong>" in html  # the window, by name
    chart = json.loads(
        re.search(r'id="demand-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    )
    assert chart["labels"][0] == "Jan" and chart["datasets"][0]["data"] == [d["index"] for d in demand]


def test_without_search_data_the_page_says_so(alpha):
    html = client_for(alpha, user=alpha.member).get("/dashboard/calendar/").content.decode()
    assert "No search data yet" in html and "demand-data" not in html
    assert html.count("No search data</span>") == 12 and "No seasonal events yet" in html


@pytest.mark.parametrize(
    "start, end, months",
    [
        ((12, 15), (1, 10), [12, 1]),
        ((4, 1), (5, 31), [4, 5]),
        ((3, 3), (3, 3), [3]),
        ((1, 20), (1, 10), list(range(1, 13))),  # ends before it starts in its own month: the whole year
        ((11, 1), (2, 28), [11, 12, 1, 2]),
    ],
)
def test_the_months_an_event_touches(start, end, months):
    spec = {"start_month": start[0], "start_day": start[1], "end_month": end[0], "end_day": end[1]}
    assert event_months(spec) == months


# --- owners add, edit and delete events in place -----------------------------------------------------------


def test_owner_adds_an_event_and_the_months_follow(alpha):
    client = client_for(alpha, user=alpha.owner)
    form = {"name": "Spring moves", "start_month": "4", "start_day": "30", "end_month": "5", "end_day": "31"}
    response = client.post("/dashboard/calendar/events/new/", form, **BODY)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and "Added “Spring moves”" in html
    assert "Spring moves" in month_cell(html, 4) and "Spring moves" in month_cell(html, 5)
    with tenant_context(alpha.tenant):
        spring = SeasonalEvent.objects.get()
    assert (spring.start_month, spring.start_day, spring.end_month, spring.end_day) == (4, 30, 5, 31)


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"start_day": "31"}, "start_day", "April has 30 days."),  # 31 April; 30 April is the limit
        ({"end_month": "2", "end_day": "30"}, "end_day", "February has 29 days."),
        ({"start_day": "0"}, "start_day", "greater than or equal to 1"),
        ({"end_month": "13"}, "end_month", "Select a valid choice."),
        ({"name": "Snowbirds go south"}, "name", "already exists"),
        ({"name": ""}, "name", "This field is required."),
    ],
)
def test_bad_input_is_a_400_with_the_error_by_its_field(alpha, changes, field, message):
    event(alpha)
    form = {"name": "Spring moves", "start_month": "4", "start_day": "30", "end_month": "5", "end_day": "31"}
    response = client_for(alpha, user=alpha.owner).post(
        "/dashboard/calendar/events/new/", form | changes, **BODY
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert re.search(rf'<label for="id_{field}".*?{re.escape(message)}.*?</div>', html, re.S)
    assert 'id="event-add"' in html  # the form, with what was typed, where it was
    with tenant_context(alpha.tenant):
        assert SeasonalEvent.objects.count() == 1


def test_february_29_is_a_day_of_the_calendar(alpha):
    form = {"name": "Leap", "start_month": "2", "start_day": "29", "end_month": "2", "end_day": "29"}
    response = client_for(alpha, user=alpha.owner).post("/dashboard/calendar/events/new/", form, **BODY)
    assert response.status_code == 200


def test_owner_edits_an_event_in_place(alpha):
    snowbirds = event(alpha)
    client = client_for(alpha, user=alpha.owner)
    row = client.get(
        f"/dashboard/calendar/events/{snowbirds.pk}/edit/",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"event-{snowbirds.pk}",
    ).content.decode()
    assert row.startswith(f'\n<tr id="event-{snowbirds.pk}" class="editing">') or row.lstrip().startswith(
        f'<tr id="event-{snowbirds.pk}" class="editing">'
    )
    assert 'value="Snowbirds go south"' in row
    p = f"e{snowbirds.pk}-"
    data = {
        p + "name": "Snowbirds",
        p + "start_month": "11",
        p + "start_day": "1",
        p + "end_month": "1",
        p + "end_day": "31",
    }
    response = client.post(f"/dashboard/calendar/events/{snowbirds.pk}/edit/", data, **BODY)
    html = response.content.decode()
    assert response.status_code == 200 and "Saved “Snowbirds”" in html
    assert "Snowbirds" in month_cell(html, 11) and "Nov 1 – Jan 31" in html
    bad = client.post(
        f"/dashboard/calendar/events/{snowbirds.pk}/edit/",
        data | {p + "start_month": "4", p + "start_day": "31"},
        **BODY,
    )
    assert bad.status_code == 400 and "April has 30 days." in bad.content.decode()
    assert f'<tr id="event-{snowbirds.pk}" class="editing">' in bad.content.decode()
    with tenant_context(alpha.tenant):
        snowbirds.refresh_from_db()
    assert (snowbirds.name, snowbirds.start_month, snowbirds.start_day) == ("Snowbirds", 11, 1)


def test_without_javascript_the_forms_post_and_come_back(alpha):
    snowbirds = event(alpha)
    client = client_for(alpha, user=alpha.owner)
    page = client.get(f"/dashboard/calendar/events/{snowbirds.pk}/edit/")
    assert (
        page.status_code == 200
        and "<html" in page.content.decode()
        and 'class="editing"' in page.content.decode()
    )
    form = {"name": "Spring", "start_month": "4", "start_day": "1", "end_month": "5", "end_day": "1"}
    response = client.post("/dashboard/calendar/events/new/", form)
    assert response.status_code == 302 and response["Location"] == "/dashboard/calendar/"
    bad = client.post("/dashboard/calendar/events/new/", form | {"name": "Fall", "start_day": "31"})
    assert (
        bad.status_code == 400
        and "<html" in bad.content.decode()
        and "April has 30 days." in bad.content.decode()
    )


def test_owner_deletes_an_event_after_confirming(alpha):
    snowbirds = event(alpha)
    client = client_for(alpha, user=alpha.owner)
    assert (
        'hx-confirm="Delete the event “Snowbirds go south”?"'
        in client.get("/dashboard/calendar/").content.decode()
    )
    response = client.post(f"/dashboard/calendar/events/{snowbirds.pk}/delete/", **BODY)
    assert response.status_code == 200 and "Deleted “Snowbirds go south”" in response.content.decode()
    assert "Snowbirds go south" not in month_cell(response.content.decode(), 12)
    with tenant_context(alpha.tenant):
        assert not SeasonalEvent.objects.exists()


def test_members_read_but_cannot_write(alpha):
    snowbirds = event(alpha)
    client = client_for(alpha, user=alpha.member)
    html = client.get("/dashboard/calendar/").content.decode()
    assert "Snowbirds go south" in html and "Add an event" not in html and "/edit/" not in html
    p = f"e{snowbirds.pk}-"
    form = {"name": "Spring", "start_month": "4", "start_day": "1", "end_month": "5", "end_day": "1"}
    assert client.post("/dashboard/calendar/events/new/", form).status_code == 403
    assert client.get(f"/dashboard/calendar/events/{snowbirds.pk}/edit/").status_code == 403
    edit = {p + k: v for k, v in form.items()}
    assert client.post(f"/dashboard/calendar/events/{snowbirds.pk}/edit/", edit).status_code == 403
    assert client.post(f"/dashboard/calendar/events/{snowbirds.pk}/delete/").status_code == 403
    with tenant_context(alpha.tenant):
        assert list(SeasonalEvent.objects.values_list("name", flat=True)) == ["Snowbirds go south"]


def test_an_owner_of_both_tenants_cannot_reach_one_tenants_event_from_the_other(alpha, beta):
    snowbirds = event(alpha)
    Membership.objects.create(user=beta.owner, tenant=alpha.tenant, role=Membership.Role.OWNER)
    with tenant_context(beta.tenant):
        assert not SeasonalEvent.objects.filter(pk=snowbirds.pk).exists()
    client = client_for(beta, user=beta.owner)  # on beta's host
    base = f"/dashboard/calendar/events/{snowbirds.pk}"
    p = f"e{snowbirds.pk}-"
    assert "Snowbirds go south" not in client.get("/dashboard/calendar/").content.decode()
    assert client.get(f"{base}/edit/").status_code == 404
    assert client.post(f"{base}/edit/", {p + "name": "Hacked", p + "start_month": "1", p + "start_day": "1",
                                         p + "end_month": "1", p + "end_day": "2"}).status_code == 404  # fmt: skip
    assert client.post(f"{base}/delete/").status_code == 404
    with tenant_context(alpha.tenant):
        snowbirds.refresh_from_db()
    assert snowbirds.name == "Snowbirds go south"
    assert client_for(alpha, user=beta.owner).get(f"{base}/edit/").status_code == 200  # an owner there too


@pytest.mark.parametrize("path", ["/dashboard/calendar/events/1/edit/"])
def test_signed_in_non_member_gets_404(alpha, beta, path):
    event(alpha)
    assert client_for(alpha, user=beta.owner).get(path).status_code == 404
    assert client_for(alpha).get(path).status_code == 302


# --- the services ------------------------------------------------------------------------------------------


def test_event_services_check_real_days_and_keep_names_unique(alpha):
    with tenant_context(alpha.tenant):
        snowbirds = seasonal_event_create(data=SNOWBIRDS)
        with pytest.raises(ValidationError) as april:
            seasonal_event_update(event=snowbirds, data={"start_month": 4, "start_day": 31})
        assert april.value.message_dict == {"start_day": ["April has 30 days."]}
        assert (
            seasonal_event_update(event=snowbirds, data={"start_month": 4, "start_day": 30}).start_day == 30
        )
        with pytest.raises(ValidationError) as month:
            seasonal_event_create(data=SNOWBIRDS | {"name": "Other", "end_month": 13})
        assert set(month.value.message_dict) == {"end_month"}
        with pytest.raises(ValidationError) as twice:
            seasonal_event_create(data=SNOWBIRDS | {"start_day": "x"})
        assert set(twice.value.message_dict) == {"name", "start_day"}
        seasonal_event_delete(event=snowbirds)
        assert not SeasonalEvent.objects.exists()


# --- query budget ------------------------------------------------------------------------------------------


def test_the_page_costs_the_same_queries_for_a_week_or_two_years(alpha, django_assert_num_queries):
    event(alpha)
    client = client_for(alpha, user=alpha.owner)
    searches(alpha, 7, lambda d: 100)
    with django_assert_num_queries(QUERIES):
        assert client.get("/dashboard/calendar/").status_code == 200
    searches(alpha, 730, lambda d: 100 + d.month)
    with django_assert_num_queries(QUERIES):
        response = client.get("/dashboard/calendar/")
    assert all(m["index"] is not None for m in response.context["months"])


def test_demand_is_kept_until_ingestion_writes_new_facts(alpha, django_assert_num_queries):
    searches(alpha, 1, lambda d: 100)
    client = client_for(alpha, user=alpha.member)
    first = client.get("/dashboard/calendar/").context["months"]
    assert [m["index"] for m in first].count(None) == 11
    with django_assert_num_queries(QUERIES - 2):  # no sums of two years (nor their search_path)
        client.get("/dashboard/calendar/")
    searches(alpha, 730, lambda d: 100)
    assert all(m["index"] == 100.0 for m in client.get("/dashboard/calendar/").context["months"])


QUERIES = 12


def test_an_event_deleted_meanwhile_is_a_404_not_a_crash(alpha):
    """Another owner deleted the event after this request found it: the edit finds nothing."""
    from django.http import Http404

    with tenant_context(alpha.tenant):
        seen = seasonal_event_create(
            data={"name": "Snowbirds", "start_month": 10, "start_day": 1, "end_month": 11, "end_day": 30}
        )
        SeasonalEvent.objects.filter(pk=seen.pk).delete()
        with pytest.raises(Http404):
            seasonal_event_update(event=seen, data={"name": "Renamed"})
        assert not SeasonalEvent.objects.exists()


def test_two_owners_adding_the_same_name_at_once_get_the_names_error(alpha, monkeypatch):
    """Both checked the name was free before either saved: the second save meets the unique index,
    and is told so under `name` (a form error, 400) rather than crashing."""
    real = SeasonalEvent.validate_constraints
    calls = []

    def racing(self, exclude=None):
        calls.append(1)
        if len(calls) > 1:  # the first check ran before the other owner's event was saved
            real(self, exclude=exclude)

    data = {"name": "Snowbirds", "start_month": 10, "start_day": 1, "end_month": 11, "end_day": 30}
    with tenant_context(alpha.tenant):
        SeasonalEvent.objects.create(**data)  # the other owner's, saved after this one's check
        monkeypatch.setattr(SeasonalEvent, "validate_constraints", racing)
        with pytest.raises(ValidationError) as caught:
            seasonal_event_create(data=data)
        assert list(caught.value.error_dict) == ["name"]
        assert SeasonalEvent.objects.count() == 1
