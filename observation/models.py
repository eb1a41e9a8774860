"""Observation of service quality: fines recorded on requests, monthly backlog snapshots, audit."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.models import ActorAuditModel


class FineKind(models.TextChoices):
    FLY_TIPPING = "fly_tipping", _("Fly-tipping")
    LITTERING = "littering", _("Littering on the public highway")
    DOG_FOULING = "dog_fouling", _("Dog fouling")
    FLY_POSTING = "fly_posting", _("Fly-posting")
    OTHER = "other", _("Other incivility")


class Fine(models.Model):
    """A fine issued by the commune's police after a request (work stream 6, with the CISPD).

    No personal data of the offender: only the date, the kind and, optionally, the amount."""

    request = models.ForeignKey(
        "procedures.InterventionRequest",
        on_delete=models.PROTECT,
        related_name="fines",
        verbose_name=_("intervention request"),
    )
    issued_on = models.DateField(_("issued on"))
    kind = models.CharField(_("kind"), max_length=20, choices=FineKind.choices)
    amount_eur = models.DecimalField(_("amount (EUR)"), max_digits=9, decimal_places=2, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        ordering = ["-issued_on", "-pk"]
        verbose_name = _("fine")
        verbose_name_plural = _("fines")

    def __str__(self):
        return f"{self.get_kind_display()} {self.issued_on}"


class SnapshotMonth(models.Model):
    """One row per month whose backlog was taken: inserting it claims the month (unique), so two
    workers never take the same month twice."""

    month = models.DateField(_("month"), unique=True, help_text=_("First day of the month."))
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    rows = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        ordering = ["month"]
        verbose_name = _("backlog snapshot")
        verbose_name_plural = _("backlog snapshots")

    def __str__(self):
        return f"{self.month:%Y-%m}"


class BacklogSnapshot(models.Model):
    """The requests still open at the end of a month, counted by slice (kept, so curves are exact
    even after the requests' states changed)."""

    month = models.DateField(_("month"), help_text=_("First day of the month; counted at its end."))
    commune = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    in_qpv = models.BooleanField(_("in a QPV"))
    category = models.ForeignKey(
        "procedures.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    handler_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handler organisation"),
    )
    handler_unit = models.ForeignKey(
        "directory.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handler unit"),
    )
    open_count = models.PositiveIntegerField(_("open requests"))
    overdue_count = models.PositiveIntegerField(_("of which past their resolve deadline"))

    class Meta:
        ordering = ["month", "pk"]
        indexes = [models.Index(fields=["commune", "month"], name="obs_backlog_commune_month")]
        verbose_name = _("backlog at the end of a month")
        verbose_name_plural = _("backlog at the end of each month")

    def __str__(self):
        return f"{self.month:%Y-%m} {self.open_count}"


class ObservationAuditEntry(ActorAuditModel):
    """A change made in the observation app (a fine recorded, a snapshot taken): append-only."""

    event = models.CharField(_("event"), max_length=64)
    target = models.CharField(_("target"), max_length=200)

    class Meta(ActorAuditModel.Meta):
        verbose_name = _("observation audit entry")
        verbose_name_plural = _("observation audit entries")

    def __str__(self):
        return f"{self.event} {self.target}"


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class AnnualReview(models.Model):
    """The yearly review (bilan annuel) of the GUP actions, for one commune or (commune empty) for the
    community. Its figures and charts are stored when generated; once published it never changes (a
    correction is a new version with its reason)."""

    year = models.PositiveSmallIntegerField(_("year"))
    commune = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
        help_text=_("Empty: the whole community."),
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    state = models.CharField(
        _("state"), max_length=10, choices=ReviewState.choices, default=ReviewState.DRAFT
    )
    introduction = models.TextField(_("introduction"), blank=True)
    highlights = models.TextField(_("highlights"), blank=True)
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    charts = models.JSONField(_("charts (SVG)"), default=dict, blank=True)
    generated_at = models.DateTimeField(_("figures computed at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["-year", "commune__name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "commune", "version"],
                condition=models.Q(commune__isnull=False),
                name="obs_review_commune_version",
            ),
            models.UniqueConstraint(
                fields=["year", "version"],
                condition=models.Q(commune__isnull=True),
                name="obs_review_cu_version",
            ),
        ]
        verbose_name = _("annual review")
        verbose_name_plural = _("annual reviews")

    def __str__(self):
        return f"{self.year} {self.commune or '—'} v{self.version}"

    @property
    def is_published(self):
        return self.state == ReviewState.PUBLISHED


class ReviewRun(models.Model):
    """The generation of every review of a year (the community's and each commune's) by the worker, with
    its progress. One running run per year: asking again gives the running one."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    year = models.PositiveSmallIntegerField(_("year"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("reviews to generate"), default=0)
    done = models.PositiveIntegerField(_("reviews generated"), default=0)
    error = models.TextField(_("error"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["year"], condition=models.Q(state__in=["queued", "running"]), name="obs_one_live_run"
            ),
        ]
        verbose_name = _("generation of the annual reviews")
        verbose_name_plural = _("generations of the annual reviews")

    def __str__(self):
        return f"{self.year} {self.state} {self.done}/{self.total}"


# --- monthly aggregates ------------------------------------------------------------------------------
class AggregateCell(models.Model):
    """The slice a row of the monthly aggregates counts: the requests FILED in ``month`` (local time) in
    one commune, in or outside a QPV, of one category, handled by one unit of one organisation, routed
    by one version of a sub-sector procedure (or none)."""

    month = models.DateField(_("month"), help_text=_("First day of the month the requests were filed in."))
    commune = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    in_qpv = models.BooleanField(_("in a QPV"))
    category = models.ForeignKey(
        "procedures.Category", on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    category_group = models.ForeignKey(
        "procedures.CategoryGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("group"),
    )
    handler_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handler organisation"),
    )
    handler_unit = models.ForeignKey(
        "directory.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("handler unit"),
    )
    sector_version = models.ForeignKey(
        "procedures.SectorVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sub-sector procedure version"),
    )

    class Meta:
        abstract = True


def _count(label):
    return models.PositiveIntegerField(label, default=0)


class MonthlyFigures(AggregateCell):
    """The additive figures of one cell (observation.monthly keeps them): counts of requests, of their
    alerts and fines, of their measured deadlines. Rates are worked out when read."""

    filed = _count(_("filed"))
    done = _count(_("done"))
    closed = _count(_("closed"))
    rejected = _count(_("rejected"))
    merged = _count(_("merged as duplicates"))
    redirected = _count(_("redirected"))
    reopened = _count(_("reopened"))
    urgent = _count(_("urgent"))
    unjustified_urgent = _count(_("unjustified urgencies"))
    with_fine = _count(_("with a fine"))
    alerts_raised = _count(_("alerts raised"))
    urgency_checks = _count(_("urgency checks"))
    upheld = _count(_("urgency checks upheld"))
    dismissed = _count(_("urgency checks dismissed"))
    undecided = _count(_("urgency checks undecided"))
    deadline_alerts = _count(_("other alerts"))
    fines = _count(_("fines"))
    fines_amount_eur = models.DecimalField(
        _("fines amount (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["month", "pk"]
        indexes = [
            models.Index(fields=["month", "commune"], name="obs_monthly_month_commune"),
            models.Index(fields=["commune", "month"], name="obs_monthly_commune_month"),
        ]
        verbose_name = _("monthly figures")
        verbose_name_plural = _("monthly figures")

    def __str__(self):
        return f"{self.month:%Y-%m} {self.filed}"


class MonthlyDelays(AggregateCell):
    """How many deadlines of one kind of one cell's requests were measured with this business time
    taken against this target, and how many of them (and how long) waited: the exact distribution the
    medians and 90th percentiles are read from."""

    kind = models.CharField(_("kind"), max_length=32)
    taken_seconds = models.PositiveBigIntegerField(_("time taken (seconds)"))
    target_seconds = models.PositiveBigIntegerField(_("target at the start (seconds)"))
    count = models.PositiveIntegerField(_("deadlines"))
    waited = models.PositiveIntegerField(_("of which paused"), default=0)
    waited_seconds = models.PositiveBigIntegerField(_("time paused (seconds)"), default=0)

    class Meta:
        ordering = ["month", "pk"]
        indexes = [
            models.Index(fields=["month", "kind", "commune"], name="obs_delays_month_kind"),
            models.Index(fields=["commune", "month", "kind"], name="obs_delays_commune_month"),
        ]
        verbose_name = _("monthly delays")
        verbose_name_plural = _("monthly delays")

    def __str__(self):
        return f"{self.month:%Y-%m} {self.kind} {self.taken_seconds}s x{self.count}"


class AggregatedMonth(models.Model):
    """A month whose aggregates are in MonthlyFigures and MonthlyDelays, and when they were computed."""

    month = models.DateField(_("month"), unique=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), default=timezone.now)

    class Meta:
        ordering = ["month"]
        verbose_name = _("aggregated month")
        verbose_name_plural = _("aggregated months")

    def __str__(self):
        return f"{self.month:%Y-%m}"


class AggregateWatermark(models.Model):
    """One row: the last audit entry and fine the monthly aggregates have taken into account (the
    worker refreshes the months of the requests changed since)."""

    audit_entry_id = models.BigIntegerField(_("last audit entry"), default=0)
    fine_id = models.BigIntegerField(_("last fine"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed at"), default=timezone.now)

    class Meta:
        verbose_name = _("watermark of the monthly aggregates")
        verbose_name_plural = _("watermarks of the monthly aggregates")

    def __str__(self):
        return f"{self.audit_entry_id}/{self.fine_id}"
