"""The campaigns page: each campaign's Ads results over the chosen range against the period before,
a daily spend/conversions chart, and the campaigns entered by hand, which owners add, change and
delete in place (the ones from Google Ads are read-only here).

Writes answer htmx with the row (or the add form) they change, and a plain form post with a redirect
back to the page; bad input answers 400 with the form and its errors where it was.
"""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from dashboard.forms_seasons import CampaignForm
from dashboard.ranges import range_from_request
from dashboard.rendering import chart, form_apply, render_dashboard
from inkwell.errors import Conflict
from marketing.error_codes import MarketingErrorCode
from marketing.models import Campaign
from marketing.seasons import campaign_daily, campaign_list, campaign_row, campaign_totals
from marketing.services.campaigns import campaign_create, campaign_delete, campaign_update
from tenants.models import Membership
from tenants.permissions import member_required

TEMPLATE = "dashboard/campaigns.html"


def _page(request, status: int = 200, **extra):
    chosen = range_from_request(request)
    rows = campaign_list(period=chosen.period)
    daily = campaign_daily(period=chosen.period)
    context = {
        "range": chosen,
        "campaigns": rows,
        "totals": campaign_totals(rows),
        "spend_chart": chart(
            "bar",
            daily["days"],
            [
                {"label": "Spend", "data": daily["cost"], "type": "bar"},
                {"label": "Conversions", "data": daily["conversions"], "type": "line", "axis": "right"},
            ],
        ),
        "add_form": CampaignForm(),
        "editing": None,
        **extra,
    }
    return render_dashboard(request, TEMPLATE, context, status=status)


@member_required
def campaigns(request):
    return _page(request)


def _campaign_or_404(pk) -> Campaign:
    # Only this tenant's schema is searched, so another business's id is a 404 whoever asks.
    return get_object_or_404(Campaign, pk=pk)


def _manual_campaign_or_404(pk) -> Campaign:
    """A campaign entered by hand; one from Google Ads has no form here (the services refuse to
    write it too)."""
    campaign = _campaign_or_404(pk)
    if campaign.ads_campaign_id:
        raise Conflict(
            "This campaign comes from Google Ads: change it in Google Ads.",
            code=MarketingErrorCode.CAMPAIGN_FROM_ADS,
        )
    return campaign


def _row(request, campaign: Campaign):
    return render(request, f"{TEMPLATE}#campaign-row", {"c": campaign_row(campaign=campaign)})


@require_POST
@member_required(role=Membership.Role.OWNER)
def campaign_create_view(request):
    form = CampaignForm(request.POST)
    campaign = form_apply(form, lambda data: campaign_create(**data))
    if not request.htmx:
        return redirect("campaign_list") if campaign else _page(request, status=400, add_form=form)
    if campaign is None:
        return render(request, f"{TEMPLATE}#campaign-add", {"add_form": form}, status=400)
    context = {"add_form": CampaignForm(), "added": campaign_row(campaign=campaign)}
    return render(request, f"{TEMPLATE}#campaign-add", context)


@require_http_methods(["GET", "POST"])
@member_required(role=Membership.Role.OWNER)
def campaign_edit_view(request, pk):
    campaign = _manual_campaign_or_404(pk)
    if request.method == "GET":
        form = CampaignForm.for_campaign(campaign)
    else:
        form = CampaignForm.for_campaign(campaign, data=request.POST)
        updated = form_apply(form, lambda data: campaign_update(campaign=campaign, data=data))
        if updated is not None:
            return _row(request, updated) if request.htmx else redirect("campaign_list")
    status = 400 if form.errors else 200
    if not request.htmx:
        return _page(request, status=status, editing=campaign.pk, edit_form=form)
    context = {"c": campaign_row(campaign=campaign), "form": form}
    return render(request, f"{TEMPLATE}#campaign-edit", context, status=status)


@require_http_methods(["GET"])
@member_required(role=Membership.Role.OWNER)
def campaign_row_view(request, pk):
    """The row as shown (an edit cancelled)."""
    return _row(request, _manual_campaign_or_404(pk))


@require_POST
@member_required(role=Membership.Role.OWNER)
def campaign_delete_view(request, pk):
    campaign_delete(campaign=_campaign_or_404(pk))
    return HttpResponse("") if request.htmx else redirect("campaign_list")
