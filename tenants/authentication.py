"""DRF authentication by tenant API key: `Authorization: Api-Key <key>`."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from rest_framework import authentication, exceptions

from tenants.services.apikeys import apikey_authenticate

KEYWORD = "Api-Key"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """A valid key of this host's tenant authenticates as that key (`request.auth`), with no user.

    It comes first in DRF's list so that its challenge makes an unauthenticated call a 401 (with
    WWW-Authenticate), not a 403. A key of another tenant, a revoked and a made-up key all get the
    same 401.
    """

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: session authentication may still apply
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as: Authorization: Api-Key <key>.")
        tenant = getattr(request._request, "tenant", None)
        try:
            key = header[1].decode()
        except UnicodeError:
            key = ""
        api_key = apikey_authenticate(tenant=tenant, key=key) if tenant and not tenant.is_public else None
        if api_key is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked API key.")
        return AnonymousUser(), api_key

    def authenticate_header(self, request):
        return KEYWORD
