"""Pages of the public host."""

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.http import require_http_methods

from inkwell.errors import error_body
from inkwell.ratelimit import client_address
from tenants.forms import EmailForm
from tenants.services.workspaces import workspace_list_request


def home(request):
    return render(request, "public/home.html")


@require_http_methods(["GET", "POST"])
def workspace_find(request):
    """ "Find my workspace": the same answer whether or not the address has workspaces."""
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace_list_request(email=form.cleaned_data["email"], ip=client_address(request))
        return render(request, "public/workspace_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "public/workspace_find.html", {"form": form}, status=400 if form.errors else 200)


def not_found(request, exception=None):
    if request.path_info.startswith("/api/"):  # API clients get the API's error shape, not a page
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return render(request, "404.html", status=404)


def favicon(request):
    """Browsers ask every host for /favicon.ico when a page links no icon (the admin, JSON)."""
    return HttpResponsePermanentRedirect(static("inkwell/favicon.svg"))
