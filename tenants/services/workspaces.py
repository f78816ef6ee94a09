"""“Find my workspace”: a person who forgot their business's address gives their email on the public
host and gets one message listing the workspaces they belong to, each with a sign-in link.

As with sign-in, the web process only checks the rate limits and queues the delivery; the worker
looks the person up and sends (or, for an address with no workspaces, sends nothing), so the answer
and its timing say nothing about whether the address is known. The links are ordinary sign-in
links (single use, SIGNIN_LINK_TTL), mailed only to the address that owns them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from inkwell.queue import enqueue_on_commit
from inkwell.ratelimit import rate_limit_delivery
from tenants.messaging import render_text
from tenants.selectors import email_key, tenant_url, user_by_email, workspaces_of
from tenants.services.signin import signin_link_issue

TOO_MANY = "Too many requests. Wait a few minutes and try again."


def workspace_list_request(*, email: str, ip: str | None) -> None:
    """Rate-limit, then queue the email listing the workspaces of `email` (sent only if it has some)."""
    from tenants.tasks import workspace_list_deliver

    rate_limit_delivery(scope="workspaces", address=email_key(email), ip=ip, message=TOO_MANY)
    enqueue_on_commit(workspace_list_deliver, email=email, ip=ip)


def workspace_list_send(*, email: str, ip: str | None) -> bool:
    """Email an active person the live workspaces they belong to, each with a sign-in link.
    Returns whether an email was sent."""
    user = user_by_email(email)
    if user is None or not user.is_active:
        return False
    workspaces = [
        {
            "name": tenant.config.brand_name,
            "url": tenant_url(tenant),
            "signin_url": signin_link_issue(tenant=tenant, user=user, ip=ip),
        }
        for tenant in workspaces_of(user=user)
    ]
    if not workspaces:
        return False
    minutes = int(settings.SIGNIN_LINK_TTL.total_seconds() // 60)
    text = render_text("emails/workspaces.txt", {"user": user, "workspaces": workspaces, "minutes": minutes})
    subject, _, body = text.partition("\n")
    EmailMessage(subject.strip(), body.lstrip("\n"), to=[user.email]).send()
    return True
