"""TFPB abatement: landlords' conventions, yearly programmes by axis and QPV, their actions with indicators,
the yearly review (bilan). Written only by tfpb.actions (and the approval flow's outcome nodes)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from directory.models import Organisation, OrganisationKind, Perimeter
from engine.models import ActorAuditModel

ZERO = Decimal("0.00")


class Axis(models.Model):
    """An axis of the national framework of the TFPB abatement (data: administrators may add some)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("axis")
        verbose_name_plural = _("axes")

    def __str__(self):
        return self.name


class Convention(models.Model):
    """A landlord's TFPB convention for a contrat de ville period, signed with the State, the commune(s) and
    the community."""

    landlord = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="tfpb_conventions",
        limit_choices_to={"kind": OrganisationKind.LANDLORD},
        verbose_name=_("landlord"),
    )
    reference = models.CharField(_("reference"), max_length=60, unique=True)
    start_year = models.PositiveSmallIntegerField(_("first year"))
    end_year = models.PositiveSmallIntegerField(_("last year"))
    qpvs = models.ManyToManyField(
        Perimeter, related_name="tfpb_conventions", limit_choices_to={"layer": "qpv"}, verbose_name=_("QPV")
    )
    communes = models.ManyToManyField(
        Organisation,
        related_name="tfpb_conventions_signed",
        limit_choices_to={"kind": OrganisationKind.COMMUNE},
        verbose_name=_("communes"),
    )
    state = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.STATE},
        verbose_name=_("State's services"),
    )
    community = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": OrganisationKind.CU},
        verbose_name=_("community"),
    )
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    dwellings = models.PositiveIntegerField(_("dwellings concerned"))
    expected_abatement_eur = models.DecimalField(
        _("expected yearly abatement (€)"), max_digits=12, decimal_places=2
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["landlord__name", "-start_year"]
        constraints = [
            models.CheckConstraint(condition=Q(end_year__gte=models.F("start_year")), name="tfpb_years")
        ]
        verbose_name = _("TFPB convention")
        verbose_name_plural = _("TFPB conventions")

    def __str__(self):
        return f"{self.reference} · {self.landlord} ({self.start_year}–{self.end_year})"

    def partners(self):
        """The organisations that review its programmes: the commune(s), the community, the State."""
        return [*self.communes.all(), self.community, self.state]


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review by the partners")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    VALIDATED = "validated", _("Validated")


EDITABLE = (Status.DRAFT, Status.CHANGES_REQUESTED)


def _is_validated(programme):
    return programme.status == Status.VALIDATED


class Programme(ConcurrentTransitionMixin, models.Model):
    """A landlord's yearly programme of actions in one QPV of its convention, and its yearly review.

    Two fixed lifecycles on django-fsm-2 (protected fields: only the transitions below change them, and
    ConcurrentTransitionMixin makes a save refuse a state changed meanwhile): the programme's ``status``
    and its yearly review's ``review_status``, each draft -> in review -> validated or changes requested
    (-> in review again). The review's lifecycle starts only once the programme is validated."""

    convention = models.ForeignKey(
        Convention, on_delete=models.PROTECT, related_name="programmes", verbose_name=_("convention")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    qpv = models.ForeignKey(Perimeter, on_delete=models.PROTECT, related_name="+", verbose_name=_("QPV"))
    expected_abatement_eur = models.DecimalField(
        _("expected abatement for the year (€)"), max_digits=12, decimal_places=2
    )
    status = FSMField(
        _("programme status"),
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        protected=True,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    review_status = FSMField(
        _("review status"),
        max_length=20,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        protected=True,
    )
    review_comment = models.TextField(_("landlord's comments on the year"), blank=True)
    review_submitted_at = models.DateTimeField(_("review submitted at"), null=True, blank=True)
    review_validated_at = models.DateTimeField(_("review validated at"), null=True, blank=True)

    class Meta:
        ordering = ["-year", "convention__landlord__name", "qpv__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["convention", "year", "qpv"], name="tfpb_one_programme_per_year_qpv"
            )
        ]
        verbose_name = _("TFPB programme")
        verbose_name_plural = _("TFPB programmes")

    def __str__(self):
        return f"{self.convention.landlord} · {self.qpv} · {self.year}"

    @property
    def landlord(self):
        return self.convention.landlord

    @property
    def is_editable(self):
        return self.status in EDITABLE

    # the programme's lifecycle (called by tfpb.actions only)

    @transition(field=status, source=list(EDITABLE), target=Status.IN_REVIEW)
    def submit(self):
        self.submitted_at = timezone.now()

    @transition(field=status, source=Status.IN_REVIEW, target=Status.VALIDATED)
    def validate(self):
        self.validated_at = timezone.now()

    @transition(field=status, source=Status.IN_REVIEW, target=Status.CHANGES_REQUESTED)
    def send_back(self):
        pass

    # the yearly review's lifecycle

    @transition(
        field=review_status, source=list(EDITABLE), target=Status.IN_REVIEW, conditions=[_is_validated]
    )
    def submit_review(self):
        self.review_submitted_at = timezone.now()

    @transition(field=review_status, source=Status.IN_REVIEW, target=Status.VALIDATED)
    def validate_review(self):
        self.review_validated_at = timezone.now()

    @transition(field=review_status, source=Status.IN_REVIEW, target=Status.CHANGES_REQUESTED)
    def send_back_review(self):
        pass

    def planned_total(self):
        return self.actions.aggregate(total=Sum("planned_amount_eur"))["total"] or ZERO

    def realised_total(self):
        return self.actions.aggregate(total=Sum("realised_amount_eur"))["total"] or ZERO


class Action(models.Model):
    """An action of a programme: its axis, what is done and where, the amount planned and, at year end,
    realised."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="actions")
    axis = models.ForeignKey(Axis, on_delete=models.PROTECT, related_name="actions", verbose_name=_("axis"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    places = models.CharField(_("residences or places concerned"), max_length=300, blank=True)
    location = models.JSONField(_("location (GeoJSON point, WGS84)"), null=True, blank=True)
    planned_amount_eur = models.DecimalField(_("planned amount (€)"), max_digits=12, decimal_places=2)
    realised_amount_eur = models.DecimalField(
        _("realised amount (€)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    realisation_comment = models.TextField(_("what was done"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["programme_id", "axis__position", "position", "pk"]
        verbose_name = _("TFPB action")
        verbose_name_plural = _("TFPB actions")

    def __str__(self):
        return self.title


class Indicator(models.Model):
    """An indicator of an action: its target and, at year end, the value reached."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="indicators")
    name = models.CharField(_("indicator"), max_length=200)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    reached = models.DecimalField(_("reached"), max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["action_id", "pk"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")

    def __str__(self):
        return self.name


class ReviewDocument(models.Model):
    """A supporting document of a yearly review, checked by its content (images or PDF)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(_("file"), upload_to="tfpb/%Y/")
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["programme_id", "pk"]
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")

    def __str__(self):
        return self.name


class TfpbAuditEntry(ActorAuditModel):
    """A change to a convention or programme: who, when, what (old and new values). Append-only."""

    event = models.CharField(_("event"), max_length=64)
    target = models.CharField(_("target"), max_length=200)

    class Meta(ActorAuditModel.Meta):
        verbose_name = _("TFPB audit entry")
        verbose_name_plural = _("TFPB audit entries")

    def __str__(self):
        return f"{self.event} {self.target}"
