"""Organisations, units, people and their roles; perimeters and parcels of the territory."""

import re
import threading
import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from directory.roles import Role
from engine.models import ActorAuditModel


class OrganisationKind(models.TextChoices):
    CU = "cu", _("Urban community")
    COMMUNE = "commune", _("Commune")
    LANDLORD = "landlord", _("Social landlord")
    CONTRACTOR = "contractor", _("Contractor")
    STATE = "state", _("State")


class Organisation(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices, db_index=True)
    insee = models.CharField(_("INSEE code"), max_length=5, unique=True, null=True, blank=True)
    siret = models.CharField(
        _("SIRET or SIREN"),
        max_length=14,
        blank=True,
        validators=[RegexValidator(r"^(\d{9}|\d{14})$", _("Enter 9 digits (SIREN) or 14 digits (SIRET)."))],
        help_text=_(
            "Single sign-on (ProConnect) checks it against the siret of the person's identity: 14 digits "
            "for one establishment, 9 (the SIREN) for any establishment of the organisation; empty: not "
            "checked."
        ),
    )
    is_inclusion_enterprise = models.BooleanField(
        _("social-inclusion enterprise (régie d'insertion)"), default=False
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    website = models.URLField(_("website"), blank=True)
    is_fictional = models.BooleanField(
        _("fictional (demo data)"),
        default=False,
        help_text=_("Set on demonstration data that does not describe a real organisation."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        permissions = [("act_for_organisation", _("Can act for the organisation"))]

    def __str__(self):
        return self.name

    def clean(self):
        if self.kind == OrganisationKind.COMMUNE and not self.insee:
            raise ValidationError({"insee": _("A commune needs its INSEE code.")})
        if self.kind != OrganisationKind.COMMUNE and self.insee:
            raise ValidationError({"insee": _("Only communes have an INSEE code.")})


class UnitKind(models.TextChoices):
    DIRECTION = "direction", _("Direction")
    CTC = "ctc", _("Community technical centre (CTC)")
    WASTE = "waste", _("Waste direction")
    DVQ = "dvq", _("DVQ")
    SERVICE = "service", _("Service")
    AGENCY = "agency", _("Agency")


class Unit(models.Model):
    """A direction, centre, service or agency inside an organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="units", verbose_name=_("organisation")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices, db_index=True)
    territory = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="covering_units",
        limit_choices_to={"kind": OrganisationKind.COMMUNE},
        verbose_name=_("territory (communes covered)"),
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=300, blank=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self):
        return self.name

    def clean(self):
        if self.parent_id and self.parent.organisation_id != self.organisation_id:
            raise ValidationError({"parent": _("The parent unit must belong to the same organisation.")})

    def ancestors(self):
        """This unit's parents, nearest first (guards against cycles)."""
        seen, node = {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            seen.add(node.pk)
            yield node
            node = node.parent


class User(AbstractUser):
    """A person using the platform, acting for one organisation (and possibly one of its units)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("organisation"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="members", verbose_name=_("unit")
    )
    job_title = models.CharField(_("function"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self):
        super().clean()
        if self.unit_id and self.unit.organisation_id != self.organisation_id:
            raise ValidationError({"unit": _("The unit must belong to the user's organisation.")})

    @property
    def role_codes(self):
        cached = getattr(self, "_role_codes", None)
        if cached is None:
            cached = (
                frozenset(self.role_assignments.values_list("role", flat=True)) if self.pk else frozenset()
            )
            self._role_codes = cached
        return cached

    def has_role(self, role):
        return role in self.role_codes


class RoleAssignment(models.Model):
    """A role a user holds in the organisation (and unit) they act for."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_user_role")]
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")

    def __str__(self):
        return f"{self.user_id}:{self.role}"


class Layer(models.TextChoices):
    COMMUNES = "communes", _("Communes")
    QPV = "qpv", _("Priority neighbourhoods (QPV)")
    SECTORS = "sectors", _("CTC sectors")
    ZONES = "zones", _("Management zones")
    SUBSECTORS = "subsectors", _("Sub-sectors")


class BBoxMixin(models.Model):
    """GeoJSON geometry in WGS84 with bounding-box columns for database pre-filters."""

    geometry = models.JSONField(_("geometry (GeoJSON, WGS84)"))
    min_lon = models.FloatField(editable=False)
    min_lat = models.FloatField(editable=False)
    max_lon = models.FloatField(editable=False)
    max_lat = models.FloatField(editable=False)

    class Meta:
        abstract = True

    def set_geometry(self, geojson):
        from directory import geo

        shape = geo.shape_from_geojson(geojson)
        self.geometry = geo.geojson_from_shape(shape)
        self.min_lon, self.min_lat, self.max_lon, self.max_lat = shape.bounds
        return shape

    def shape(self):
        from directory import geo

        return geo.shape_from_geojson(self.geometry)


DEFAULT_DELEGATION_THRESHOLD_PCT = 60


class Perimeter(BBoxMixin):
    layer = models.CharField(_("layer"), max_length=20, choices=Layer.choices, db_index=True)
    code = models.CharField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    properties = models.JSONField(_("other properties"), default=dict, blank=True)
    commune = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="perimeters",
        limit_choices_to={"kind": OrganisationKind.COMMUNE},
        verbose_name=_("commune"),
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="perimeters",
        verbose_name=_("unit in charge"),
    )
    area_m2 = models.FloatField(_("area (m²)"), default=0, editable=False)
    # Delegated management (sub-sectors only): see directory.delegation.
    delegation_threshold_pct = models.DecimalField(
        _("delegation threshold (%)"),
        max_digits=5,
        decimal_places=2,
        default=DEFAULT_DELEGATION_THRESHOLD_PCT,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_(
            "Sub-sectors: the owner of strictly more than this share of the land is the delegated manager."
        ),
    )
    delegated_manager = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="delegated_perimeters",
        editable=False,
        verbose_name=_("delegated manager"),
    )
    land_shares = models.JSONField(
        _("land shares"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("Each owner's land inside the sub-sector, largest first (computed)."),
    )
    land_area_m2 = models.FloatField(_("land covered by parcels (m²)"), default=0, editable=False)
    shares_updated_at = models.DateTimeField(_("shares last changed"), null=True, blank=True, editable=False)
    # Future changes of the delegation (from dated ownership): [{"from": "YYYY-MM-DD", "manager": id or null,
    # "shares": [...]}], in date order; computed with land_shares.
    delegation_schedule = models.JSONField(
        _("scheduled delegation changes"), default=list, blank=True, editable=False
    )

    class Meta:
        ordering = ["layer", "code"]
        constraints = [
            models.UniqueConstraint(fields=["layer", "code"], name="unique_perimeter_code_per_layer")
        ]
        indexes = [
            models.Index(fields=["layer", "min_lon", "max_lon", "min_lat", "max_lat"], name="perimeter_bbox")
        ]
        verbose_name = _("perimeter")
        verbose_name_plural = _("perimeters")

    def __str__(self):
        return f"{self.get_layer_display()} · {self.name}"


class Domain(models.TextChoices):
    PUBLIC = "public", _("Public domain")
    PRIVATE = "private", _("Private domain")


class ParcelQuerySet(models.QuerySet):
    def existing_on(self, day):
        """The parcels that exist on `day` (remembrement retires some and creates others)."""
        return self.filter(
            models.Q(valid_from__isnull=True) | models.Q(valid_from__lte=day),
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=day),
        )


class Parcel(BBoxMixin):
    ref = models.CharField(_("cadastral reference"), max_length=64, unique=True)
    owner = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parcels",
        verbose_name=_("owner"),
        help_text=_("Empty for a private owner who is not a partner organisation."),
    )
    domain = models.CharField(_("domain"), max_length=10, choices=Domain.choices)
    properties = models.JSONField(_("other properties"), default=dict, blank=True)
    area_m2 = models.FloatField(_("area (m²)"), default=0, editable=False)
    # A parcel exists from/until a date (remembrement retires parcels and creates others); empty: always.
    valid_from = models.DateField(_("exists from"), null=True, blank=True)
    valid_until = models.DateField(_("exists until (excluded)"), null=True, blank=True)

    objects = ParcelQuerySet.as_manager()

    class Meta:
        ordering = ["ref"]
        indexes = [models.Index(fields=["min_lon", "max_lon", "min_lat", "max_lat"], name="parcel_bbox")]
        verbose_name = _("parcel")
        verbose_name_plural = _("parcels")

    def __str__(self):
        return self.ref


class Referent(models.Model):
    """A named person to contact in an organisation or unit, with their function (stable over time)."""

    class Function(models.TextChoices):
        GUP_REFERENT = "gup_referent", _("GUP referent")
        CTC_CONTACT = "ctc_contact", _("CTC contact")
        MANAGER = "manager", _("Head of unit")
        AGENCY_CONTACT = "agency_contact", _("Agency contact")
        OTHER = "other", _("Other")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="referents", verbose_name=_("organisation")
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="referents",
        verbose_name=_("unit"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    function = models.CharField(_("function"), max_length=30, choices=Function.choices)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_fictional = models.BooleanField(_("fictional (demo data)"), default=False)

    class Meta:
        ordering = ["organisation__name", "position", "last_name", "first_name"]
        verbose_name = _("referent")
        verbose_name_plural = _("referents")

    def __str__(self):
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}"

    def clean(self):
        if self.unit_id and self.organisation_id and self.unit.organisation_id != self.organisation_id:
            raise ValidationError({"unit": _("The unit must belong to the referent's organisation.")})


MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")
DAYS_IN_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}


def validate_month_day(value):
    match = MONTH_DAY.match(value or "")
    if not match or int(match.group(2)) > DAYS_IN_MONTH[int(match.group(1))]:
        raise ValidationError(_("Enter a day of the year as MM-DD, e.g. 04-15."), code="invalid")


def in_season(start, end, month_day):
    """Whether month_day ("MM-DD") falls in the season start..end (inclusive, may wrap over New Year)."""
    if not start or not end:
        return True
    if start <= end:
        return start <= month_day <= end
    return month_day >= start or month_day <= end


class Competence(models.Model):
    """A unit handles a category on a territory, optionally for a season only."""

    unit = models.ForeignKey(
        Unit, on_delete=models.CASCADE, related_name="competences", verbose_name=_("unit")
    )
    category = models.ForeignKey(
        "procedures.Category",
        on_delete=models.CASCADE,
        related_name="competences",
        verbose_name=_("category"),
    )
    communes = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="competences_here",
        limit_choices_to={"kind": OrganisationKind.COMMUNE},
        verbose_name=_("communes"),
        help_text=_("Empty: the unit's own territory (or, for a land owner, wherever it owns land)."),
    )
    season_start = models.CharField(
        _("season start (MM-DD)"), max_length=5, blank=True, validators=[validate_month_day]
    )
    season_end = models.CharField(
        _("season end (MM-DD)"), max_length=5, blank=True, validators=[validate_month_day]
    )
    direct_handling = models.BooleanField(
        _("direct handling"),
        default=False,
        help_text=_(
            "Requests of this category go straight to this unit (e.g. waste to the waste direction)."
        ),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["category__code", "unit__code", "pk"]
        verbose_name = _("competence")
        verbose_name_plural = _("competences")

    def __str__(self):
        return f"{self.unit} · {self.category}"

    def clean(self):
        if bool(self.season_start) != bool(self.season_end):
            raise ValidationError(_("A season needs both its start and its end."))

    @property
    def season_label(self):
        return f"{self.season_start} → {self.season_end}" if self.season_start else ""


class SplitRule(models.Model):
    """A sub-sector's explicit split: for a category, which unit (CU, landlord, contractor) acts there."""

    perimeter = models.ForeignKey(
        Perimeter,
        on_delete=models.CASCADE,
        related_name="split_rules",
        limit_choices_to={"layer": Layer.SUBSECTORS},
        verbose_name=_("sub-sector"),
    )
    category = models.ForeignKey(
        "procedures.Category",
        on_delete=models.CASCADE,
        related_name="split_rules",
        verbose_name=_("category"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="split_rules", verbose_name=_("unit")
    )
    note = models.CharField(_("what is done"), max_length=300, blank=True)

    class Meta:
        ordering = ["perimeter__code", "category__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["perimeter", "category"], name="unique_split_per_subsector_category"
            )
        ]
        verbose_name = _("sub-sector split rule")
        verbose_name_plural = _("sub-sector split rules")

    def __str__(self):
        return f"{self.perimeter.code} · {self.category} → {self.unit}"

    def clean(self):
        if self.perimeter_id and self.perimeter.layer != Layer.SUBSECTORS:
            raise ValidationError({"perimeter": _("A split rule belongs to a sub-sector.")})


# Bumps made by this process (any thread), and whether this thread bumped in a transaction it has not left
# yet (its outcome unknown: committed or rolled back).
LOCAL_BUMPS = {"count": 0}
_uncommitted = threading.local()


def bumped_in_open_transaction():
    """Whether this thread bumped a LayerVersion in a transaction it is still in (forgotten once out)."""
    from django.db import connection

    if not connection.in_atomic_block:
        _uncommitted.bumped = False
    return getattr(_uncommitted, "bumped", False)


class LayerVersion(models.Model):
    """Counters bumped on every write to the territory or the routing rules (two rows).

    `territory` covers perimeters and parcels (the spatial index, expensive to rebuild); `rules` covers
    organisations, units, competences and split rules (cheap). The routing index compares both with the
    versions it was built from (one cheap query per call) and rebuilds only the part that changed, so a
    change made by any process (import, admin, another worker) is seen by all of them.
    """

    TERRITORY = "territory"
    RULES = "rules"
    NAMES = (TERRITORY, RULES)

    name = models.CharField(max_length=30, unique=True)
    version = models.PositiveBigIntegerField(default=0)
    # A random token rewritten with every bump: a version number seen again after a rollback (or a
    # restored database) never passes for the index built from other data.
    token = models.CharField(max_length=32, default="")

    class Meta:
        verbose_name = _("layer version")
        verbose_name_plural = _("layer versions")

    def __str__(self):
        return f"{self.name}={self.version}"

    @classmethod
    def bump(cls, *names):
        """Bump the given counters (default: both, for code that cannot tell what it changed)."""
        from django.db import connection

        for name in names or cls.NAMES:
            token = uuid.uuid4().hex
            updated = cls.objects.filter(name=name).update(version=F("version") + 1, token=token)
            if not updated:
                cls.objects.get_or_create(name=name, defaults={"version": 1, "token": token})
        # What the routing index's cached stamp (directory.routing.current_stamp) must know of this process.
        LOCAL_BUMPS["count"] += 1
        if connection.in_atomic_block:
            _uncommitted.bumped = True

    @classmethod
    def current(cls, names=NAMES):
        """The sum of the routing index's counters (or of those named): grows by one with every single
        bump of one of them. The other counters (``sectors``, ``catalogue``) belong to their own caches."""
        return sum(cls.objects.filter(name__in=names).values_list("version", flat=True))

    @classmethod
    def counters(cls):
        """{name: (version, token)} of every counter (the routing index's, ``sectors``, ``catalogue``) in
        one query."""
        from django.db import connection

        # A plain cursor: the ORM's own overhead would be most of the routing resolver's time.
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT name, version, token FROM {cls._meta.db_table}")
            return {name: (version, token) for name, version, token in cursor.fetchall()}

    @classmethod
    def stamp(cls, counters=None):
        """((territory version, token), (rules version, token)), from ``counters`` or in one query;
        (0, "") before any write."""
        counters = cls.counters() if counters is None else counters
        return tuple(counters.get(name, (0, "")) for name in cls.NAMES)


class DirectoryAuditEntry(ActorAuditModel):
    """A change to the directory or the territory (role assignments, perimeters, parcels, layer imports):
    who did it, when, to what. Append-only, like the engine's audit of cases."""

    event = models.CharField(_("event"), max_length=64)
    target = models.CharField(
        _("target"), max_length=200, help_text=_("What was changed, e.g. perimeter:qpv/vf.")
    )

    class Meta(ActorAuditModel.Meta):
        verbose_name = _("directory audit entry")
        verbose_name_plural = _("directory audit entries")

    def __str__(self):
        return f"{self.event} {self.target}"


class PartnerReview(models.Model):
    """One partner organisation's answer in one round of a partner approval (directory.approvals): a row per
    partner per viewflow process, created with the partner's human task. Written only by
    directory.approvals.actions and the reminder node."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting an answer")
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")

    process = models.ForeignKey(
        "viewflow.Process",
        on_delete=models.CASCADE,
        related_name="partner_reviews",
        verbose_name=_("process"),
    )
    task = models.OneToOneField(
        "viewflow.Task", on_delete=models.CASCADE, related_name="partner_review", verbose_name=_("task")
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="partner_reviews", verbose_name=_("partner")
    )
    # what is being approved (the process's artifact, copied here so that inboxes need no viewflow join)
    subject_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+", verbose_name=_("subject type")
    )
    subject_id = models.PositiveBigIntegerField(_("subject id"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    comment = models.TextField(_("comment"), blank=True)
    answered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("answered by")
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminder"), null=True, blank=True)

    class Meta:
        ordering = ["process_id", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["process", "organisation"], name="unique_partner_review_per_round"
            )
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="partner_review_subject"),
            models.Index(fields=["organisation", "status"], name="partner_review_inbox"),
        ]
        verbose_name = _("partner review")
        verbose_name_plural = _("partner reviews")

    def __str__(self):
        return f"{self.organisation} · {self.get_status_display()}"


from directory.models_land import (  # noqa: E402,F401  (models of the same app, split by noun)
    LandOperation,
    LandOperationKind,
    OwnershipSource,
    ParcelOwnership,
    SirenMapping,
)
