"""The campaigns page (/campaigns/): each campaign's Ads results against the period before, totals,
the spend/conversions chart, campaigns entered by hand edited in place by owners, and its gates (the
plan, the feature toggle)."""

import json
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from billing.services.subscriptions import plan_change_apply
from inkwell.errors import Conflict
from marketing.connectors.base import AdsRow
from marketing.metrics import last_complete
from marketing.models import Campaign
from marketing.seasons import campaign_list, campaign_totals
from marketing.services.campaigns import (
    campaign_create,
    campaign_delete,
    campaign_update,
    campaigns_sync_from_ads,
)
from marketing.services.ingestion import facts_write
from tenants.models import Membership, Tenant, TenantConfig
from tests.conftest import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


def campaigns_on(world):
    TenantConfig.objects.filter(pk=world.tenant.pk).update(feature_campaigns=True)


def ads(day, campaign_id="777", name="Florida snowbirds", clicks=10, cost="10", conversions="1"):
    return AdsRow(day, campaign_id, name, clicks * 10, clicks, Decimal(cost), Decimal(conversions))


def write_ads(world, rows):
    with tenant_context(world.tenant):
        facts_write(rows=rows)
        campaigns_sync_from_ads()


def radio(world, **fields):
    data = dict(name="Radio spots", channel="radio", budget=Decimal("900"), start=date(2026, 4, 1), end=None)
    with tenant_context(world.tenant):
        return campaign_create(**data | fields)


@pytest.fixture
def period(alpha):
    return last_complete(tenant=alpha.tenant, days=28)  # the page's default range


@pytest.fixture
def with_results(alpha, period):
    """Campaign 777: 2 days in the period (20 clicks, 30.00 spent, 3 conversions), 1 day before it
    (10 clicks, 10.00, 2 conversions); campaign 888 only in the period; one campaign by hand."""
    before = period.start - timedelta(days=1)
    write_ads(
        alpha,
        [
            ads(period.end, cost="12.50", conversions="1"),
            ads(period.start, cost="17.50", conversions="2"),
            ads(before, cost="10", conversions="2"),
            ads(period.end, campaign_id="888", name="Moving season", clicks=5, cost="5", conversions="0"),
        ],
    )
    campaigns_on(alpha)
    return radio(alpha)


def cell_texts(html, campaign_id):
    row = re.search(rf'<tr id="campaign-{campaign_id}">(.*?)</tr>', html, re.S).group(1)
    return [
        " ".join(re.sub(r"<[^>]+>", " ", cell).split())
        for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
    ]


# --- values, changes, totals, chart ----------------------------------------------------------------


def test_each_campaign_shows_its_results_and_change_against_the_period_before(alpha, period, with_results):
    response = client_for(alpha, user=alpha.member).get("/campaigns/")
    assert response.status_code == 200
    with tenant_context(alpha.tenant):
        expected = campaign_list(period=period)
        snowbirds = Campaign.objects.get(ads_campaign_id="777")
    assert response.context["campaigns"] == expected
    row = next(c for c in expected if c["id"] == snowbirds.pk)
    assert (row["cost"], row["clicks"], row["conversions"], row["cost_per_conversion"]) == (
        Decimal("30"), 20, Decimal("3"), Decimal("10"))  # fmt: skip
    assert row["previous"]["cost"] == Decimal("10") and row["previous"]["cost_per_conversion"] == Decimal("5")
    assert row["change"] == {
        "cost": 200.0,
        "clicks": 100.0,
        "conversions": 50.0,
        "cost_per_conversion": 100.0,
    }

    html = response.content.decode()
    cells = cell_texts(html, snowbirds.pk)
    assert cells[1:5] == ["30.00 change +200 %", "20 change +100 %", "3 change +50 %", "10.00 change +100 %"]
    with tenant_context(alpha.tenant):
        moving = Campaign.objects.get(ads_campaign_id="888")
    # Nothing the period before: no change to show rather than an infinite one.
    assert cell_texts(html, moving.pk)[2] == "5 change no data to compare"
    assert "Entered by hand: no Ads results." in cell_texts(html, with_results.pk)[1]


def test_the_totals_row_sums_the_campaigns(alpha, period, with_results):
    response = client_for(alpha, user=alpha.owner).get("/campaigns/")
    totals = response.context["totals"]
    assert totals == campaign_totals(response.context["campaigns"])
    assert (totals["cost"], totals["clicks"], totals["conversions"]) == (Decimal("35"), 25, Decimal("3"))
    assert totals["change"]["cost"] == 250.0  # 35 against 10
    footer = re.search(r"<tfoot>(.*?)</tfoot>", response.content.decode(), re.S).group(1)
    assert "35.00" in footer and "+250 %" in footer and "11.67" in footer  # 35 / 3 a conversion


def test_without_compare_no_changes_are_shown(alpha, with_results):
    response = client_for(alpha, user=alpha.member).get("/campaigns/?range=28d&compare=0")
    html = response.content.decode()
    assert response.status_code == 200 and "30.00" in html
    assert "+200 %" not in html and "no data to compare" not in html


def test_the_chart_has_daily_spend_bars_and_conversions_on_the_right_axis(alpha, period, with_results):
    response = client_for(alpha, user=alpha.member).get("/campaigns/")
    data = json.loads(re.search(r'<script id="spend-data" type="application/json">(.*?)</script>',
                                response.content.decode(), re.S).group(1))  # fmt: skip
    assert data["type"] == "bar" and len(data["labels"]) == 28 == len(data["datasets"][0]["data"])
    spend, conversions = data["datasets"]
    assert spend["type"] == "bar" and conversions == {**conversions, "type": "line", "axis": "right"}
    assert spend["data"][0] == 17.5 and spend["data"][-1] == 17.5 and sum(spend["data"]) == 35.0
    assert conversions["data"][0] == 2.0 and sum(conversions["data"]) == 3.0
    assert 'data-chart="spend-data"' in response.content.decode()


def test_a_range_change_swaps_the_body_alone(alpha, with_results):
    response = client_for(alpha, user=alpha.member).get(
        "/campaigns/?range=7d", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="dash-body"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and "Results by campaign" in html
    assert "12.50" in html and "30.00" not in html  # only the last day of the 28 is in the last 7


# --- gates -------------------------------------------------------------------------------------------


def on_plan(world, plan):
    plan_change_apply(tenant=world.tenant, plan=plan, initial=True)
    world.tenant = Tenant.objects.get(pk=world.tenant.pk)


def test_a_plan_without_ads_shows_the_owner_how_to_upgrade(alpha):
    on_plan(alpha, "seo")
    campaigns_on(alpha)  # even switched on by hand
    response = client_for(alpha, user=alpha.owner).get("/campaigns/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Ads campaigns is not in your plan" in html
    assert "<strong>SEO + Ads</strong>, $1000/month: Everything in SEO, plus Google Ads campaigns." in html
    assert '<a class="button" href="/billing/">Upgrade to SEO + Ads</a>' in html
    member = client_for(alpha, user=alpha.member).get("/campaigns/").content.decode()
    assert "Ask the owner" in member and 'href="/billing/"' not in member


def test_the_toggle_off_hides_the_area(alpha):
    on_plan(alpha, "seo-ads")
    TenantConfig.objects.filter(pk=alpha.tenant.pk).update(feature_campaigns=False)
    client = client_for(alpha, user=alpha.owner)
    assert client.get("/campaigns/").status_code == 404
    assert client.post("/campaigns/new/", {"name": "x", "channel": "radio"}).status_code == 404
    assert 'href="/campaigns/"' not in client.get("/dashboard/").content.decode()


@pytest.mark.parametrize("plan", ["seo-ads", "full"])
def test_a_plan_with_ads_and_the_toggle_on_opens_the_page(alpha, plan):
    on_plan(alpha, plan)  # a plan with campaigns switches the toggle on
    client = client_for(alpha, user=alpha.owner)
    assert client.get("/campaigns/").status_code == 200
    assert 'href="/campaigns/"' in client.get("/dashboard/").content.decode()


# --- campaigns by hand: owners add, edit and delete in place ------------------------------------------


def test_owner_adds_a_campaign_in_place(alpha):
    campaigns_on(alpha)
    client = client_for(alpha, user=alpha.owner)
    assert 'id="campaign-none"' in client.get("/campaigns/").content.decode()
    form = {"name": "Flyers", "channel": "print", "budget": "250", "start": "2026-04-01", "end": "2026-04-30"}
    response = client.post("/campaigns/new/", form, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "Added “Flyers”" in html
    with tenant_context(alpha.tenant):
        flyers = Campaign.objects.get(name="Flyers")
    assert (flyers.channel, flyers.budget, flyers.end) == ("print", Decimal("250"), date(2026, 4, 30))
    assert 'hx-swap-oob="beforeend:#campaign-rows"' in html and f'id="campaign-{flyers.pk}"' in html


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"end": "2026-04-31"}, "end", "Enter a valid date."),  # 31 April
        (
            {"start": "2026-05-02", "end": "2026-05-01"},
            "end",
            "The campaign can&#x27;t end before it starts.",
        ),
        ({"name": ""}, "name", "This field is required."),
        ({"budget": "-1"}, "budget", "greater than or equal to 0"),
        ({"channel": "google_ads"}, "channel", "Select a valid choice."),
    ],
)
def test_bad_input_is_a_400_with_the_error_by_its_field(alpha, changes, field, message):
    campaigns_on(alpha)
    form = {"name": "Flyers", "channel": "print", "start": "2026-04-01", "end": "2026-04-30"} | changes
    response = client_for(alpha, user=alpha.owner).post("/campaigns/new/", form, **HTMX)
    html = response.content.decode()
    assert response.status_code == 400 and message in html
    assert re.search(rf'<div>\s*<label for="id_{field}".*?{re.escape(message)}', html, re.S)
    with tenant_context(alpha.tenant):
        assert not Campaign.objects.exists()


def test_the_limits_of_a_campaigns_dates_one_day_is_fine(alpha):
    campaigns_on(alpha)
    form = {"name": "One day", "channel": "print", "start": "2026-04-30", "end": "2026-04-30"}
    assert client_for(alpha, user=alpha.owner).post("/campaigns/new/", form, **HTMX).status_code == 200


def test_without_javascript_the_forms_post_and_come_back(alpha):
    campaigns_on(alpha)
    client = client_for(alpha, user=alpha.owner)
    response = client.post("/campaigns/new/", {"name": "Flyers", "channel": "print"})
    assert response.status_code == 302 and response["Location"] == "/campaigns/"
    bad = client.post("/campaigns/new/", {"name": "", "channel": "print"})
    assert (
        bad.status_code == 400
        and "<html" in bad.content.decode()
        and "This field is required." in bad.content.decode()
    )
    flyers = radio(alpha, name="Posters")
    page = client.get(f"/campaigns/{flyers.pk}/edit/")
    assert page.status_code == 200 and f'name="c{flyers.pk}-name"' in page.content.decode()


def test_owner_edits_a_campaign_in_place(alpha):
    campaigns_on(alpha)
    spots = radio(alpha)
    client = client_for(alpha, user=alpha.owner)
    form_html = client.get(f"/campaigns/{spots.pk}/edit/", **HMTX_ROW(spots)).content.decode()
    assert (
        f'<tr id="campaign-{spots.pk}" class="editing">' in form_html and 'value="Radio spots"' in form_html
    )
    p = f"c{spots.pk}-"
    data = {
        p + "name": "Radio, summer",
        p + "channel": "radio",
        p + "budget": "1200",
        p + "start": "2026-06-01",
    }
    response = client.post(f"/campaigns/{spots.pk}/edit/", data, **HTMX)
    assert response.status_code == 200
    assert cell_texts(response.content.decode(), spots.pk)[0].startswith("Radio, summer")
    with tenant_context(alpha.tenant):
        spots.refresh_from_db()
    assert (spots.name, spots.budget, spots.start) == ("Radio, summer", Decimal("1200"), date(2026, 6, 1))
    bad = client.post(f"/campaigns/{spots.pk}/edit/", data | {p + "end": "2026-04-31"}, **HTMX)
    assert bad.status_code == 400 and "Enter a valid date." in bad.content.decode()
    assert f'<tr id="campaign-{spots.pk}" class="editing">' in bad.content.decode()
    assert client.get(f"/campaigns/{spots.pk}/", **HTMX).content.decode().count("Radio, summer") >= 1


def HMTX_ROW(campaign):
    return {**HTMX, "HTTP_HX_TARGET": f"campaign-{campaign.pk}"}


def test_owner_deletes_a_campaign_in_place(alpha):
    campaigns_on(alpha)
    spots = radio(alpha)
    client = client_for(alpha, user=alpha.owner)
    assert 'hx-confirm="Delete the campaign “Radio spots”?"' in client.get("/campaigns/").content.decode()
    response = client.post(f"/campaigns/{spots.pk}/delete/", **HTMX)
    assert response.status_code == 200 and response.content == b""
    with tenant_context(alpha.tenant):
        assert not Campaign.objects.exists()


def test_ads_campaigns_are_read_only(alpha, with_results):
    with tenant_context(alpha.tenant):
        snowbirds = Campaign.objects.get(ads_campaign_id="777")
    client = client_for(alpha, user=alpha.owner)
    html = client.get("/campaigns/").content.decode()
    assert f"/campaigns/{snowbirds.pk}/edit/" not in html and f"/campaigns/{with_results.pk}/edit/" in html
    p = f"c{snowbirds.pk}-"
    assert client.get(f"/campaigns/{snowbirds.pk}/edit/").status_code == 409
    edit = client.post(f"/campaigns/{snowbirds.pk}/edit/", {p + "name": "Mine now", p + "channel": "radio"})
    assert edit.status_code == 409 and "comes from Google Ads" in edit.content.decode()
    assert client.post(f"/campaigns/{snowbirds.pk}/delete/").status_code == 409
    with tenant_context(alpha.tenant):
        snowbirds.refresh_from_db()
    assert snowbirds.name == "Florida snowbirds"


def test_members_read_but_cannot_write(alpha, with_results):
    client = client_for(alpha, user=alpha.member)
    html = client.get("/campaigns/").content.decode()
    assert "Add a campaign" not in html and "/edit/" not in html
    pk = with_results.pk
    p = f"c{pk}-"
    assert client.post("/campaigns/new/", {"name": "Flyers", "channel": "print"}).status_code == 403
    assert client.get(f"/campaigns/{pk}/edit/").status_code == 403
    assert (
        client.post(f"/campaigns/{pk}/edit/", {p + "name": "Hacked", p + "channel": "radio"}).status_code
        == 403
    )
    assert client.post(f"/campaigns/{pk}/delete/").status_code == 403
    with tenant_context(alpha.tenant):
        assert list(Campaign.objects.filter(channel="radio").values_list("name", flat=True)) == [
            "Radio spots"
        ]
        assert not Campaign.objects.filter(name="Flyers").exists()


# --- tenants -------------------------------------------------------------------------------------------


def test_an_owner_of_both_tenants_cannot_reach_one_tenants_campaign_from_the_other(alpha, beta):
    campaigns_on(alpha)
    campaigns_on(beta)
    spots = radio(alpha)
    Membership.objects.create(user=beta.owner, tenant=alpha.tenant, role=Membership.Role.OWNER)
    with tenant_context(beta.tenant):
        assert not Campaign.objects.filter(pk=spots.pk).exists()
    client = client_for(beta, user=beta.owner)  # on beta's host
    p = f"c{spots.pk}-"
    assert "Radio spots" not in client.get("/campaigns/").content.decode()
    assert client.get(f"/campaigns/{spots.pk}/edit/").status_code == 404
    assert client.get(f"/campaigns/{spots.pk}/").status_code == 404
    assert (
        client.post(
            f"/campaigns/{spots.pk}/edit/", {p + "name": "Hacked", p + "channel": "radio"}
        ).status_code
        == 404
    )
    assert client.post(f"/campaigns/{spots.pk}/delete/").status_code == 404
    with tenant_context(alpha.tenant):  # still there, unchanged
        spots.refresh_from_db()
    assert spots.name == "Radio spots"
    # and on alpha's own host, the same person (an owner there too) can
    assert client_for(alpha, user=beta.owner).get(f"/campaigns/{spots.pk}/edit/").status_code == 200


@pytest.mark.parametrize("path", ["/campaigns/", "/campaigns/1/edit/", "/campaigns/1/"])
def test_signed_in_non_member_gets_404(alpha, beta, path):
    campaigns_on(alpha)
    radio(alpha)
    assert client_for(alpha, user=beta.owner).get(path).status_code == 404
    assert client_for(alpha).get(path).status_code == 302  # anonymous: sign in


# --- the services ----------------------------------------------------------------------------------------


def test_campaign_update_checks_each_field_and_refuses_ads_campaigns(alpha, with_results):
    with tenant_context(alpha.tenant):
        with pytest.raises(ValidationError) as bad:
            campaign_update(campaign=with_results, data={"end": "2026-04-31"})
        assert set(bad.value.message_dict) == {"end"}
        with pytest.raises(ValidationError) as backwards:
            campaign_update(campaign=with_results, data={"end": date(2026, 3, 31)})  # starts Apr 1
        assert backwards.value.message_dict == {"end": ["The campaign can't end before it starts."]}
        with pytest.raises(ValidationError) as not_editable:  # the Ads id belongs to the Ads sync
            campaign_update(campaign=with_results, data={"end": date(2026, 4, 1), "ads_campaign_id": "1"})
        assert set(not_editable.value.message_dict) == {"ads_campaign_id"}
        updated = campaign_update(campaign=with_results, data={"end": date(2026, 4, 1)})
        assert (updated.end, updated.ads_campaign_id) == (date(2026, 4, 1), "")
        snowbirds = Campaign.objects.get(ads_campaign_id="777")
        for write in (lambda: campaign_update(campaign=snowbirds, data={"name": "x"}),
                      lambda: campaign_delete(campaign=snowbirds)):  # fmt: skip
            with pytest.raises(Conflict) as refused:
                write()
            assert refused.value.code == "campaign_from_ads"
        campaign_delete(campaign=updated)
        assert list(Campaign.objects.values_list("ads_campaign_id", flat=True).order_by("ads_campaign_id")) == [
            "777", "888"]  # fmt: skip


# --- query budget ------------------------------------------------------------------------------------------


def test_the_page_costs_the_same_queries_for_a_week_or_two_years(alpha, django_assert_num_queries):
    campaigns_on(alpha)
    radio(alpha)
    end = last_complete(tenant=alpha.tenant, days=1).end
    client = client_for(alpha, user=alpha.owner)
    write_ads(alpha, [ads(end - timedelta(days=i), campaign_id=str(i % 3)) for i in range(7)])
    with django_assert_num_queries(QUERIES):
        assert client.get("/campaigns/?range=12m").status_code == 200
    write_ads(alpha, [ads(end - timedelta(days=i), campaign_id=str(i % 5)) for i in range(730)])
    with django_assert_num_queries(QUERIES):
        response = client.get("/campaigns/?range=12m")
    assert len(response.context["campaigns"]) == 6
    with django_assert_num_queries(QUERIES - 2):  # the daily chart is cached (its query and search_path)
        client.get("/campaigns/?range=12m")


QUERIES = 14


def test_a_campaign_deleted_meanwhile_is_a_404_not_a_crash(alpha):
    """Two owners (or a double click): the second request found the campaign, then waited for the
    first one's delete to commit; its write then finds nothing to change."""
    from django.http import Http404

    with tenant_context(alpha.tenant):
        seen = Campaign.objects.create(name="Spring radio", channel=Campaign.Channel.RADIO)
        Campaign.objects.filter(pk=seen.pk).delete()  # the other owner's delete
        with pytest.raises(Http404):
            campaign_update(campaign=seen, data={"name": "Renamed"})
        with pytest.raises(Http404):
            campaign_delete(campaign=seen)
        assert not Campaign.objects.exists()
