"""/api/v1/calendar/: demand by month, recommended windows and the business's own seasons; the
seasons are written through marketing.services.calendar."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from marketing.models import SearchFact, SeasonalEvent
from marketing.services.calendar import seasonal_event_create, seasonal_event_delete, seasonal_event_update
from tests.api.conftest import key_client

SNOWBIRDS = {"name": "Snowbirds", "start_month": 10, "start_day": 1, "end_month": 11, "end_day": 30}


@pytest.fixture
def api(alpha, alpha_key):
    return key_client(alpha, alpha_key)


def test_calendar_gives_events_demand_and_windows(alpha, api):
    with time_machine.travel("2026-03-15 12:00Z", tick=False), tenant_context(alpha.tenant):
        SeasonalEvent.objects.create(**SNOWBIRDS)
        day = date(2025, 3, 14)
        while day > date(2024, 3, 20):  # a year of searches, May and June the busiest
            impressions = 500 if day.month in (5, 6) else 100
            SearchFact.objects.create(
                day=day, query="movers", page="/", clicks=1, impressions=impressions, position_sum=impressions
            )
            day -= timedelta(days=1)
        body = api.get("/api/v1/calendar/").json()
    assert [e["name"] for e in body["events"]] == ["Snowbirds"]
    assert len(body["demand"]) == 12 and body["demand"][4]["index"] > 100
    assert body["recommended_windows"] == [{"start_month": 5, "end_month": 5, "months": [5]}]


def test_events_crud(alpha, api):
    response = api.post("/api/v1/calendar/events/", SNOWBIRDS, content_type="application/json")
    assert response.status_code == 201
    pk = response.json()["id"]
    wrap = {"name": "Holidays", "start_month": 12, "start_day": 15, "end_month": 1, "end_day": 5}
    assert api.post("/api/v1/calendar/events/", wrap, content_type="application/json").status_code == 201
    assert [e["name"] for e in api.get("/api/v1/calendar/events/?month=1").json()["results"]] == ["Holidays"]
    assert [e["name"] for e in api.get("/api/v1/calendar/events/?month=11").json()["results"]] == [
        "Snowbirds"
    ]
    assert api.get("/api/v1/calendar/events/?month=13").status_code == 400
    response = api.patch(f"/api/v1/calendar/events/{pk}/", {"end_day": 15}, content_type="application/json")
    assert response.status_code == 200 and response.json()["end_day"] == 15
    assert api.delete(f"/api/v1/calendar/events/{pk}/").status_code == 204
    assert api.get(f"/api/v1/calendar/events/{pk}/").status_code == 404


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"start_month": 4, "start_day": 31}, "start_day", "day_not_in_month"),  # 31 April
        ({"end_month": 2, "end_day": 30}, "end_day", "day_not_in_month"),
        ({"start_month": 13}, "start_month", "max_value"),
        ({"start_day": 0}, "start_day", "min_value"),
        ({"name": ""}, "name", "blank"),
        ({"notes": "x" * 2001}, "notes", "max_length"),
        ({"colour": "red"}, "colour", "field_not_editable"),
    ],
)
def test_invalid_events_are_refused_with_field_errors(alpha, api, changes, field, code):
    response = api.post("/api/v1/calendar/events/", {**SNOWBIRDS, **changes}, content_type="application/json")
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["fields"][field]] == [code]
    with tenant_context(alpha.tenant):
        assert not SeasonalEvent.objects.exists()


def test_the_last_day_of_each_month_is_accepted(api):
    # at the limit (30 April, 29 February: the calendar repeats every year) and one past it above
    for n, (month, day) in enumerate([(4, 30), (2, 29), (12, 31)]):
        body = {
            "name": f"Edge {n}",
            "start_month": month,
            "start_day": day,
            "end_month": month,
            "end_day": day,
        }
        assert api.post("/api/v1/calendar/events/", body, content_type="application/json").status_code == 201


def test_a_name_is_used_once(api):
    assert api.post("/api/v1/calendar/events/", SNOWBIRDS, content_type="application/json").status_code == 201
    response = api.post("/api/v1/calendar/events/", SNOWBIRDS, content_type="application/json")
    assert response.status_code == 400 and "name" in response.json()["fields"]


def test_services_validate_on_their_own(alpha):
    with tenant_context(alpha.tenant):
        with pytest.raises(ValidationError) as caught:
            seasonal_event_create(data={**SNOWBIRDS, "start_month": 4, "start_day": 31})
        assert list(caught.value.message_dict) == ["start_day"]
        event = seasonal_event_create(data=SNOWBIRDS)
        with pytest.raises(ValidationError) as caught:
            seasonal_event_update(event=event, data={"end_month": 9, "end_day": 31})
        assert list(caught.value.message_dict) == ["end_day"]
        assert (
            seasonal_event_update(event=event, data={"notes": "Ontario to Florida"}).notes
            == "Ontario to Florida"
        )
        seasonal_event_delete(event=event)
        assert not SeasonalEvent.objects.exists()
