"""Who may see a tenant page or API: one rule, used by HTML views and DRF alike.

Anonymous → sign in. Signed in but not a member of this tenant → 404 (we don't confirm the
page exists). A member without the needed role → 403.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from rest_framework.exceptions import NotFound
from rest_framework.permissions import SAFE_METHODS, BasePermission

from inkwell.errors import NotAllowed
from tenants.models import ApiKey, Membership


def member_required(view=None, *, role: str | None = None):
    """Decorator for tenant HTML views; `role="owner"` restricts to owners."""

    def decorator(view_func):
        @wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None:
                raise Http404("No such page.")
            if role == Membership.Role.OWNER and not request.membership.is_owner:
                raise NotAllowed("Only the owner of this business can do that.")
            return view_func(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view else decorator


class IsTenantMember(BasePermission):
    """DRF: authenticated members only; other signed-in users get 404, never a hint."""

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if getattr(request._request, "membership", None) is None:
            raise NotFound()
        return True


class IsTenantOwnerForWrites(IsTenantMember):
    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        return request.method in SAFE_METHODS or request._request.membership.is_owner


class IsTenantMemberOrApiKey(IsTenantMember):
    """DRF: members (session) or this tenant's API keys (the authentication class only accepts a key
    of the host's own tenant)."""

    def has_permission(self, request, view):
        return isinstance(request.auth, ApiKey) or super().has_permission(request, view)


class IsTenantOwner(IsTenantMember):
    """DRF: owners signed in only. Members and API keys get 403; an API key acts for no person, so
    nothing an owner alone may do (publishing, changing the team) can be done with one."""

    message = "Only an owner of this business can do that."
    code = "not_allowed"

    def has_permission(self, request, view):
        if isinstance(request.auth, ApiKey):
            return False
        return super().has_permission(request, view) and request._request.membership.is_owner


class IsTenantMemberOrApiKeyOwnerWrites(BasePermission):
    """DRF: members and API keys read; owners signed in write."""

    message = IsTenantOwner.message
    code = IsTenantOwner.code

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return IsTenantMemberOrApiKey().has_permission(request, view)
        return IsTenantOwner().has_permission(request, view)


class IsTenantMemberOrApiKeyOwnerOrKeyWrites(BasePermission):
    """DRF: members and API keys read; owners signed in and API keys (made by an owner) write. For
    what the dashboard lets owners change and members only read (campaigns, the seasonal calendar):
    a member's session must not do through the API what the page refuses them."""

    message = IsTenantOwner.message
    code = IsTenantOwner.code

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS or isinstance(request.auth, ApiKey):
            return IsTenantMemberOrApiKey().has_permission(request, view)
        return IsTenantOwner().has_permission(request, view)
