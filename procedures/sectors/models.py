"""Sub-sector procedures: the record, its versions (the experiment's content), perimeter, zones, split,
pooled means, service-level overrides, approvals, evaluations and their audit."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from directory.models import BBoxMixin, validate_month_day
from engine.models import ActorAuditModel


class SectorProcedure(models.Model):
    """The experiment itself: what stays the same from one version to the next."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    project_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("project lead"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("sub-sector procedure")
        verbose_name_plural = _("sub-sector procedures")

    def __str__(self):
        return self.title


class SectorVersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_APPROVAL = "in_approval", _("In approval")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    ENDED = "ended", _("Ended")


class PerimeterSource(models.TextChoices):
    SUBSECTORS = "subsectors", _("Sub-sector perimeters")
    DRAWN = "drawn", _("Drawn or imported polygon")
    PARCELS = "parcels", _("A landlord's parcels")


class SectorVersion(ConcurrentTransitionMixin, BBoxMixin):
    """One version of a sector procedure: its content, approved as a whole, in force from a date."""

    procedure = models.ForeignKey(
        SectorProcedure, on_delete=models.CASCADE, related_name="versions", verbose_name=_("procedure")
    )
    number = models.PositiveIntegerField(_("version"))
    status = FSMField(
        _("status"), default=SectorVersionStatus.DRAFT, choices=SectorVersionStatus.choices, protected=True
    )
    description = models.TextField(_("description of the experiment"), blank=True)
    goals = models.TextField(_("goals"), blank=True)
    starts_on = models.DateField(_("start of the experiment"))
    ends_on = models.DateField(_("end of the experiment"), null=True, blank=True)
    effective_from = models.DateField(_("in force from"))
    evaluation_month = models.PositiveSmallIntegerField(
        _("evaluation month"), validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    perimeter_source = models.CharField(
        _("perimeter from"), max_length=20, choices=PerimeterSource.choices, default=PerimeterSource.DRAWN
    )
    subsectors = models.ManyToManyField(
        "directory.Perimeter", blank=True, related_name="sector_versions", verbose_name=_("sub-sectors")
    )
    parcels = models.ManyToManyField(
        "directory.Parcel", blank=True, related_name="sector_versions", verbose_name=_("parcels")
    )
    area_m2 = models.FloatField(_("area (m²)"), default=0, editable=False)
    land_shares = models.JSONField(_("land shares"), default=list, blank=True, editable=False)
    land_area_m2 = models.FloatField(_("land covered by parcels (m²)"), default=0, editable=False)
    delegation_threshold_pct = models.DecimalField(
        _("delegation threshold (%)"), max_digits=5, decimal_places=2, default=Decimal("60")
    )
    delegated_manager = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("delegated manager"),
    )
    intervention_version = models.ForeignKey(
        "engine.ProcedureVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("intervention procedure followed"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author of the version"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted for approval at"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["procedure__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "number"], name="unique_sector_version_number")
        ]
        verbose_name = _("sub-sector procedure version")
        verbose_name_plural = _("sub-sector procedure versions")

    def __str__(self):
        return f"{self.procedure.title} v{self.number}"

    @transition(field=status, source=SectorVersionStatus.DRAFT, target=SectorVersionStatus.IN_APPROVAL)
    def submit(self):
        pass

    @transition(field=status, source=SectorVersionStatus.IN_APPROVAL, target=SectorVersionStatus.DRAFT)
    def send_back(self):
        pass

    @transition(field=status, source=SectorVersionStatus.IN_APPROVAL, target=SectorVersionStatus.ACTIVE)
    def activate(self):
        pass

    @transition(field=status, source=SectorVersionStatus.ACTIVE, target=SectorVersionStatus.SUSPENDED)
    def suspend(self):
        pass

    @transition(field=status, source=SectorVersionStatus.SUSPENDED, target=SectorVersionStatus.ACTIVE)
    def resume(self):
        pass

    @transition(
        field=status,
        source=[SectorVersionStatus.ACTIVE, SectorVersionStatus.SUSPENDED],
        target=SectorVersionStatus.ENDED,
    )
    def end(self):
        pass


class SectorPartner(models.Model):
    """A partner organisation of a version and its referent, who approves it and gives opinions."""

    version = models.ForeignKey(
        SectorVersion, on_delete=models.CASCADE, related_name="partners", verbose_name=_("version")
    )
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("referent")
    )
    role = models.CharField(_("part in the experiment"), max_length=200, blank=True)

    class Meta:
        ordering = ["version", "organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["version", "organisation"], name="unique_sector_partner")
        ]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")

    def __str__(self):
        return f"{self.organisation} ({self.referent})"


class SectorZone(BBoxMixin):
    """A part of the perimeter (a car park, a mall, green spaces) that split rows can name."""

    version = models.ForeignKey(
        SectorVersion, on_delete=models.CASCADE, related_name="zones", verbose_name=_("version")
    )
    name = models.CharField(_("name"), max_length=200)
    area_m2 = models.FloatField(_("area (m²)"), default=0, editable=False)

    class Meta:
        ordering = ["version", "name"]
        constraints = [models.UniqueConstraint(fields=["version", "name"], name="unique_sector_zone_name")]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self):
        return self.name


class SectorSplitRow(models.Model):
    """(category or group, optional zone, optional season) -> the unit that acts, and what it does."""

    version = models.ForeignKey(
        SectorVersion, on_delete=models.CASCADE, related_name="split_rows", verbose_name=_("version")
    )
    category = models.ForeignKey(
        "procedures.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    category_group = models.ForeignKey(
        "procedures.CategoryGroup",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category group"),
    )
    zone = models.ForeignKey(
        SectorZone,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="split_rows",
        verbose_name=_("zone"),
    )
    season_start = models.CharField(
        _("season start (MM-DD)"), max_length=5, blank=True, validators=[validate_month_day]
    )
    season_end = models.CharField(
        _("season end (MM-DD)"), max_length=5, blank=True, validators=[validate_month_day]
    )
    unit = models.ForeignKey(
        "directory.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit that acts")
    )
    what = models.CharField(_("what it does"), max_length=300, blank=True)

    class Meta:
        ordering = ["version", "pk"]
        verbose_name = _("split row")
        verbose_name_plural = _("split rows")

    def __str__(self):
        return f"{self.category or self.category_group} → {self.unit}"


class CapacityUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    INTERVENTIONS = "interventions", _("interventions")


class PooledMeans(models.Model):
    """A shared resource (typically a régie d'insertion) funded by the partners."""

    version = models.ForeignKey(
        SectorVersion, on_delete=models.CASCADE, related_name="pooled_means", verbose_name=_("version")
    )
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    unit = models.ForeignKey(
        "directory.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit that acts")
    )
    yearly_capacity = models.DecimalField(_("yearly capacity"), max_digits=10, decimal_places=2)
    capacity_unit = models.CharField(
        _("capacity in"), max_length=20, choices=CapacityUnit.choices, default=CapacityUnit.HOURS
    )
    categories = models.ManyToManyField(
        "procedures.Category", blank=True, related_name="+", verbose_name=_("categories taken")
    )

    class Meta:
        ordering = ["version", "pk"]
        verbose_name = _("pooled means")
        verbose_name_plural = _("pooled means")

    def __str__(self):
        return str(self.organisation)


class FundingShare(models.Model):
    means = models.ForeignKey(
        PooledMeans, on_delete=models.CASCADE, related_name="funding", verbose_name=_("pooled means")
    )
    organisation = models.ForeignKey(
        "directory.Organisation", on_delete=models.PROTECT, related_name="+", verbose_name=_("funder")
    )
    share_pct = models.DecimalField(_("share (%)"), max_digits=5, decimal_places=2)

    class Meta:
        ordering = ["means", "-share_pct"]
        constraints = [models.UniqueConstraint(fields=["means", "organisation"], name="unique_funding_share")]
        verbose_name = _("funding share")
        verbose_name_plural = _("funding shares")

    def __str__(self):
        return f"{self.organisation}: {self.share_pct} %"


class ServiceLevelOverride(models.Model):
    """Stricter targets inside the perimeter (empty category or urgency: every one)."""

    version = models.ForeignKey(
        SectorVersion, on_delete=models.CASCADE, related_name="overrides", verbose_name=_("version")
    )
    category = models.ForeignKey(
        "procedures.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("category"),
    )
    urgency = models.CharField(_("urgency"), max_length=10, blank=True)
    acknowledge_hours = models.PositiveIntegerField(_("acknowledge within (business hours)"))
    resolve_hours = models.PositiveIntegerField(_("resolve within (business hours)"))

    class Meta:
        ordering = ["version", "pk"]
        verbose_name = _("service-level override")
        verbose_name_plural = _("service-level overrides")

    def __str__(self):
        return f"{self.category or '*'} {self.acknowledge_hours}/{self.resolve_hours} h"


class ApprovalState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SectorApproval(models.Model):
    """One partner's approval task for one submission of a version: the sector's side of the partner review
    (``directory.PartnerReview``) that the approval flow (procedures.sectors.flows) opened for that partner;
    its state is copied from the review in the same transaction by procedures.sectors.approvals, with
    "withdrawn" when a request for changes by another partner closed the round first."""

    version = models.ForeignKey(
        SectorVersion, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("version")
    )
    partner = models.ForeignKey(
        SectorPartner, on_delete=models.CASCADE, related_name="approvals", verbose_name=_("partner")
    )
    review = models.OneToOneField(
        "directory.PartnerReview",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sector_approval",
        verbose_name=_("partner review"),
    )
    round = models.PositiveSmallIntegerField(_("submission"), default=1)
    state = models.CharField(
        _("state"), max_length=20, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    comment = models.TextField(_("comment"), blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    remind_at = models.DateTimeField(_("reminder due at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )

    class Meta:
        ordering = ["version", "round", "partner__organisation__name"]
        indexes = [
            models.Index(
                fields=["remind_at"],
                name="sector_approval_remind",
                condition=models.Q(state="pending", reminded_at__isnull=True),
            )
        ]
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")

    def __str__(self):
        return f"{self.partner} · {self.state}"


class EvaluationDecision(models.TextChoices):
    CONTINUE = "continue", _("Continue")
    ADJUST = "adjust", _("Adjust (new version)")
    END = "end", _("End")
    GENERALISE = "generalise", _("Generalise")


class SectorEvaluation(models.Model):
    """The yearly evaluation of a procedure, with its figures frozen when it opened."""

    procedure = models.ForeignKey(
        SectorProcedure, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("procedure")
    )
    version = models.ForeignKey(
        SectorVersion, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("version")
    )
    year = models.PositiveIntegerField(_("year evaluated"))
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to (excluded)"))
    figures = models.JSONField(_("figures"), default=dict)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    decision = models.CharField(_("decision"), max_length=20, choices=EvaluationDecision.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    new_version = models.ForeignKey(
        SectorVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version opened"),
    )

    class Meta:
        ordering = ["procedure", "-year"]
        constraints = [models.UniqueConstraint(fields=["procedure", "year"], name="unique_sector_evaluation")]
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")

    def __str__(self):
        return f"{self.procedure} {self.year}"


class EvaluationOpinion(models.Model):
    evaluation = models.ForeignKey(
        SectorEvaluation, on_delete=models.CASCADE, related_name="opinions", verbose_name=_("evaluation")
    )
    partner = models.ForeignKey(
        SectorPartner, on_delete=models.CASCADE, related_name="+", verbose_name=_("partner")
    )
    text = models.TextField(_("opinion"))
    given_at = models.DateTimeField(_("given at"), default=timezone.now)

    class Meta:
        ordering = ["evaluation", "given_at"]
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "partner"], name="unique_evaluation_opinion")
        ]
        verbose_name = _("opinion")
        verbose_name_plural = _("opinions")

    def __str__(self):
        return f"{self.partner}"


class SectorTimeSpent(models.Model):
    """The hours the handling unit spent on a done request, recorded once by that unit (or an administrator).

    ``means`` is the pooled means (régie) of a sub-sector procedure when they handled the request (the hours
    then count in their consumption, procedures.sectors.figures), and null for every other request. The
    CLECT figures (procedures.sectors.clect_figures) sum these hours per actor and per commune."""

    request = models.OneToOneField(
        "procedures.InterventionRequest",
        on_delete=models.CASCADE,
        related_name="sector_time_spent",
        verbose_name=_("request"),
    )
    means = models.ForeignKey(
        PooledMeans,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="time_spent",
        verbose_name=_("pooled means"),
        help_text=_("The pooled means that handled the request; empty when another unit handled it."),
    )
    hours = models.DecimalField(_("hours spent"), max_digits=8, decimal_places=2)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("time spent")
        verbose_name_plural = _("time spent")

    def __str__(self):
        return f"{self.request_id}: {self.hours} h"


class SectorAuditEntry(ActorAuditModel):
    """A change to a sub-sector procedure (append-only)."""

    procedure = models.ForeignKey(
        SectorProcedure, on_delete=models.PROTECT, related_name="audit", verbose_name=_("procedure")
    )
    event = models.CharField(_("event"), max_length=64)

    class Meta(ActorAuditModel.Meta):
        verbose_name = _("sub-sector procedure audit entry")
        verbose_name_plural = _("sub-sector procedure audit entries")


__all__ = [
    "ApprovalState",
    "CapacityUnit",
    "EvaluationDecision",
    "EvaluationOpinion",
    "FundingShare",
    "PerimeterSource",
    "PooledMeans",
    "SectorApproval",
    "SectorAuditEntry",
    "SectorEvaluation",
    "SectorPartner",
    "SectorProcedure",
    "SectorSplitRow",
    "SectorTimeSpent",
    "SectorVersion",
    "SectorVersionStatus",
    "SectorZone",
    "ServiceLevelOverride",
]
