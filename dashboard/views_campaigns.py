"""The campaigns page: each campaign's Ads results over the chosen range."""

from dashboard.ranges import range_from_request
from dashboard.rendering import render_dashboard
from marketing.seasons import campaign_list
from tenants.permissions import member_required


@member_required
def campaigns(request):
    chosen = range_from_request(request)
    context = {"range": chosen, "campaigns": campaign_list(period=chosen.period)}
    return render_dashboard(request, "dashboard/campaigns.html", context)
