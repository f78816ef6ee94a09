"""Pages of the public host."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render

from inkwell.errors import error_body
from tenants.models import Plan


def home(request):
    return render(request, "public/home.html")


def pricing(request):
    return render(request, "public/pricing.html", {"plans": Plan.choices, "domain": settings.INKWELL_DOMAIN})


def not_found(request, exception=None):
    if request.path_info.startswith("/api/"):  # API clients get the API's error shape, not a page
        return JsonResponse(error_body("not_found", "Not found."), status=404)
    return render(request, "404.html", status=404)
