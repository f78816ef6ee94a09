"""Business memory: what the business knows about itself (answers from questionnaires, FAQs, notes,
things said in chat or learned by the agent), one row per fact, in the tenant's own schema.

An entry has a `title` (an FAQ's question, the questionnaire question it answers; may be empty) and a
`text` (the answer, the fact). Search is PostgreSQL full-text over `search`, a weighted tsvector (the
title weight A, the text weight B, the tags weight C) in the 'english' configuration (tenants are English-speaking Canadian businesses for now; another
language needs its own configuration and a reindex). The vector is written by chat.services.memory in
the same transaction as the entry, so an entry is searchable as soon as it is committed. (A stored
generated column can't hold the tags: array_to_string is not immutable in PostgreSQL.)

With EMBEDDING_BACKEND set, `embedding` holds the entry's vector (EMBEDDING_DIMENSIONS, cosine HNSW
index), written by a Celery task after commit; until then the entry is found by text alone.

`digest` is the sha256 of the normalised title and text (lower case, punctuation dropped, whitespace collapsed):
unique per schema, so two writes of the same fact merge into one entry even when they race. A checkpoint's
digest also holds its source (chat.services.memory.text_digest), so no other entry ever merges with one.
"""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import MaxValueValidator
from django.db import models
from pgvector.django import HnswIndex, VectorField

from tenants.validators import validate_no_control_characters

MAX_TEXT = 4000
MAX_TAGS = 20
MAX_TAG = 40
MAX_TITLE = 300
SEARCH_CONFIG = "english"
# Fixed by the column type: OpenAI's text-embedding-3 models shorten to it on request, and the hash
# embedder produces it. Changing it is a migration plus a re-embedding of every entry.
EMBEDDING_DIMENSIONS = 256


class MemoryEntry(models.Model):
    class Source(models.TextChoices):
        QUESTIONNAIRE = "questionnaire", "Questionnaire"
        FAQ = "faq", "FAQ"
        NOTE = "note", "Note"
        CHAT = "chat", "Chat"
        AGENT = "agent", "Agent"
        CHECKPOINT = "checkpoint", "Agent checkpoint"

    title = models.CharField(max_length=MAX_TITLE, blank=True)
    text = models.TextField(max_length=MAX_TEXT)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.NOTE)
    tags = ArrayField(models.CharField(max_length=MAX_TAG), default=list, blank=True, size=MAX_TAGS)
    author_label = models.CharField(
        max_length=200, blank=True, help_text="Who wrote it (a person, a key, the agent)."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    search = SearchVectorField(null=True, editable=False)
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True, editable=False)
    # The model that made `embedding` ("" while there is none): a model change re-embeds.
    embedding_model = models.CharField(max_length=100, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated", "-pk"]
        indexes = [
            GinIndex(fields=["search"], name="chat_memory_search_gin"),
            HnswIndex(
                fields=["embedding"], name="chat_memory_embedding_hnsw", opclasses=["vector_cosine_ops"],
                m=16, ef_construction=64,
            ),
        ]  # fmt: skip

    def __str__(self):
        return self.text[:60]


# --- the chat widget's conversations ------------------------------------------------------------


class Conversation(models.Model):
    """One visitor's chat with the business, from the widget. The visitor is known only by the random
    id in their signed, host-only cookie; the conversation never leaves this tenant's schema."""

    class Awaiting(models.TextChoices):
        NOTHING = "", "Nothing"
        # The assistant could not answer and asked for a number: the next message may hold it.
        CONTACT = "contact", "The visitor's phone number or email"

    visitor = models.UUIDField(db_index=True)
    started = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)
    page = models.CharField(max_length=200, blank=True, help_text="Where the widget was opened.")
    lead = models.ForeignKey(
        "marketing.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    awaiting = models.CharField(max_length=10, choices=Awaiting.choices, blank=True, default="")
    # Handed over to the owner (by the assistant's `handover` tool or the retrieval flow) and not yet
    # answered by them: the inbox's "needs reply".
    needs_reply = models.BooleanField(default=False, db_index=True)
    handover_reason = models.CharField(max_length=300, blank=True)
    # When the owner was texted about the current hand-over (a redelivered task sends nothing).
    handover_notified_at = models.DateTimeField(null=True, blank=True)
    # The owner has read everything up to here (null: never opened); later messages are unread.
    owner_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]

    def __str__(self):
        return f"Conversation {self.pk}"

    @property
    def unread(self) -> bool:
        return self.owner_read_at is None or self.last_message_at > self.owner_read_at


class Message(models.Model):
    """One message in a conversation: the visitor's, the assistant's or the owner's. Text only: it is
    shown escaped everywhere (widget, inbox, admin, SMS)."""

    class Role(models.TextChoices):
        VISITOR = "visitor", "Visitor"
        ASSISTANT = "assistant", "Assistant"
        OWNER = "owner", "Owner"

    class Origin(models.TextChoices):
        VISITOR = "visitor", "Typed by the visitor"
        LLM = "llm", "The model"
        RETRIEVAL = "retrieval", "FAQ or memory match"
        FALLBACK = "fallback", "No answer: asked for a number"
        FLOW = "flow", "The assistant's own line (thanks, handover)"
        OWNER = "owner", "Typed by the owner"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField(max_length=10, choices=Role.choices)
    origin = models.CharField(max_length=10, choices=Origin.choices)
    text = models.TextField(max_length=4000)
    # The memory entries an answer was built from (FAQ and memory rows of this schema).
    sources = ArrayField(models.BigIntegerField(), default=list, blank=True)
    author_label = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created", "pk"]

    def __str__(self):
        return f"{self.get_role_display()}: {self.text[:40]}"


class LlmUsage(models.Model):
    """One call to the model provider: tokens and cost, per tenant (this schema), for the owner's
    bill and ours. Failed calls are recorded too (ok=False, with the error)."""

    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="usage"
    )
    backend = models.CharField(max_length=20)
    model = models.CharField(max_length=100)
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=6, default=0)
    ok = models.BooleanField(default=True)
    error = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.model}: {self.input_tokens} in, {self.output_tokens} out"


# --- the daily questionnaire ----------------------------------------------------------------------


class Question(models.Model):
    """One question of the tenant's bank (30 by default, seeded by a migration; the owner edits
    them). The question of a local day is the active one at position day-of-year mod count."""

    class Group(models.TextChoices):
        REVENUE = "revenue", "Revenue"
        OPERATIONS = "operations", "Operations"
        MARKETING = "marketing", "Marketing"
        STRATEGY = "strategy", "Strategy"

    text = models.CharField(max_length=300, validators=[validate_no_control_characters])
    group = models.CharField(max_length=20, choices=Group.choices)
    position = models.PositiveSmallIntegerField(unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.text


class QuestionnaireSettings(models.Model):
    """The tenant's questionnaire settings: one row (pk 1)."""

    phone = models.CharField(max_length=20, blank=True, help_text="The owner's mobile, in E.164.")
    send_hour = models.PositiveSmallIntegerField(default=17, validators=[MaxValueValidator(23)])
    enabled = models.BooleanField(default=True)
    # Set when a week of questions went unanswered: nothing is sent until the owner resumes.
    paused_at = models.DateTimeField(null=True, blank=True)
    # When the owner last resumed: a week unanswered counts only the questions asked after it.
    resumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "questionnaire settings"

    def __str__(self):
        return "Questionnaire settings"


class QuestionAsk(models.Model):
    """The question sent on one local day: at most one per day (the unique date is what makes a
    doubled or restarted beat harmless)."""

    question = models.ForeignKey(Question, null=True, on_delete=models.SET_NULL, related_name="asks")
    question_text = models.CharField(max_length=300)  # as sent, whatever the bank says later
    local_date = models.DateField(unique=True)
    phone = models.CharField(max_length=20)
    sent_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-local_date"]

    def __str__(self):
        return f"{self.local_date}: {self.question_text[:40]}"


class Answer(models.Model):
    """An owner's answer, by SMS reply or typed in the dashboard; also kept as a memory entry."""

    class Via(models.TextChoices):
        SMS = "sms", "SMS reply"
        DASHBOARD = "dashboard", "Dashboard"

    ask = models.ForeignKey(
        QuestionAsk, null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    question_text = models.CharField(max_length=300)
    text = models.TextField(max_length=MAX_TEXT)
    via = models.CharField(max_length=10, choices=Via.choices)
    author_label = models.CharField(max_length=200, blank=True)
    memory_entry = models.ForeignKey(
        MemoryEntry, null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.text[:60]


# ----- Agent access (MCP tools, approvals, the event stream) -----------------------------------


def _public_reference(model: str):
    """A reference from this tenant table to a public row (a user, an agent token), by id only: no
    constraint and no cascade, because Django would run a deletion's cascade in whatever schema is
    current, never in every tenant's. The name kept beside it says who it was."""
    return models.ForeignKey(
        model, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )


class AgentCall(models.Model):
    """One MCP tool call: which agent (by its token's identity), which tool, how it went.

    The owner reads these on the agent-access page. `args_digest` is the sha256 of the canonical
    JSON arguments: enough to tell two calls apart or match a call to a request, without keeping
    whatever the agent sent (page bodies, personal data) a second time.
    """

    class Outcome(models.TextChoices):
        OK = "ok", "OK"
        ERROR = "error", "Error"  # the tool ran and refused (a domain error with a code)
        DENIED = "denied", "Denied"  # missing scope, plan, or rate limit
        INVALID = "invalid", "Invalid arguments"

    token = _public_reference("tenants.AgentToken")
    agent_name = models.CharField(max_length=80)
    tool = models.CharField(max_length=60)
    args_digest = models.CharField(max_length=64)
    duration_ms = models.PositiveIntegerField()
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    error_code = models.CharField(max_length=60, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.agent_name}: {self.tool} ({self.outcome})"


class Approval(models.Model):
    """A change an agent proposed but may not make itself: it waits for an owner's yes or no.

    `payload` is the proposed change in the form its service takes; `preview` is what the owner
    reads (before/after text, a unified diff). Approving applies the change through the same
    service a person's edit uses. Pending proposals expire after APPROVAL_TTL_DAYS.
    """

    class Kind(models.TextChoices):
        PAGE_PUBLISH = "page.publish", "Publish a landing page"
        MEMORY_CHANGE = "memory.change", "Change an FAQ answer or note"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the owner"
        APPROVED = "approved", "Approved and applied"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        FAILED = "failed", "Approved, but could not be applied"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    token = _public_reference("tenants.AgentToken")
    agent_name = models.CharField(max_length=80)
    summary = models.CharField(max_length=300)
    target_ref = models.CharField(max_length=60, blank=True, help_text='What it changes, e.g. "page:12".')
    payload = models.JSONField(default=dict)
    preview = models.JSONField(default=dict)
    created = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = _public_reference("tenants.User")
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_via = models.CharField(max_length=12, blank=True, help_text="dashboard, telegram or admin")
    result = models.JSONField(default=dict, blank=True, help_text="What applying it did, or why not.")

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.agent_name} ({self.status})"


class DomainEvent(models.Model):
    """The transactional outbox of domain events (`lead.created`, `contract.signed`, …).

    Written in the same transaction as the change it describes, so an event exists exactly when
    its change does; a task then relays it to the tenant's Redis Stream and stamps `stream_id`.
    Until then (Redis down, worker down) it waits here and the periodic relay picks it up.
    """

    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    actor_label = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    relayed_at = models.DateTimeField(null=True, blank=True)
    stream_id = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(relayed_at__isnull=True), name="domainevent_unrelayed"
            )
        ]

    def __str__(self):
        return f"{self.type} #{self.pk}"


# ----- Agent workspace (issue 22): the agents themselves -------------------------------------------


class Agent(models.Model):
    """An AI agent working for this business: one per agent token identity (created with the token).

    Its `state` moves only through chat.services.agents (a transition table, select_for_update, an
    append-only AgentTransition per move). Heartbeats come from every authenticated MCP call and from
    the `heartbeat` tool.
    """

    class State(models.TextChoices):
        WARM = "warm", "Warm (connected, no task)"
        BUSY = "busy", "Busy (working on a task)"
        IDLE = "idle", "Idle"
        PARKED = "parked", "Parked"
        DEAD = "dead", "Dead"

    class WarmPolicy(models.TextChoices):
        ALWAYS_WARM = "always_warm", "Always warm"
        ON_DEMAND = "on_demand", "On demand"
        PARKED_WHEN_IDLE = "parked_when_idle", "Parked when idle"

    token = _public_reference("tenants.AgentToken")
    name = models.CharField(max_length=80, unique=True)
    label = models.CharField(max_length=120, blank=True)
    kind = models.CharField(max_length=40, blank=True, help_text='What it does, e.g. "seo", "content".')
    description = models.TextField(blank=True, max_length=2000)
    warm_policy = models.CharField(max_length=20, choices=WarmPolicy.choices, default=WarmPolicy.ON_DEMAND)
    state = models.CharField(max_length=8, choices=State.choices, default=State.IDLE)
    state_changed_at = models.DateTimeField(auto_now_add=True)
    last_heartbeat_at = models.DateTimeField(null=True, blank=True)
    last_heartbeat_note = models.CharField(max_length=300, blank=True)
    last_progress = models.PositiveSmallIntegerField(null=True, blank=True)
    last_tool = models.CharField(max_length=60, blank=True)
    stuck_flagged_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} ({self.state})"


# ----- Agent workspace (issue 22): the task board ---------------------------------------------------


class Task(models.Model):
    """A piece of work on the tenant's task board, for a lane (any agent of it) or one agent.

    `status` moves only through chat.services.tasks (a transition table under select_for_update, a
    TaskEvent per move). A claim is exclusive: `agent` is the claimant while claimed. Finished tasks
    (done, failed) leave the board when the teardown stamps `archived_at` after the grace period.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLAIMED = "claimed", "Claimed"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        RELEASED = "released", "Released (claimable again)"

    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True, max_length=5000)
    lane = models.CharField(max_length=40, blank=True, help_text='Which kind of agent it is for, e.g. "seo".')
    agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks",
        help_text="The claimant while claimed; otherwise whom it is meant for (blank: anyone in the lane).",
    )  # fmt: skip
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    claimed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    created_by_label = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["status", "archived_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="claimed")
                | models.Q(agent__isnull=False, claimed_at__isnull=False),
                name="task_claimed_has_claimant",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__isnull=True) | models.Q(progress__lte=100),
                name="task_progress_percent",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.status})"


class TaskEvent(models.Model):
    """Append-only: one row per status change or update of a task, with who did it and why."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=8, blank=True)
    to_status = models.CharField(max_length=8)
    actor_label = models.CharField(max_length=200)
    note = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.task_id}: {self.from_status or '-'} → {self.to_status}"


# ----- Agent checkpoints and the agent bus -----------------------------------------------------

CHECKPOINT_MAX_CHARS = 3000  # task + summary + open questions + recent messages, all together
CHECKPOINTS_KEPT = 5


class Checkpoint(models.Model):
    """Where an agent was: saved by the agent (checkpoint_save), restored after a compaction or a
    restart. Versioned per agent; only the latest CHECKPOINTS_KEPT are kept. Each has a MemoryEntry
    (source "checkpoint") so the owner finds it in the memory search; agents never see another
    agent's checkpoint unless it was saved as shared."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="checkpoints")
    version = models.PositiveIntegerField()
    task = models.CharField(max_length=300, blank=True)
    summary = models.TextField(max_length=CHECKPOINT_MAX_CHARS)
    open_questions = models.JSONField(default=list, blank=True)
    recent_messages = models.JSONField(default=list, blank=True)
    shared = models.BooleanField(default=False, help_text="Other agents of this business may restore it.")
    memory_entry = models.OneToOneField(
        MemoryEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="checkpoint"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agent", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "version"], name="chat_checkpoint_agent_version"),
        ]

    def __str__(self):
        return f"{self.agent.name} v{self.version}"


BUS_TEXT_MAX = 4000


class BusMessage(models.Model):
    """A message on the agent bus (the outbox): from an agent (always the calling token's) or the
    owner, to one agent or to all of them. Relayed to each recipient's Redis Stream by
    chat.services.bus.bus_relay; `relayed_at` is set once it is on every recipient's stream."""

    sender = models.ForeignKey(Agent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sender_label = models.CharField(max_length=200, help_text='"agent <name>", or the owner\'s email.')
    recipient = models.ForeignKey(
        Agent, on_delete=models.CASCADE, null=True, blank=True, related_name="inbox",
        help_text="None: a broadcast to every agent but the sender.",
    )  # fmt: skip
    # Who gets it, fixed when it is sent: a broadcast reaches the agents that were alive then (one
    # registered later doesn't get it; one that died before the relay still does).
    recipient_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    text = models.TextField(max_length=BUS_TEXT_MAX)
    reply_to = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    relayed_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.sender_label} → {self.recipient.name if self.recipient else 'all'}: {self.text[:40]}"


class AgentTransition(models.Model):
    """One move of an agent's state, appended by chat.services.agents and never changed afterwards."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=8, choices=Agent.State.choices)
    to_state = models.CharField(max_length=8, choices=Agent.State.choices)
    reason = models.CharField(max_length=200)
    actor_label = models.CharField(max_length=120)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created", "-pk"]

    def __str__(self):
        return f"{self.agent_id}: {self.from_state} → {self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The agent transition log is append-only.")
        super().save(*args, **kwargs)
