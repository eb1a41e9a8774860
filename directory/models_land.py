"""Dated land: who owned a parcel when, remembrement and residentialisation operations, and the table that
maps the owners' SIRENs (DGFiP files) to our organisations. Imported by directory.models."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class OwnershipSource(models.TextChoices):
    EDIT = "edit", _("Edited")
    IMPORT = "import", _("Imported")
    OPERATION = "operation", _("Land operation")


class ParcelOwnership(models.Model):
    """One owner of a parcel over a period [valid_from, valid_until): periods of a parcel never overlap.

    `owner` empty: a private owner or one not mapped to an organisation (then `siren`/`owner_name` say who
    the DGFiP file names). `valid_from` empty: since before the records; `valid_until` empty: still owned.
    """

    parcel = models.ForeignKey(
        "directory.Parcel", on_delete=models.CASCADE, related_name="ownerships", verbose_name=_("parcel")
    )
    owner = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ownerships",
        verbose_name=_("owner"),
    )
    siren = models.CharField(_("owner's SIREN"), max_length=9, blank=True, db_index=True)
    owner_name = models.CharField(_("owner's name (as filed)"), max_length=200, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True, db_index=True)
    valid_until = models.DateField(_("valid until (excluded)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=OwnershipSource.choices)
    operation = models.ForeignKey(
        "directory.LandOperation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ownerships",
        verbose_name=_("land operation"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["parcel_id", F("valid_from").asc(nulls_first=True)]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gt=F("valid_from")),
                name="ownership_period_not_empty",
            )
        ]
        indexes = [models.Index(fields=["parcel", "valid_from"], name="ownership_parcel_from")]
        verbose_name = _("ownership period")
        verbose_name_plural = _("ownership periods")

    def __str__(self):
        return f"{self.parcel_id}:{self.owner_id or self.siren or '-'} {self.valid_from}→{self.valid_until}"

    def covers(self, day):
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_until is None or day < self.valid_until
        )


class LandOperationKind(models.TextChoices):
    REMEMBREMENT = "remembrement", _("Land reallocation (remembrement)")
    RESIDENTIALISATION = "residentialisation", _("Residentialisation")


class LandOperation(models.Model):
    """One dated change of the land of an urban-renewal project: parcels retired and created, new owners.

    Entered ahead of its date if need be: routing and land shares change from `effective_date` only."""

    kind = models.CharField(_("kind"), max_length=30, choices=LandOperationKind.choices)
    name = models.CharField(_("name"), max_length=200)
    project = models.CharField(_("urban-renewal project"), max_length=200, blank=True)
    effective_date = models.DateField(_("effective date"), db_index=True)
    parcels_before = models.JSONField(_("parcels before"), default=list, blank=True)
    parcels_after = models.JSONField(_("parcels after"), default=list, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    # Set by the job that brings the current owners up to date once the date has come.
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-effective_date", "name"]
        indexes = [
            models.Index(
                fields=["effective_date"], name="land_operation_pending", condition=Q(applied_at__isnull=True)
            )
        ]
        verbose_name = _("land operation")
        verbose_name_plural = _("land operations")

    def __str__(self):
        return f"{self.name} ({self.effective_date})"


class SirenMapping(models.Model):
    """Which of our organisations a SIREN of the DGFiP owner files is (edited in the admin)."""

    siren = models.CharField(_("SIREN"), max_length=9, unique=True)
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="siren_mappings",
        verbose_name=_("organisation"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["siren"]
        verbose_name = _("SIREN mapping")
        verbose_name_plural = _("SIREN mappings")

    def __str__(self):
        return f"{self.siren} → {self.organisation}"
