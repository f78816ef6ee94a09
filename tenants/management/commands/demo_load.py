"""Load the demo tenant and a staff account. Safe to run again: nothing is duplicated or reset."""

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django_tenants.utils import tenant_context

from chat.agents_demo import AGENT, agents_demo_load
from chat.demo import chat_demo_load
from chat.faq_demo import faq_demo_load
from chat.llm.demo import profile_demo_load
from chat.questionnaire_demo import questionnaire_demo_load
from contracts.demo import contracts_demo_load
from inkwell import embedded
from marketing.demo import flywheel_demo_load, leads_demo_load
from marketing.demo_pages import pages_demo_load
from tenants.models import User
from tenants.selectors import tenant_url
from tenants.services.config import tenant_config_update
from tenants.services.provisioning import tenant_provision
from tenants.services.signin import signin_link_issue

DEMO_KEY = "demo:scilla"
STAFF_EMAIL = "staff@inkwell.localhost"


class Command(BaseCommand):
    help = "Create (or find) the demo tenant Scilla Transport and a staff account for the admin."

    def handle(self, *args, **opts):
        result = tenant_provision(
            name="Scilla Transport",
            subdomain="scilla",
            owner_email="owner@scilla-transport.example",
            owner_phone="+14165550142",
            owner_name="Dana Scilla",
            plan="full",
            external_key=DEMO_KEY,
            send_welcome=False,
        )
        if result.created:
            tenant_config_update(
                config=result.tenant.config,
                data={
                    "primary_color": "#0f4c81",
                    "accent_color": "#f2a900",
                    "timezone": "America/Toronto",
                    "locale": "en-ca",
                    "currency": "CAD",
                    "business_phone": "+14165550100",
                    "business_email": "dispatch@scilla-transport.example",
                    "feature_campaigns": True,
                },
                actor=None,
            )
        profile_demo_load(config=result.tenant.config)  # what the chat assistant says about the business
        with tenant_context(result.tenant):  # demo contracts at every stage
            contracts_made = contracts_demo_load(owner=result.owner)
        with tenant_context(result.tenant):  # leads: quote requests at each stage
            leads_made = leads_demo_load(owner=result.owner)
        with tenant_context(result.tenant):  # the website: home, vehicle shipping, Europe, moving
            pages_made = pages_demo_load(owner=result.owner)
        with tenant_context(result.tenant):  # two years of search, traffic and Ads data
            facts_made = flywheel_demo_load(tenant=result.tenant)
        with tenant_context(result.tenant):  # three weeks of answered daily questions (also in memory)
            asks_made = questionnaire_demo_load(owner=result.owner)
        with tenant_context(result.tenant):  # the FAQ the chat assistant answers from
            faq_made = faq_demo_load()
        with tenant_context(result.tenant):  # chat conversations (after the leads: two make leads)
            chats_made = chat_demo_load(owner=result.owner)
        with tenant_context(result.tenant):  # an SEO agent: its calls, a draft waiting for approval, events
            agent_calls_made = agents_demo_load(tenant=result.tenant, owner=result.owner)
        password = self._staff_password()
        link = signin_link_issue(tenant=result.tenant, user=result.owner)
        self.stdout.write(f"Demo tenant: {result.tenant.name} at {tenant_url(result.tenant)}")
        self.stdout.write(f"  owner {result.owner.email} — one-time sign-in link (15 min): {link}")
        self.stdout.write(f"  or sign in by SMS code with {result.owner.phone} (codes print in this console)")
        if contracts_made:
            self.stdout.write(
                f"  {contracts_made} demo contracts added at {tenant_url(result.tenant, '/contracts/')}"
            )
        if leads_made:
            self.stdout.write(f"  {leads_made} demo leads added at {tenant_url(result.tenant, '/leads/')}")
        if pages_made:
            self.stdout.write(f"  {pages_made} website pages published at {tenant_url(result.tenant)}")
        if faq_made:
            self.stdout.write(
                f"  {faq_made} FAQ entries added at {tenant_url(result.tenant, '/dashboard/memory/')}"
            )
        if chats_made:
            self.stdout.write(
                f"  {chats_made} demo chat conversations added at {tenant_url(result.tenant, '/chat/inbox/')}"
            )
        if facts_made:
            self.stdout.write(
                f"  {facts_made} days of demo search, traffic and Ads data queued for the worker"
            )
        if asks_made:
            self.stdout.write(
                f"  {asks_made} answered daily questions at {tenant_url(result.tenant, '/questionnaire/')}"
            )
        if agent_calls_made:
            self.stdout.write(
                f"  an agent ({AGENT}) with {agent_calls_made} tool calls and a page waiting for approval "
                f"at {tenant_url(result.tenant, '/agents/')}"
            )
        self.stdout.write(f"Staff admin: {STAFF_EMAIL} / {password}")
        if settings.STAFF_2FA == "required":
            self.stdout.write(f"  with an authenticator code: manage.py staff_totp_enrol {STAFF_EMAIL}")

    @transaction.atomic
    def _staff_password(self) -> str:
        """The staff password lives in .inkwell/ so each run can print it; it's made once."""
        path = embedded.STATE_DIR / "staff_password"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(12))
            path.chmod(0o600)
        password = path.read_text().strip()
        staff = User.objects.filter(email=STAFF_EMAIL).first()
        if staff is None:
            User.objects.create_superuser(STAFF_EMAIL, password, full_name="Inkwell staff")
        elif not staff.check_password(password):
            staff.set_password(password)
            staff.save(update_fields=["password"])
        return password
