"""Public-schema models: who the tenants are, who may sign in to them, and what they look like.

Everything a tenant owns as business data lives in its own schema (contracts, marketing, chat);
these tables hold only what has to be known before a schema is chosen.
"""

import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_tenants.models import DomainMixin, TenantMixin

from tenants.fields import EncryptedJSONField
from tenants.validators import (
    normalize_phone,
    validate_hex_colour,
    validate_logo_size,
    validate_no_control_characters,
    validate_paragraphs,
    validate_phone,
    validate_timezone,
)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **fields):
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)  # None gives an unusable password: tenant users sign in by link or code
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Global across tenants; what they may do in a tenant comes from Membership."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(
        max_length=20, blank=True, validators=[validate_phone], help_text="E.164, e.g. +14165550123"
    )
    is_staff = models.BooleanField(default=False, help_text="May use the staff back office (Django admin).")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Bumped by "sign out everywhere": every session carries a hash of it and dies when it changes.
    session_generation = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(
                fields=["phone"], condition=~models.Q(phone=""), name="user_phone_unique"
            ),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        if self.phone:
            self.phone = normalize_phone(self.phone)

    def get_session_auth_hash(self):
        return salted_hmac(
            "tenants.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            algorithm="sha256",
        ).hexdigest()

    def get_session_auth_fallback_hash(self):
        for fallback_secret in settings.SECRET_KEY_FALLBACKS:
            yield salted_hmac(
                "tenants.User.get_session_auth_hash",
                f"{self.password}:{self.session_generation}",
                secret=fallback_secret,
                algorithm="sha256",
            ).hexdigest()


class Plan(models.TextChoices):
    SEO = "seo", "SEO"
    SEO_ADS = "seo-ads", "SEO + Ads"
    FULL = "full", "Full"


class Tenant(TenantMixin):
    """A business. Its `schema_name` holds all of its own data."""

    class Status(models.TextChoices):
        # A fully migrated schema waiting to be claimed by provisioning; never reachable by any host.
        SPARE = "spare", "Spare (unclaimed)"
        PROVISIONING = "provisioning", "Provisioning"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        CANCELED = "canceled", "Canceled"

    name = models.CharField(max_length=120, validators=[validate_no_control_characters])
    subdomain = models.CharField(max_length=40, null=True, blank=True, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROVISIONING)
    plan = models.CharField(max_length=16, choices=Plan.choices, blank=True)
    # Idempotency key of whoever asked for this tenant (a Stripe checkout session, "cli:acme", ...).
    external_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # When a spare was last taken out of the pool (being built, migrated or claimed); see provisioning.
    reserved_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Schemas are created and dropped only by tenants.services.provisioning, never as a side effect of save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["spare", "provisioning", "active", "suspended", "canceled"]),
                name="tenant_status_valid",
            ),
        ]

    def __str__(self):
        return self.name or self.schema_name

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=["owner", "member"]), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.role} of {self.tenant}"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


def logo_upload_to(config: "TenantConfig", filename: str) -> str:
    # A fresh random name per upload: old URLs stop resolving and caches never serve a stale logo.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"tenants/{config.tenant_id}/logo-{secrets.token_hex(8)}.{extension}"


PROFILE_ABOUT_MAX = 1500
PROFILE_SERVICES_MAX = 1500
PROFILE_AREA_MAX = 500
PROFILE_HOURS_MAX = 500
PROFILE_FIELDS = ("about", "services", "service_area", "hours")

# The agent workspace's thresholds, in minutes, a tenant may set for itself (NULL: the deployment's
# setting of the same name in capitals). field → (setting, lowest, highest). The cross-field rules
# (a fresh heartbeat shorter than the stuck threshold, dead later than idle) are in TenantConfig.clean
# and, where both are set, in CheckConstraints.
AGENT_THRESHOLDS: dict[str, tuple[str, int, int]] = {
    "agent_stuck_minutes": ("AGENT_STUCK_MINUTES", 2, 1440),
    "agent_fresh_heartbeat_minutes": ("AGENT_FRESH_HEARTBEAT_MINUTES", 1, 60),
    "agent_idle_minutes": ("AGENT_IDLE_MINUTES", 1, 1440),
    "agent_dead_minutes": ("AGENT_DEAD_MINUTES", 2, 10080),
    "task_archive_minutes": ("TASK_ARCHIVE_MINUTES", 1, 10080),
    "task_claim_timeout_minutes": ("TASK_CLAIM_TIMEOUT_MINUTES", 5, 10080),
}


def _threshold(label: str, field: str, help_text: str) -> models.PositiveIntegerField:
    _setting, low, high = AGENT_THRESHOLDS[field]
    return models.PositiveIntegerField(
        label,
        null=True,
        blank=True,
        validators=[MinValueValidator(low), MaxValueValidator(high)],
        help_text=f"{help_text} From {low} to {high} minutes; empty: the default.",
    )


def _threshold_in_range(field: str) -> models.CheckConstraint:
    _setting, low, high = AGENT_THRESHOLDS[field]
    return models.CheckConstraint(
        condition=models.Q(**{f"{field}__isnull": True}) | models.Q(**{f"{field}__range": (low, high)}),
        name=f"config_{field}_range",
    )


class TenantConfig(models.Model):
    """A tenant's "DNA": brand, locale, contact details, which areas are on, and connector settings.

    Kept in the public schema beside the tenant because it is read before a schema is chosen
    (theme, feature gating, billing) and edited by staff from the public admin.
    """

    class Currency(models.TextChoices):
        CAD = "CAD", "Canadian dollar"
        USD = "USD", "US dollar"

    class Locale(models.TextChoices):
        EN_CA = "en-ca", "English (Canada)"
        FR_CA = "fr-ca", "French (Canada)"
        EN_US = "en-us", "English (United States)"

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, primary_key=True, related_name="config")
    # Every text field here reaches email subjects, SMS and pages: none may hold control characters.
    brand_name = models.CharField(max_length=120, validators=[validate_no_control_characters])
    logo = models.ImageField(
        upload_to=logo_upload_to, blank=True, validators=[validate_logo_size],
        width_field="logo_width", height_field="logo_height",
    )  # fmt: skip
    # Kept with the file so pages can reserve the logo's space before it loads (no layout shift).
    logo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    logo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    primary_color = models.CharField(max_length=7, default="#1d4ed8", validators=[validate_hex_colour])
    accent_color = models.CharField(max_length=7, default="#f59e0b", validators=[validate_hex_colour])
    timezone = models.CharField(
        max_length=64,
        default="America/Toronto",
        validators=[validate_timezone, validate_no_control_characters],
    )
    locale = models.CharField(max_length=5, choices=Locale.choices, default=Locale.EN_CA)
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.CAD)
    business_phone = models.CharField(
        max_length=20, blank=True, validators=[validate_phone, validate_no_control_characters]
    )
    business_email = models.EmailField(blank=True, validators=[validate_no_control_characters])
    # The business profile: what the chat assistant tells visitors about the business (its prompt).
    # Several lines each; sizes keep the assistant's prompt bounded (chat/llm/prompt.py).
    about = models.TextField(
        "About the business", blank=True, validators=[MaxLengthValidator(PROFILE_ABOUT_MAX), validate_paragraphs],
        help_text="What you do and what sets you apart, in a few sentences. The chat assistant tells visitors.",
    )  # fmt: skip
    services = models.TextField(
        blank=True, validators=[MaxLengthValidator(PROFILE_SERVICES_MAX), validate_paragraphs],
        help_text="The services you offer, one a line. No prices: the assistant offers a quote instead.",
    )  # fmt: skip
    service_area = models.TextField(
        blank=True, validators=[MaxLengthValidator(PROFILE_AREA_MAX), validate_paragraphs],
        help_text="Where you work: cities, regions, routes.",
    )  # fmt: skip
    hours = models.TextField(
        "Opening hours", blank=True, validators=[MaxLengthValidator(PROFILE_HOURS_MAX), validate_paragraphs],
        help_text="When you are open or reachable, e.g. “Mon–Fri 8–18, Sat 9–13”.",
    )  # fmt: skip

    feature_contracts = models.BooleanField("Contracts", default=True)
    feature_dashboard = models.BooleanField("Dashboard", default=True)
    feature_chat = models.BooleanField("Chat", default=True)
    feature_questionnaire = models.BooleanField("Daily questionnaire", default=True)
    feature_campaigns = models.BooleanField("Campaigns", default=False)
    feature_agents = models.BooleanField("Agent access", default=True)

    # The agent workspace's thresholds (AGENT_THRESHOLDS); read through chat.services.agents.agent_thresholds.
    agent_stuck_minutes = _threshold(
        "Stuck after (minutes)", "agent_stuck_minutes",
        "A busy agent with no heartbeat this long is flagged stuck (one alert).",
    )  # fmt: skip
    agent_fresh_heartbeat_minutes = _threshold(
        "A heartbeat is fresh for (minutes)", "agent_fresh_heartbeat_minutes",
        "A heartbeat younger than this always counts as work; shorter than “Stuck after”.",
    )  # fmt: skip
    agent_idle_minutes = _threshold(
        "Idle after (minutes)", "agent_idle_minutes",
        "A warm agent silent this long idles (or parks), as its warm policy says.",
    )  # fmt: skip
    agent_dead_minutes = _threshold(
        "Dead after (minutes)", "agent_dead_minutes",
        "An agent silent this long is declared dead and its claims are released; longer than “Idle after”.",
    )  # fmt: skip
    task_archive_minutes = _threshold(
        "Archive finished tasks after (minutes)", "task_archive_minutes",
        "A done or failed task leaves the task board this long after it finished.",
    )  # fmt: skip
    task_claim_timeout_minutes = _threshold(
        "Reopen a claim after (minutes)", "task_claim_timeout_minutes",
        "A claimed task whose agent sent no heartbeat this long goes back to open.",
    )  # fmt: skip

    # Non-secret connector settings, e.g. {"gsc": {"site_url": ...}, "ga4": {"property_id": ...}}.
    connectors = models.JSONField(default=dict, blank=True)
    # Connector credentials (OAuth refresh tokens, API keys), Fernet-encrypted at rest.
    connector_secrets = EncryptedJSONField(default=dict, blank=True, editable=False)

    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(currency__in=["CAD", "USD"]), name="config_currency_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(primary_color__regex=r"^#[0-9a-fA-F]{6}$"), name="config_primary_hex"
            ),
            models.CheckConstraint(
                condition=models.Q(accent_color__regex=r"^#[0-9a-fA-F]{6}$"), name="config_accent_hex"
            ),
            *(_threshold_in_range(field) for field in AGENT_THRESHOLDS),
            models.CheckConstraint(
                condition=models.Q(agent_fresh_heartbeat_minutes__isnull=True)
                | models.Q(agent_stuck_minutes__isnull=True)
                | models.Q(agent_fresh_heartbeat_minutes__lt=models.F("agent_stuck_minutes")),
                name="config_agent_fresh_below_stuck",
            ),
            models.CheckConstraint(
                condition=models.Q(agent_dead_minutes__isnull=True)
                | models.Q(agent_idle_minutes__isnull=True)
                | models.Q(agent_dead_minutes__gt=models.F("agent_idle_minutes")),
                name="config_agent_dead_after_idle",
            ),
        ]

    def __str__(self):
        return f"Configuration of {self.tenant}"

    def clean(self):
        if self.business_phone:
            self.business_phone = normalize_phone(self.business_phone)
        for field in PROFILE_FIELDS:  # browsers send a textarea's line breaks as CRLF
            setattr(
                self, field, (getattr(self, field) or "").replace("\r\n", "\n").replace("\r", "\n").strip()
            )
        self._clean_agent_thresholds()

    def agent_threshold(self, field: str) -> int:
        """The threshold in force: the tenant's own, or the deployment's setting."""
        value = getattr(self, field)
        return value if value is not None else getattr(settings, AGENT_THRESHOLDS[field][0])

    def _clean_agent_thresholds(self):
        """The pairs are compared as they will apply (an empty value takes the setting), so a tenant's
        own value can't contradict the default beside it. The error goes to the value the tenant set
        (the fresh heartbeat, or the dead threshold, when both are)."""
        errors = {}
        fresh, stuck = "agent_fresh_heartbeat_minutes", "agent_stuck_minutes"
        if self._threshold_set(fresh, stuck) and self.agent_threshold(fresh) >= self.agent_threshold(stuck):
            errors[fresh if getattr(self, fresh) is not None else stuck] = ValidationError(
                "A heartbeat must stop being fresh before its agent counts as stuck: “%(fresh)s” (%(a)d) "
                "must be shorter than “%(stuck)s” (%(b)d).",
                code="fresh_not_below_stuck",
                params=self._pair_params(fresh, stuck, "fresh", "stuck"),
            )
        idle, dead = "agent_idle_minutes", "agent_dead_minutes"
        if self._threshold_set(idle, dead) and self.agent_threshold(dead) <= self.agent_threshold(idle):
            errors[dead if getattr(self, dead) is not None else idle] = ValidationError(
                "A silent agent idles before it is declared dead: “%(dead)s” (%(b)d) must be longer than "
                "“%(idle)s” (%(a)d).",
                code="dead_not_after_idle",
                params=self._pair_params(idle, dead, "idle", "dead"),
            )
        if errors:
            raise ValidationError(errors)

    def _threshold_set(self, *fields: str) -> bool:
        """Whether the tenant set one of `fields` and each is empty or within its bounds (a value out of
        them has its own error; comparing it too would only add a second one)."""

        def fits(field):
            value, (_setting, low, high) = getattr(self, field), AGENT_THRESHOLDS[field]
            return value is None or (isinstance(value, int) and low <= value <= high)

        return any(getattr(self, field) is not None for field in fields) and all(map(fits, fields))

    def _pair_params(self, a: str, b: str, a_name: str, b_name: str) -> dict:
        return {
            a_name: self._meta.get_field(a).verbose_name,
            b_name: self._meta.get_field(b).verbose_name,
            "a": self.agent_threshold(a),
            "b": self.agent_threshold(b),
        }


class SignInToken(models.Model):
    """One sign-in attempt: a magic link, or an SMS code bound to a random challenge.

    Only SHA-256 digests are stored. For codes the 128-bit challenge lives in the browser's session
    and the 6-digit code in the SMS; both are needed, and five wrong codes burn the challenge.
    """

    class Kind(models.TextChoices):
        LINK = "link", "Magic link"
        CODE = "code", "SMS code"
        # Sent to a new owner (or an invited person): a link that lasts days, not minutes.
        WELCOME = "welcome", "Welcome or invitation link"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    # Null for a code challenge issued to an unknown number: it behaves the same and never succeeds.
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    digest = models.CharField(max_length=64, unique=True)
    # The delivery task that made this token (welcome links): a redelivered task finds it and sends nothing.
    delivery_id = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    code_digest = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    created_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user or 'unknown address'}"


class OutboundMessage(models.Model):
    """Every SMS and email the platform sends, whatever the backend: the outbox in development,
    the delivery log in production. An email waits "queued" until the worker has sent it or given up;
    until then it keeps everything needed to send it again."""

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "Email"
        TELEGRAM = "telegram", "Telegram"

    class Status(models.TextChoices):
        STORED = "stored", "Stored (outbox backend, not delivered)"
        QUEUED = "queued", "Queued (being delivered)"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        # what the provider's status callback reports, and refusals.
        DELIVERED = "delivered", "Delivered (confirmed by the provider)"
        UNDELIVERED = "undelivered", "Undelivered (the carrier gave up)"
        SKIPPED = "skipped", "Skipped (the number opted out)"

    channel = models.CharField(max_length=10, choices=Channel.choices)
    tenant = models.ForeignKey(Tenant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    to = models.CharField(max_length=254)
    from_email = models.TextField(blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    backend = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=Status.choices)
    provider_id = models.CharField(max_length=64, blank=True)
    # What the message was about, e.g. "contract:42" (in `tenant`'s schema), so a delivery report
    # arriving on the public host can reach that record's history.
    ref = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="The last delivery error.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        indexes = [
            models.Index(fields=["to", "-created"]),
            # The few emails still waiting, for the sweep that requeues lost deliveries.
            models.Index(fields=["created"], condition=models.Q(status="queued"), name="outbound_queued"),
            # Delivery reports name the message by the provider's id (Twilio's MessageSid).
            models.Index(
                fields=["provider_id"], condition=~models.Q(provider_id=""), name="outbound_provider_id"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} to {self.to}"


class TenantStatusEvent(models.Model):
    """Append-only history of a tenant's status changes: who, when, from what, to what, and why."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="status_events")
    from_status = models.CharField(max_length=16)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.tenant}: {self.from_status} → {self.to_status}"


class AuditEvent(models.Model):
    """Append-only record of a write: who did it, what it was, to which tenant, and what changed.

    Written by tenants.services.audit.audit_record in the same transaction as the write. `data`
    names what changed and never holds a secret value. `actor_label` keeps who it was (an email
    for a person; later an API key's or agent's name) even after the user row is gone.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["tenant", "-created"]), models.Index(fields=["action", "-created"])]

    def __str__(self):
        return f"{self.actor_label}: {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Audit events are append-only; they are never changed.")
        super().save(*args, **kwargs)


class SmsOptOut(models.Model):
    """A phone number that texted STOP: no tenant sends it SMS until it texts START (email continues).

    Public schema: the number opted out of the platform's sending number, whichever tenant texted it.
    """

    phone = models.CharField(max_length=20, unique=True)
    keyword = models.CharField(max_length=20, blank=True, help_text="What the person texted.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "SMS opt-out"

    def __str__(self):
        return self.phone


class SmsPrompt(models.Model):
    """A text we sent that expects a reply (the daily question): which tenant a reply from `phone`
    belongs to. Public schema, because an inbound SMS arrives on the public host knowing only the
    number; the newest open prompt for the number wins. `ref` names the thing in the tenant's schema
    ("question_ask:12"); `answered_at` closes the prompt.
    """

    phone = models.CharField(max_length=20)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    ref = models.CharField(max_length=60)
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["phone", "-sent_at"], name="smsprompt_phone_recent")]
        constraints = [models.UniqueConstraint(fields=["tenant", "ref"], name="smsprompt_unique_ref")]

    def __str__(self):
        return f"{self.ref} to {self.phone}"


class ApiKey(models.Model):
    """A tenant's key for API clients (`Authorization: Api-Key <key>`). Only the key's SHA-256 is kept.

    In the public schema, beside the tenant: a key is looked up before any tenant data is read, and
    staff revoke keys from the public admin. Lookups are always scoped to the request's tenant, so a
    key of one tenant is unknown on another's host (see tenants.services.apikeys).
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_keys")
    label = models.CharField(max_length=80, validators=[validate_no_control_characters])
    digest = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, shown in lists so an owner can tell keys apart; not secret.
    prefix = models.CharField(max_length=12, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.label} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AgentToken(models.Model):
    """An AI agent's bearer token for one tenant's MCP endpoint (`Authorization: Bearer <token>`).

    The token is the agent's identity: `name` is recorded on everything done with it (tool calls,
    approvals, memory writes, events). Like ApiKey it lives in the public schema beside its tenant,
    because it is looked up before any tenant data is read; lookups are always scoped to the host's
    tenant, so another tenant's token is as unknown as a made-up one. Only the SHA-256 is kept.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="agent_tokens")
    name = models.CharField(
        max_length=80, validators=[validate_no_control_characters], help_text="The agent's name."
    )
    scopes = models.JSONField(default=list, help_text="What the agent may do: read, publish, …")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=12, editable=False)
    rate_per_minute = models.PositiveIntegerField(
        default=120, help_text="Tool calls the agent may make in a minute before it is told to wait."
    )
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created", "-pk"]
        constraints = [
            # One live token per agent name and tenant: the name is the identity the owner reads.
            models.UniqueConstraint(
                Lower("name"),
                "tenant",
                condition=models.Q(revoked_at__isnull=True),
                name="agenttoken_live_name_unique",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class TelegramLink(models.Model):
    """A Telegram chat linked to one owner of one tenant: the bot answers it with that tenant's data.

    Public schema: an update arrives on the public host knowing only the chat. A chat belongs to one
    tenant at a time; linking it again (to another business) replaces the link.
    """

    chat_id = models.BigIntegerField(unique=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="telegram_links")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="telegram_links")
    chat_label = models.CharField(max_length=200, blank=True, help_text="The Telegram name, for owners.")
    notify_leads = models.BooleanField(default=True)
    notify_contracts = models.BooleanField(default=True)
    notify_handovers = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"chat {self.chat_id} → {self.tenant}"


class TelegramLinkCode(models.Model):
    """A one-time code in the deep link `t.me/<bot>?start=<code>`: 10 minutes, single use, hashed."""

    digest = models.CharField(max_length=64, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"Telegram link code for {self.user} on {self.tenant}"


class TelegramUpdate(models.Model):
    """Each update_id Telegram delivered, so a redelivered update is answered once."""

    update_id = models.BigIntegerField(primary_key=True)
    received = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"update {self.update_id}"
