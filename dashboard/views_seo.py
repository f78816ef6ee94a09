"""The SEO page: search queries and pages over the chosen range against the period before."""

from dashboard.ranges import range_from_request
from dashboard.rendering import render_dashboard
from marketing.metrics import ORDERINGS, search_dimension_table
from tenants.permissions import member_required


@member_required
def seo(request):
    chosen = range_from_request(request)
    order = request.GET.get("order", "clicks")
    order = order if order in ORDERINGS else "clicks"
    _, queries = search_dimension_table(dimension="query", period=chosen.period, order=order, limit=25)
    _, pages = search_dimension_table(dimension="page", period=chosen.period, order=order, limit=25)
    context = {"range": chosen, "tables": [("Search queries", "query", queries), ("Pages", "page", pages)]}
    return render_dashboard(request, "dashboard/seo.html", context)
