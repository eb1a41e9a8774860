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
