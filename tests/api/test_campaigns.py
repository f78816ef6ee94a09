"""/api/v1/campaigns/: campaigns with their Ads results for a range; manual ones written here, the
ones from Google Ads read-only; only on plans with campaigns."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django_tenants.utils import tenant_context

from billing.services.subscriptions import plan_change_apply
from marketing.models import AdsFact, Campaign
from marketing.services.campaigns import campaign_delete, campaign_update
from tenants.models import Plan
from tests.api.conftest import key_client
from tests.conftest import client_for


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel("2026-03-15 12:00Z", tick=False):
        yield


@pytest.fixture
def api(alpha, alpha_key, campaigns_on):
    return key_client(alpha, alpha_key)


def _ads(alpha):
    with tenant_context(alpha.tenant):
        for day, clicks in ((date(2026, 3, 1), 10), (date(2026, 3, 2), 5), (date(2026, 1, 5), 99)):
            AdsFact.objects.create(
                day=day, campaign_id="42", campaign_name="Search", clicks=clicks, impressions=clicks * 10,
                cost=Decimal("12.50"), conversions=Decimal("1"),
            )  # fmt: skip
        return Campaign.objects.create(
            name="Search", channel=Campaign.Channel.GOOGLE_ADS, ads_campaign_id="42"
        )


def test_create_then_list_with_the_ranges_results(alpha, api):
    ads = _ads(alpha)
    response = api.post(
        "/api/v1/campaigns/",
        {
            "name": "Spring radio",
            "channel": "radio",
            "budget": "1500.00",
            "start": "2026-03-01",
            "end": "2026-04-30",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["from_ads"] is False
    rows = api.get("/api/v1/campaigns/?start=2026-03-01&end=2026-03-14").json()
    assert rows["count"] == 2
    by_name = {row["name"]: row for row in rows["results"]}
    assert by_name["Search"]["clicks"] == 15  # January's 99 are outside the range
    assert by_name["Search"]["from_ads"] is True and by_name["Search"]["id"] == ads.pk
    assert by_name["Spring radio"]["clicks"] == 0
    radio_only = api.get("/api/v1/campaigns/?channel=radio").json()
    assert [row["name"] for row in radio_only["results"]] == ["Spring radio"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "radio"}, "name"),
        ({"name": "x", "channel": "tv"}, "channel"),
        ({"name": "x", "channel": "google_ads"}, "channel"),  # those come from Ads
        ({"name": "x", "budget": "-1"}, "budget"),
        ({"name": "x", "start": "2026-05-01", "end": "2026-04-01"}, "end"),
        ({"name": "x", "ads_campaign_id": "7"}, "ads_campaign_id"),  # not a client's to set
        ({"name": "x\x00"}, "name"),
    ],
)
def test_invalid_campaigns_are_refused_with_field_errors(alpha, api, body, field):
    response = api.post("/api/v1/campaigns/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]
    with tenant_context(alpha.tenant):
        assert not Campaign.objects.exists()


def test_manual_campaigns_are_edited_and_deleted(alpha, api):
    with tenant_context(alpha.tenant):
        campaign = Campaign.objects.create(name="Flyers", channel=Campaign.Channel.PRINT)
    response = api.patch(
        f"/api/v1/campaigns/{campaign.pk}/", {"notes": "Door to door"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["notes"] == "Door to door"
    response = api.patch(
        f"/api/v1/campaigns/{campaign.pk}/",
        {"end": "2000-01-01", "start": "2001-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "end" in response.json()["fields"]
    assert api.delete(f"/api/v1/campaigns/{campaign.pk}/").status_code == 204
    assert api.get(f"/api/v1/campaigns/{campaign.pk}/").status_code == 404


def test_campaigns_from_ads_are_read_only(alpha, api):
    ads = _ads(alpha)
    assert api.get(f"/api/v1/campaigns/{ads.pk}/").json()["from_ads"] is True
    for response in (
        api.patch(f"/api/v1/campaigns/{ads.pk}/", {"name": "Renamed"}, content_type="application/json"),
        api.delete(f"/api/v1/campaigns/{ads.pk}/"),
    ):
        assert response.status_code == 409
        assert response.json()["code"] == "campaign_from_ads"
    with tenant_context(alpha.tenant):
        assert Campaign.objects.get(pk=ads.pk).name == "Search"


def test_services_refuse_ads_campaigns_and_unknown_fields(alpha):
    from django.core.exceptions import ValidationError

    from inkwell.errors import Conflict

    ads = _ads(alpha)
    with tenant_context(alpha.tenant):
        with pytest.raises(Conflict):
            campaign_update(campaign=ads, data={"name": "x"})
        with pytest.raises(Conflict):
            campaign_delete(campaign=ads)
        manual = Campaign.objects.create(name="Flyers", channel=Campaign.Channel.PRINT)
        with pytest.raises(ValidationError) as caught:
            campaign_update(campaign=manual, data={"ads_campaign_id": "9"})
        assert "ads_campaign_id" in caught.value.message_dict


@pytest.mark.parametrize(("plan", "allowed"), [(Plan.SEO, False), (Plan.SEO_ADS, True), (Plan.FULL, True)])
def test_only_plans_with_campaigns_have_the_api(alpha, alpha_key, plan, allowed):
    plan_change_apply(tenant=alpha.tenant, plan=plan, initial=True)
    response = key_client(alpha, alpha_key).get("/api/v1/campaigns/")
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "plan_upgrade_required"


def test_switched_off_campaigns_answer_404(alpha, alpha_key):
    # feature_campaigns is off by default; the owner switches it on in settings
    response = client_for(alpha, user=alpha.owner).get("/api/v1/campaigns/")
    assert response.status_code == 404
