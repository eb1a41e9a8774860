"""CLECT groups: perimeters and sub-sector procedures grouped so that the commission evaluating the charges
transferred between the communes and the community (CLECT) reads their figures together. A member belongs
to a group over dated periods; a perimeter (or a procedure) is in at most one group on any day, checked by
the actions (procedures.sectors.clect)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.models import ActorAuditModel


class ClectGroup(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["name", "code"]
        verbose_name = _("CLECT group")
        verbose_name_plural = _("CLECT groups")

    def __str__(self):
        return self.name


class ClectMembership(models.Model):
    """A perimeter or a sub-sector procedure (one of the two) in a group, from a day to a day (included;
    no end: still a member)."""

    group = models.ForeignKey(
        ClectGroup, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("CLECT group")
    )
    perimeter = models.ForeignKey(
        "directory.Perimeter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clect_memberships",
        verbose_name=_("perimeter"),
    )
    procedure = models.ForeignKey(
        "procedures.SectorProcedure",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="clect_memberships",
        verbose_name=_("sub-sector procedure"),
    )
    starts_on = models.DateField(_("member from"))
    ends_on = models.DateField(_("member until (included)"), null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        ordering = ["group_id", "starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(perimeter__isnull=False, procedure__isnull=True)
                | models.Q(perimeter__isnull=True, procedure__isnull=False),
                name="clect_member_perimeter_or_procedure",
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True) | models.Q(ends_on__gte=models.F("starts_on")),
                name="clect_member_ends_after_start",
            ),
        ]
        verbose_name = _("CLECT group member")
        verbose_name_plural = _("CLECT group members")

    def __str__(self):
        if not self.group_id:
            return str(self.member or "")
        return f"{self.member} ({self.group})"

    @property
    def member(self):
        if self.perimeter_id:
            return self.perimeter
        return self.procedure if self.procedure_id else None


class ClectAuditEntry(ActorAuditModel):
    """A change to a CLECT group (append-only)."""

    group = models.ForeignKey(
        ClectGroup, on_delete=models.PROTECT, related_name="audit", verbose_name=_("CLECT group")
    )
    event = models.CharField(_("event"), max_length=64)

    class Meta(ActorAuditModel.Meta):
        verbose_name = _("CLECT group audit entry")
        verbose_name_plural = _("CLECT group audit entries")


__all__ = ["ClectAuditEntry", "ClectGroup", "ClectMembership"]
