"""Engine models: procedures as versioned data, cases and their role holders, audit trail, outbox,
business calendars, deadlines with their escalation points, alerts, comments and attachments.

Writers are the functions of engine.actions (and the sweeper); nothing else changes these rows.
"""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from engine.errors import ImmutableVersion


class OrderedJSONField(models.TextField):
    """JSON kept as text, so that the order of keys (states, transitions, fields) survives PostgreSQL
    (jsonb reorders keys). Reads give back plain dicts and lists."""

    def from_db_value(self, value, expression, connection):
        return None if value is None else json.loads(value)

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value)
        return value

    def get_prep_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, cls=DjangoJSONEncoder)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))


# --- procedures ------------------------------------------------------------------------------------
class Procedure(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self):
        return self.code

    def latest_published(self):
        return self.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class ProcedureVersion(ConcurrentTransitionMixin, models.Model):
    """One immutable version of a procedure. Only a draft can be edited; publishing freezes it."""

    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="versions", verbose_name=_("procedure")
    )
    number = models.PositiveIntegerField(_("number"))
    status = FSMField(
        _("status"), default=VersionStatus.DRAFT, choices=VersionStatus.choices, protected=True, max_length=16
    )
    source = models.TextField(_("YAML source"))
    definition = OrderedJSONField(_("definition"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    FROZEN_FIELDS = ("procedure_id", "number", "source", "definition")

    class Meta:
        ordering = ["procedure", "-number"]
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="engine_version_unique")]
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")

    def __str__(self):
        return f"{self.procedure_id and self.procedure.code} v{self.number} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values("status", *self.FROZEN_FIELDS).first()
            if stored and stored["status"] != VersionStatus.DRAFT:
                changed = [name for name in self.FROZEN_FIELDS if stored[name] != getattr(self, name)]
                if changed:
                    raise ImmutableVersion(
                        _("Version %(number)s is %(status)s: it can no longer be edited (%(fields)s).")
                        % {"number": self.number, "status": stored["status"], "fields": ", ".join(changed)}
                    )
        super().save(*args, **kwargs)

    @transition(field=status, source=VersionStatus.DRAFT, target=VersionStatus.PUBLISHED)
    def publish(self):
        self.published_at = timezone.now()

    @transition(field=status, source=VersionStatus.PUBLISHED, target=VersionStatus.RETIRED)
    def retire(self):
        self.retired_at = timezone.now()

    @property
    def code(self):
        return self.definition.get("procedure", "")


# --- cases -----------------------------------------------------------------------------------------
class Phase(models.TextChoices):
    OPEN = "open", _("open")
    WAITING = "waiting", _("waiting")
    CLOSED = "closed", _("closed")


SHARE_PERMISSION = "view_shared_case"
"""The codename of a one-off share: read access to one case for a person outside its scope (no role)."""


class Case(models.Model):
    procedure = models.ForeignKey(
        Procedure, on_delete=models.PROTECT, related_name="cases", verbose_name=_("procedure")
    )
    version = models.ForeignKey(
        ProcedureVersion, on_delete=models.PROTECT, related_name="cases", verbose_name=_("version")
    )
    state = models.CharField(_("state"), max_length=64, db_index=True)
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, db_index=True)
    revision = models.PositiveIntegerField(_("revision"), default=1)
    data = models.JSONField(_("data"), default=dict, blank=True)
    reference = models.CharField(_("reference"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [(SHARE_PERMISSION, _("View a case shared with them"))]

    def __str__(self):
        return self.reference or f"#{self.pk}"

    @property
    def definition(self):
        return self.version.definition

    def state_label(self, language="fr"):
        label = self.definition["states"].get(self.state, {}).get("label", {})
        return label.get(language) or label.get("en") or self.state


class RoleHolder(models.Model):
    """A party (principal key such as ``user:3``, ``unit:5#agent``) holding a procedure role on a case."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="role_holders", verbose_name=_("case")
    )
    role = models.CharField(_("role"), max_length=64)
    party = models.CharField(_("party"), max_length=128, db_index=True)
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "role", "party"], name="engine_roleholder_unique")
        ]
        indexes = [models.Index(fields=["party", "role"], name="engine_roleholder_party_role")]
        verbose_name = _("role holder")
        verbose_name_plural = _("role holders")

    def __str__(self):
        return f"{self.role}: {self.party}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("audit entries are append-only")

    def delete(self):
        raise TypeError("audit entries are append-only")


class AppendOnlyModel(models.Model):
    """A record that is written once: saving an existing row or deleting one raises TypeError."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are append-only")


class ActorAuditModel(AppendOnlyModel):
    """An append-only audit row that is not about a case: who did it (empty for the system), when, and
    what was changed (``data``). The directory's and the API's audit entries add their event and target."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty for the system (commands)."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "pk"]


class AuditEntry(AppendOnlyModel):
    """What happened to a case: append-only (no update, no delete; a case with entries cannot be deleted)."""

    # db_index=False: the (case, at) index serves lookups by case
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="audit_entries", verbose_name=_("case"), db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty for the system (sweeper, commands)."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    event = models.CharField(_("event"), max_length=64)
    from_state = models.CharField(_("from state"), max_length=64, blank=True)
    to_state = models.CharField(_("to state"), max_length=64, blank=True)
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["case", "at"], name="engine_audit_case_at")]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self):
        return f"{self.event} {self.from_state}->{self.to_state}"


class VersionEvent(AppendOnlyModel):
    """What happened to a procedure version (stored, published, retired), by whom: append-only."""

    version = models.ForeignKey(
        ProcedureVersion, on_delete=models.PROTECT, related_name="events", verbose_name=_("version")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        help_text=_("Empty for the system (commands)."),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    event = models.CharField(_("event"), max_length=20)
    from_status = models.CharField(_("from status"), max_length=20, blank=True)
    to_status = models.CharField(_("to status"), max_length=20)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("version event")
        verbose_name_plural = _("version events")

    def __str__(self):
        return f"{self.event} {self.from_status}->{self.to_status}"


class ProcedureUserObjectPermission(UserObjectPermissionBase):
    """Object permissions of a user on one procedure (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Procedure, on_delete=models.CASCADE)


class ProcedureGroupObjectPermission(GroupObjectPermissionBase):
    """Object permissions of a group on one procedure (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Procedure, on_delete=models.CASCADE)


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Object permissions of a user on one case (django-guardian, direct foreign key).

    Holds the one-off shares of a case (``view_shared_case``): read access for one person outside the
    case's scope, without any role on it. Written and removed only by engine.actions.do_share_case and
    do_unshare_case (audited); no group variant. ``granted_by`` is who shared it (None: the system, or
    a user since deleted): they may take it back in any state of the case (may_unshare_case).
    """

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("granted by"),
    )

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("case share")
        verbose_name_plural = _("case shares")


class OutboxEvent(models.Model):
    """An event for the outside (email, in-app, webhooks): written in the transaction, sent after commit."""

    kind = models.CharField(_("kind"), max_length=64)
    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_events",
        verbose_name=_("case"),
    )
    payload = models.JSONField(_("payload"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_to = models.JSONField(_("delivered to"), default=list, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    lock_token = models.UUIDField(_("lock token"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(fields=["id"], name="engine_outbox_pending", condition=Q(delivered_at__isnull=True)),
        ]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")

    def __str__(self):
        return f"{self.kind} #{self.pk}"


class Comment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments", verbose_name=_("case"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("body"))
    internal = models.BooleanField(_("internal"), default=False, help_text=_("Not shown to the requester."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self):
        return self.body[:50]


class Attachment(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    file = models.FileField(_("file"), upload_to="engine/attachments/%Y/%m/")
    name = models.CharField(_("name"), max_length=255)
    size_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    # Recognised from the content at upload (engine.attachments.check_file), sent with the download.
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.name


# --- time ------------------------------------------------------------------------------------------
def default_hours():
    return [["08:30", "12:00"], ["13:30", "17:00"]]


def default_weekdays():
    return [0, 1, 2, 3, 4]


class BusinessCalendar(models.Model):
    """Working days and hours, public holidays and extra closure days; deadlines are computed on it."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    weekdays = models.JSONField(
        _("working days"), default=default_weekdays, help_text=_("Day numbers, 0 = Monday ... 6 = Sunday.")
    )
    hours = models.JSONField(
        _("working hours"),
        default=default_hours,
        help_text=_('Intervals such as [["08:30", "12:00"], ["13:30", "17:00"]].'),
    )
    public_holidays = models.BooleanField(_("public holidays (metropolitan France) are closed"), default=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    def to_spec(self, closures=None):
        from engine.calendar import CalendarSpec

        if closures is None:
            closures = [day.date for day in self.closure_days.all()]
        return CalendarSpec(
            weekdays=frozenset(self.weekdays),
            hours=tuple(tuple(interval) for interval in self.hours),
            holidays="FR" if self.public_holidays else None,
            closures=frozenset(closures),
            tz=self.time_zone,
        )

    def clean(self):
        from django.core.exceptions import ValidationError

        try:
            self.to_spec(closures=[] if self.pk is None else None)
        except (ValueError, TypeError) as error:
            raise ValidationError(str(error)) from error


class ClosureDay(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closure_days", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    label = models.CharField(_("label"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="engine_closure_unique")]
        verbose_name = _("closure day")
        verbose_name_plural = _("closure days")

    def __str__(self):
        return f"{self.date} {self.label}"


class DeadlineState(models.TextChoices):
    RUNNING = "running", _("running")
    PAUSED = "paused", _("paused")
    MET = "met", _("met")
    BREACHED = "breached", _("breached")
    VOID = "void", _("void")


class Deadline(models.Model):
    """A clock on a case. Business time is counted on the calendar; it pauses in its pause states."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=64)
    state = models.CharField(
        _("state"), max_length=16, choices=DeadlineState.choices, default=DeadlineState.RUNNING
    )
    calendar_code = models.CharField(
        _("calendar"), max_length=64, default="default", help_text=_("Code of the business calendar.")
    )
    business = models.BooleanField(_("business time"), default=True)
    duration_seconds = models.PositiveBigIntegerField(_("duration (seconds)"))
    elapsed_seconds = models.PositiveBigIntegerField(
        _("elapsed before the current run (seconds)"), default=0, help_text=_("Counted until the last pause.")
    )
    remaining_seconds = models.BigIntegerField(_("remaining when paused (seconds)"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    resumed_at = models.DateTimeField(_("running since"), null=True, blank=True)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True, db_index=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    # Kept for the observation of service quality: the target that applied when the clock started
    # (a later recomputation or change of service levels does not rewrite it), and, once stopped, the
    # time counted on the clock and the time spent paused, both in the deadline's own time (business
    # seconds on its calendar for business deadlines).
    target_seconds = models.PositiveBigIntegerField(
        _("target at the start (seconds)"), null=True, blank=True, help_text=_("Never recomputed.")
    )
    taken_seconds = models.PositiveBigIntegerField(_("time taken (seconds)"), null=True, blank=True)
    waited_seconds = models.PositiveBigIntegerField(_("time paused (seconds)"), null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [
            models.Index(fields=["case", "state"], name="engine_deadline_case_state"),
            models.Index(
                fields=["due_at"],
                name="engine_deadline_running_due",
                condition=Q(state=DeadlineState.RUNNING),
            ),
        ]
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")

    def __str__(self):
        return f"{self.kind} ({self.state})"


class EscalationPoint(models.Model):
    """A point on a deadline's clock where actions run; claimed and fired exactly once by the sweeper.

    ``fire_at`` is empty while the deadline is paused, stopped or void, so only live points are in the
    partial index the sweeper reads.
    """

    deadline = models.ForeignKey(
        Deadline, on_delete=models.CASCADE, related_name="points", verbose_name=_("deadline")
    )
    # not indexed: points are found by due time or by deadline, never by case (fewer index writes)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="+", verbose_name=_("case"), db_index=False
    )
    index = models.PositiveSmallIntegerField(_("index in the definition"))
    offset_seconds = models.BigIntegerField(_("offset from the start (seconds)"))
    fire_at = models.DateTimeField(_("fires at"), null=True, blank=True)
    fired_at = models.DateTimeField(_("fired at"), null=True, blank=True)
    claim_token = models.UUIDField(_("claimed by"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["fire_at", "pk"]
        indexes = [
            models.Index(
                fields=["fire_at"],
                name="engine_point_due",
                condition=Q(fired_at__isnull=True, fire_at__isnull=False),
            ),
        ]
        verbose_name = _("escalation point")
        verbose_name_plural = _("escalation points")

    def __str__(self):
        return f"{self.deadline_id}#{self.index}"


# --- alerts ----------------------------------------------------------------------------------------
class AlertState(models.TextChoices):
    RAISED = "raised", _("raised")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")


class Alert(ConcurrentTransitionMixin, models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("case"))
    code = models.CharField(_("code"), max_length=64)
    state = FSMField(
        _("state"), default=AlertState.RAISED, choices=AlertState.choices, protected=True, max_length=16
    )
    to_role = models.CharField(_("to role"), max_length=64, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    reason = models.TextField(_("reason"), blank=True)
    answer_due_at = models.DateTimeField(_("answer due at"), null=True, blank=True, db_index=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=64, blank=True)
    note = models.TextField(_("note"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        ordering = ["raised_at", "pk"]
        indexes = [models.Index(fields=["case", "state"], name="engine_alert_case_state")]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self):
        return f"{self.code} ({self.state})"

    @transition(field=state, source=AlertState.RAISED, target=AlertState.ANSWERED)
    def mark_answered(self, user, answer, at):
        self.answer, self.answered_by, self.answered_at = answer, user, at

    @transition(field=state, source=[AlertState.RAISED, AlertState.ANSWERED], target=AlertState.CLOSED)
    def mark_closed(self, user, outcome, note, at):
        self.outcome, self.note, self.closed_by, self.closed_at = outcome, note, user, at
