"""Observation grids (versioned data), walking diagnostics, their findings and photos, and their audit.

A grid version is written as YAML (``source``), validated into ``definition`` and into rows (themes,
items) that findings point at. Only a draft can change; publishing freezes it; a diagnostic keeps the
version it was prepared with. Fixed lifecycles (grid version, diagnostic) use django-fsm-2 like the engine.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from directory.models import Organisation, OrganisationKind, Perimeter
from engine.errors import ImmutableVersion
from engine.models import ActorAuditModel


class Grid(models.Model):
    """An observation grid (e.g. the default grid); its content is in its versions."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("observation grid")
        verbose_name_plural = _("observation grids")

    def __str__(self):
        return self.name


class GridStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class GridVersion(ConcurrentTransitionMixin, models.Model):
    """One version of a grid: themes, items, rating scale. A published version never changes."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="versions", verbose_name=_("grid"))
    number = models.PositiveIntegerField(_("number"))
    status = FSMField(
        _("status"), default=GridStatus.DRAFT, choices=GridStatus.choices, protected=True, max_length=16
    )
    source = models.TextField(_("YAML source"))
    definition = models.JSONField(_("definition"))
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("copied from"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    FROZEN_FIELDS = ("grid_id", "number", "source", "definition")

    class Meta:
        ordering = ["grid", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "number"], name="diagnostics_grid_version_unique")
        ]
        verbose_name = _("grid version")
        verbose_name_plural = _("grid versions")

    def __str__(self):
        return f"{self.definition.get('name', self.grid_id)} v{self.number} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values("status", *self.FROZEN_FIELDS).first()
            frozen = stored and stored["status"] != GridStatus.DRAFT
            if frozen and any(stored[name] != getattr(self, name) for name in self.FROZEN_FIELDS):
                raise ImmutableVersion(
                    _("Version %(number)s is %(status)s: it can no longer be edited.")
                    % {"number": self.number, "status": stored["status"]}
                )
        super().save(*args, **kwargs)

    @transition(field=status, source=GridStatus.DRAFT, target=GridStatus.PUBLISHED)
    def publish(self):
        self.published_at = timezone.now()

    @transition(field=status, source=GridStatus.PUBLISHED, target=GridStatus.RETIRED)
    def retire(self):
        self.retired_at = timezone.now()

    @property
    def scale(self):
        """[{value, label, label_en}] from the lowest to the highest rating."""
        return self.definition.get("scale", [])

    def rating_label(self, value):
        for level in self.scale:
            if level["value"] == value:
                return level["label"]
        return ""


class GridTheme(models.Model):
    version = models.ForeignKey(GridVersion, on_delete=models.CASCADE, related_name="themes")
    code = models.SlugField(_("code"), max_length=64)
    label = models.CharField(_("label"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="diagnostics_theme_unique")]
        verbose_name = _("grid theme")
        verbose_name_plural = _("grid themes")

    def __str__(self):
        return self.label


class GridItem(models.Model):
    theme = models.ForeignKey(GridTheme, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(_("code"), max_length=64)
    label = models.CharField(_("label"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    category = models.ForeignKey(
        "procedures.Category",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("request category"),
        help_text=_("The category of the intervention request a finding of this item becomes."),
    )
    request_attributes = models.JSONField(
        _("request attributes"), default=dict, blank=True, help_text=_("Values of the category's attributes.")
    )

    class Meta:
        ordering = ["theme", "position"]
        constraints = [models.UniqueConstraint(fields=["theme", "code"], name="diagnostics_item_unique")]
        verbose_name = _("grid item")
        verbose_name_plural = _("grid items")

    def __str__(self):
        return self.label


class DiagnosticStatus(models.TextChoices):
    PREPARED = "prepared", _("prepared")
    IN_FIELD = "in_field", _("in the field")
    UNDER_ANALYSIS = "under_analysis", _("under analysis")
    CLOSED = "closed", _("closed")


class Diagnostic(ConcurrentTransitionMixin, models.Model):
    """A walking diagnostic in a commune (and a QPV), with its route, participants and grid version."""

    title = models.CharField(_("title"), max_length=200)
    commune = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.COMMUNE},
        verbose_name=_("commune"),
    )
    qpv = models.ForeignKey(
        Perimeter,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"layer": "qpv"},
        verbose_name=_("QPV"),
    )
    date = models.DateField(_("date"))
    route = models.JSONField(_("route (GeoJSON LineString, WGS84)"), null=True, blank=True)
    route_length_m = models.FloatField(_("route length (m)"), null=True, blank=True, editable=False)
    grid_version = models.ForeignKey(
        GridVersion, on_delete=models.PROTECT, related_name="diagnostics", verbose_name=_("grid version")
    )
    status = FSMField(
        _("status"),
        default=DiagnosticStatus.PREPARED,
        choices=DiagnosticStatus.choices,
        protected=True,
        max_length=16,
        db_index=True,
    )
    residents_count = models.PositiveSmallIntegerField(
        _("residents' representatives"), default=0, help_text=_("How many, never who.")
    )
    participants = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="+",
        verbose_name=_("participating organisations"),
        help_text=_("Their users may record findings and see the diagnostic."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("walking diagnostic")
        verbose_name_plural = _("walking diagnostics")

    def __str__(self):
        return f"{self.title} ({self.date:%d/%m/%Y})"

    @transition(field=status, source=DiagnosticStatus.PREPARED, target=DiagnosticStatus.IN_FIELD)
    def start_field(self):
        pass

    @transition(field=status, source=DiagnosticStatus.IN_FIELD, target=DiagnosticStatus.UNDER_ANALYSIS)
    def start_analysis(self):
        pass

    @transition(field=status, source=DiagnosticStatus.UNDER_ANALYSIS, target=DiagnosticStatus.CLOSED)
    def close(self):
        pass


class Outcome(models.TextChoices):
    NONE = "", _("not converted yet")
    REQUEST = "request", _("intervention request filed")
    LINKED = "linked", _("linked to an open request")
    NO_ACTION = "no_action", _("no action")
    ACTION = "action", _("follow-up action")
    RECOMMENDATION = "recommendation", _("recommendation")


class Finding(models.Model):
    """What was seen at a point during the walk. ``client_id`` is chosen by the phone: the same finding
    sent again is the same row (kept once)."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.PROTECT, related_name="findings")
    client_id = models.CharField(_("client identifier"), max_length=64)
    item = models.ForeignKey(GridItem, on_delete=models.PROTECT, related_name="+", verbose_name=_("item"))
    rating = models.SmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    lon = models.FloatField(_("longitude"))
    lat = models.FloatField(_("latitude"))
    x_l93 = models.FloatField(editable=False)
    y_l93 = models.FloatField(editable=False)
    observed_at = models.DateTimeField(_("observed at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True, default="")
    outcome_reason = models.CharField(_("reason"), max_length=500, blank=True)
    outcome_reference = models.CharField(
        _("outcome reference"),
        max_length=200,
        blank=True,
        help_text=_("An action's or a recommendation's reference."),
    )
    request = models.ForeignKey(
        "procedures.InterventionRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("intervention request"),
    )
    converted_at = models.DateTimeField(_("converted at"), null=True, blank=True)
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["diagnostic", "observed_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["diagnostic", "client_id"], name="diagnostics_finding_client_unique"
            )
        ]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self):
        return f"{self.item} ({self.rating})"


class FindingPhoto(models.Model):
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(_("file"), upload_to="diagnostics/photos/%Y/%m/")
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size_bytes = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["finding", "pk"]
        verbose_name = _("finding photo")
        verbose_name_plural = _("finding photos")

    def __str__(self):
        return self.name


class RouteTrack(models.Model):
    """The route as walked, recorded by a participant's phone (GPS). ``client_id`` is chosen by the phone:
    the same track sent again is the same row (kept once). The last track received becomes the
    diagnostic's route."""

    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.PROTECT, related_name="tracks")
    client_id = models.CharField(_("client identifier"), max_length=64)
    line = models.JSONField(_("track (GeoJSON LineString, WGS84)"))
    points_count = models.PositiveIntegerField(_("points"))
    length_m = models.FloatField(_("length (m)"))
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )

    class Meta:
        ordering = ["diagnostic", "received_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["diagnostic", "client_id"], name="diagnostics_track_client_unique"
            )
        ]
        verbose_name = _("recorded route")
        verbose_name_plural = _("recorded routes")

    def __str__(self):
        return f"{self.diagnostic_id}: {self.points_count} points, {self.length_m:.0f} m"


class DiagnosticAuditEntry(ActorAuditModel):
    """A change to a grid, a diagnostic or a finding: who, when, what (append-only)."""

    event = models.CharField(_("event"), max_length=64)
    target = models.CharField(_("target"), max_length=200)

    class Meta(ActorAuditModel.Meta):
        verbose_name = _("diagnostics audit entry")
        verbose_name_plural = _("diagnostics audit entries")

    def __str__(self):
        return f"{self.event} {self.target}"
