"""The seasonal calendar: events, monthly search demand and when to run campaigns."""

from dashboard.rendering import render_dashboard
from marketing.seasons import seasonal_calendar
from tenants.permissions import member_required


@member_required
def calendar(request):
    return render_dashboard(request, "dashboard/calendar.html", seasonal_calendar(tenant=request.tenant))
