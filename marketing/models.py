"""Leads (people who asked for a quote, with an append-only history) and landing pages (Markdown,
with revisions), in the tenant's own schema."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import connection, models

# Id-only references to users, as the contract trail has them (see its docstring).
from contracts.models import Contract, _user_reference
from tenants.validators import validate_no_control_characters, validate_phone


class Lead(models.Model):
    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUOTED = "quoted", "Quoted"
        WON = "won", "Won"
        LOST = "lost", "Lost"

    class Source(models.TextChoices):
        FORM = "form", "Quote form"
        CHAT = "chat", "Chat"
        PHONE = "phone", "Phone"
        API = "api", "API"
        IMPORT = "import", "Import"

    # The same services a contract offers, so a won lead can pre-fill one.
    ServiceType = Contract.ServiceType

    name = models.CharField(max_length=150, validators=[validate_no_control_characters])
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(blank=True)
    message = models.TextField(blank=True, max_length=5000)
    service_type = models.CharField(max_length=16, choices=Contract.ServiceType.choices, blank=True)
    origin = models.CharField(max_length=200, blank=True, validators=[validate_no_control_characters])
    destination = models.CharField(max_length=200, blank=True, validators=[validate_no_control_characters])
    preferred_date = models.DateField(null=True, blank=True)
    vehicle = models.CharField(max_length=120, blank=True, validators=[validate_no_control_characters])
    source = models.CharField(max_length=6, choices=Source.choices, default=Source.FORM)
    utm_source = models.CharField(max_length=100, blank=True, validators=[validate_no_control_characters])
    utm_medium = models.CharField(max_length=100, blank=True, validators=[validate_no_control_characters])
    utm_campaign = models.CharField(max_length=100, blank=True, validators=[validate_no_control_characters])
    landing_page = models.CharField(max_length=500, blank=True, validators=[validate_no_control_characters])
    referrer = models.CharField(max_length=500, blank=True, validators=[validate_no_control_characters])
    consent = models.BooleanField(default=False, help_text="Agreed to be contacted about this request.")
    # The contract a won lead became (set by the conversion service; the contract outlives the lead).
    contract = models.ForeignKey(
        Contract, on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    # Set by the notification task: a redelivered task sees it and tells the owner nothing twice.
    owner_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["phone", "created"], name="lead_phone_created"),
            models.Index(fields=["email", "created"], name="lead_email_created"),
            models.Index(fields=["status", "created"], name="lead_status_created"),
        ]
        constraints = [
            # Someone we can't call or write back to is not a lead.
            models.CheckConstraint(condition=~models.Q(phone="", email=""), name="lead_has_phone_or_email"),
            models.CheckConstraint(
                condition=models.Q(status__in=["new", "contacted", "quoted", "won", "lost"]),
                name="lead_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(source__in=["form", "chat", "phone", "api", "import"]),
                name="lead_source_known",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"


class LeadEvent(models.Model):
    """One thing that happened to a lead: created, merged duplicate, status change, note. Never edited."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        DUPLICATE = "duplicate", "Duplicate merged"
        STATUS = "status", "Status changed"
        NOTIFIED = "notified", "Owner notified"
        CONVERTED = "converted", "Contract created"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    actor = _user_reference()
    actor_label = models.CharField(max_length=254, blank=True)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, blank=True)
    note = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self):
        return f"{self.kind} on lead {self.lead_id}"


MAX_SOCIAL_IMAGE_BYTES = 5 * 1024 * 1024
HOME_SLUG = "home"  # the page served at "/"


def social_image_upload_to(page: Page, filename: str) -> str:
    # Under the tenant's own media folder (the only one its host serves), with a fresh random name.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "png"
    return f"tenants/{connection.tenant.pk}/pages/{secrets.token_hex(8)}.{extension}"


def validate_social_image_size(file) -> None:
    if file and file.size > MAX_SOCIAL_IMAGE_BYTES:
        raise ValidationError("The social image must be 5 MB or smaller.", code="image_too_large")


class PageContent(models.Model):
    """What an owner writes on a landing page: the page's working copy and each revision of it."""

    title = models.CharField(max_length=200, validators=[validate_no_control_characters])
    body = models.TextField(
        blank=True,
        max_length=100_000,
        help_text="Markdown. A block starts with a line ```hero, ```quote, ```faq, ```testimonials or "
        "```call and ends with a line ```.",
    )
    seo_title = models.CharField(
        "SEO title", max_length=70, blank=True, validators=[validate_no_control_characters],
        help_text="Shown in search results; the title when empty. Up to 70 characters.",
    )  # fmt: skip
    seo_description = models.CharField(
        "SEO description", max_length=300, blank=True, validators=[validate_no_control_characters],
        help_text="The snippet under the title in search results (about 155 characters show).",
    )  # fmt: skip
    noindex = models.BooleanField(
        "Hide from search engines", default=False,
        help_text="Asks search engines to drop this page from their results.",
    )  # fmt: skip
    show_quote_form = models.BooleanField(
        default=True, help_text="Add the quote form after the text (unless the text places one itself)."
    )

    class Meta:
        abstract = True

    CONTENT_FIELDS = ("title", "body", "seo_title", "seo_description", "noindex", "show_quote_form")


class Page(PageContent):
    """A landing page. Its fields are the working copy the owner edits; visitors see the revision
    it was last published as (`published_revision`), so an edit goes live only when published."""

    slug = models.SlugField(
        max_length=80, unique=True, help_text='The page\'s address: "moving" is /moving/, "home" is /.'
    )
    social_image = models.ImageField(
        upload_to=social_image_upload_to, blank=True, validators=[validate_social_image_size],
        help_text="Shown when the page is shared (1200 × 630 works everywhere).",
    )  # fmt: skip
    published_revision = models.ForeignKey(
        "PageRevision", on_delete=models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    first_published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.title

    @property
    def path(self) -> str:
        return "/" if self.slug == HOME_SLUG else f"/{self.slug}/"

    @property
    def is_published(self) -> bool:
        return self.published_revision_id is not None

    @property
    def has_unpublished_changes(self) -> bool:
        """Whether the working copy differs from what visitors see (needs published_revision loaded)."""
        live = self.published_revision
        if live is None:
            return True
        return live.social_image != (self.social_image.name or "") or any(
            getattr(self, name) != getattr(live, name) for name in self.CONTENT_FIELDS
        )


class PageRevision(PageContent):
    """A saved state of a page: written on every save, publish and restore; never edited."""

    class Kind(models.TextChoices):
        SAVED = "saved", "Saved"
        PUBLISHED = "published", "Published"
        RESTORED = "restored", "Restored"

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    social_image = models.CharField(max_length=200, blank=True)  # the storage name at that time
    author = _user_reference()
    author_label = models.CharField(max_length=254, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["page", "number"], name="page_revision_number_unique")]

    def __str__(self):
        return f"{self.page_id} r{self.number} ({self.kind})"


# --- The marketing data flywheel (issue 17): daily facts, ingestion runs, scores, campaigns, seasons ---
# Facts are one row per day and natural key, written only by marketing/services/ingestion.py with
# bulk upserts. Each natural-key unique constraint starts with the day, so its index also serves the
# dashboard's date-range scans.


class SearchFact(models.Model):
    """Search Console, one day × query × page × device × country. `position_sum` is position ×
    impressions, so an average over any grouping is sum(position_sum) / sum(impressions)."""

    day = models.DateField()
    query = models.CharField(max_length=500)
    page = models.CharField(max_length=1000)
    device = models.CharField(max_length=8)
    country = models.CharField(max_length=3)
    clicks = models.PositiveIntegerField()
    impressions = models.PositiveIntegerField()
    position_sum = models.FloatField()
    final = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "query", "page", "device", "country"], name="search_fact_natural_key"
            ),
            models.CheckConstraint(
                condition=models.Q(clicks__lte=models.F("impressions")), name="search_clicks_le_impr"
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.query!r} {self.page}"


class TrafficFact(models.Model):
    """GA4, one day × default channel group × landing page. Rates are stored as sums over sessions
    (bounce_rate × sessions, duration × sessions) so any grouping averages them session-weighted."""

    day = models.DateField()
    channel = models.CharField(max_length=60)
    landing_page = models.CharField(max_length=1000)
    sessions = models.PositiveIntegerField()
    users = models.PositiveIntegerField()
    new_users = models.PositiveIntegerField()
    engaged_sessions = models.PositiveIntegerField()
    bounce_sum = models.FloatField()
    duration_sum = models.FloatField()
    key_events = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "channel", "landing_page"], name="traffic_fact_natural_key"
            ),
        ]

    def __str__(self):
        return f"{self.day} {self.channel} {self.landing_page}"


class AdsFact(models.Model):
    """Google Ads, one day × campaign."""

    day = models.DateField()
    campaign_id = models.CharField(max_length=40)
    campaign_name = models.CharField(max_length=255)
    impressions = models.PositiveIntegerField()
    clicks = models.PositiveIntegerField()
    cost = models.DecimalField(max_digits=16, decimal_places=6)
    conversions = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "campaign_id"], name="ads_fact_natural_key"),
        ]

    def __str__(self):
        return f"{self.day} {self.campaign_name}"


class IngestionRun(models.Model):
    """One fetch of one connector over one window of days, as the owner and staff see it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        RETRYING = "retrying", "Waiting to retry"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Nightly schedule"
        MANUAL = "manual", "By hand"
        DEMO = "demo", "Demo load"

    connector = models.CharField(max_length=20)
    window_start = models.DateField()
    window_end = models.DateField()
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created = models.DateTimeField(auto_now_add=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["connector", "-created"], name="ingestion_run_recent")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__lte=models.F("window_end")), name="ingestion_window_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "retrying", "succeeded", "failed"]),
                name="ingestion_status_known",
            ),
        ]

    def __str__(self):
        return f"{self.connector} {self.window_start}…{self.window_end} ({self.status})"


class Score(models.Model):
    """A 0–100 score of one area for one week (Monday of the last complete week), with its reasons."""

    class Area(models.TextChoices):
        SEARCH = "search", "Search"
        TRAFFIC = "traffic", "Traffic"
        LEADS = "leads", "Leads"
        ADS = "ads", "Ads"

    area = models.CharField(max_length=8, choices=Area.choices)
    week = models.DateField(help_text="First day of the scored week (tenant's local dates).")
    score = models.PositiveSmallIntegerField()
    reasons = models.JSONField(default=list)
    computed = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-week", "area"]
        constraints = [
            models.UniqueConstraint(fields=["week", "area"], name="score_week_area"),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="score_at_most_100"),
        ]

    def __str__(self):
        return f"{self.area} {self.week}: {self.score}"


class Campaign(models.Model):
    """A marketing campaign: one found in the Ads data (keyed by its Ads id), or one entered by hand."""

    class Channel(models.TextChoices):
        GOOGLE_ADS = "google_ads", "Google Ads"
        SOCIAL = "social", "Social"
        EMAIL = "email", "Email"
        PRINT = "print", "Print"
        RADIO = "radio", "Radio"
        OTHER = "other", "Other"

    name = models.CharField(max_length=255, validators=[validate_no_control_characters])
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.OTHER)
    ads_campaign_id = models.CharField(max_length=40, blank=True)
    budget = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["ads_campaign_id"],
                condition=~models.Q(ads_campaign_id=""),
                name="campaign_ads_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(start__isnull=True)
                | models.Q(end__isnull=True)
                | models.Q(start__lte=models.F("end")),
                name="campaign_dates_ordered",
            ),
        ]

    def __str__(self):
        return self.name


class SeasonalEvent(models.Model):
    """A recurring season or date in the tenant's year (spring moving season, snowbirds going south),
    given as month/day bounds that repeat every year; an end before the start wraps over New Year."""

    name = models.CharField(max_length=120, validators=[validate_no_control_characters])
    start_month = models.PositiveSmallIntegerField()
    start_day = models.PositiveSmallIntegerField()
    end_month = models.PositiveSmallIntegerField()
    end_day = models.PositiveSmallIntegerField()
    notes = models.TextField(blank=True, max_length=2000)

    class Meta:
        ordering = ["start_month", "start_day", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="seasonal_event_name_unique"),
            models.CheckConstraint(
                condition=models.Q(
                    start_month__gte=1, start_month__lte=12, end_month__gte=1, end_month__lte=12
                ),
                name="seasonal_event_months",
            ),
            models.CheckConstraint(
                condition=models.Q(start_day__gte=1, start_day__lte=31, end_day__gte=1, end_day__lte=31),
                name="seasonal_event_days",
            ),
        ]

    def __str__(self):
        return self.name
