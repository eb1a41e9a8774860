"""GUP domain data for intervention requests: categories, attributes, urgency criteria, service levels,
the requests themselves, their messages, followers and notifications."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def current_language():
    """The active language's base code ("fr", "en")."""
    return (get_language() or settings.LANGUAGE_CODE or "fr").split("-")[0]


class LocalizedName:
    """``localized_name``: the English name (``name_en``) when the active language is English and it is
    filled in, else the name (French, the platform's language)."""

    @property
    def localized_name(self):
        return (self.name_en if current_language() == "en" else "") or self.name


class LocalizedLabel:
    """``localized_label``: the English label (``label_en``) in English when filled in, else the label."""

    @property
    def localized_label(self):
        return (getattr(self, "label_en", "") if current_language() == "en" else "") or self.label


class CategoryGroup(LocalizedName, models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("category group")
        verbose_name_plural = _("category groups")

    def __str__(self):
        return self.name


class Category(LocalizedName, models.Model):
    """A type of dysfunction; what Open311 calls a service."""

    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    group = models.ForeignKey(
        CategoryGroup, on_delete=models.PROTECT, related_name="categories", verbose_name=_("group")
    )
    keywords = models.CharField(_("keywords"), max_length=300, blank=True, help_text=_("Comma-separated."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["group__position", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self):
        return self.name

    @property
    def keyword_list(self):
        return [word.strip() for word in self.keywords.split(",") if word.strip()]


# --- category attributes (NetBox custom-field style: definition rows, values stored as JSON) -------


class AttributeType(models.TextChoices):
    STRING = "string", _("Short text")
    TEXT = "text", _("Long text")
    NUMBER = "number", _("Number")
    DATETIME = "datetime", _("Date and time")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")


class CategoryAttribute(LocalizedLabel, models.Model):
    """A typed attribute the requester fills in for a category (Open311 "attribute")."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="attributes", verbose_name=_("category")
    )
    code = models.SlugField(_("code"), max_length=64)
    label = models.CharField(_("label"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    help_text_en = models.CharField(_("help text (English)"), max_length=300, blank=True)
    type = models.CharField(_("type"), max_length=20, choices=AttributeType.choices)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(
        _("choices"),
        default=list,
        blank=True,
        help_text=_("For choice types: a list of allowed values."),
    )
    choice_labels_en = models.JSONField(
        _("choices (English)"),
        default=dict,
        blank=True,
        help_text=_('For choice types: the English label of each value, e.g. {"gravats": "rubble"}.'),
    )
    min_value = models.FloatField(_("minimum"), null=True, blank=True)
    max_value = models.FloatField(_("maximum"), null=True, blank=True)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["category", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="unique_attribute_code_per_category")
        ]
        verbose_name = _("category attribute")
        verbose_name_plural = _("category attributes")

    def __str__(self):
        return f"{self.category.code}.{self.code}"

    def clean(self):
        is_choice = self.type in (AttributeType.SINGLE_CHOICE, AttributeType.MULTIPLE_CHOICE)
        if is_choice:
            if not isinstance(self.choices, list) or not self.choices:
                raise ValidationError({"choices": _("A choice attribute needs a non-empty list of choices.")})
            if not all(isinstance(choice, str) and choice for choice in self.choices):
                raise ValidationError({"choices": _("Choices must be non-empty texts.")})
            if len(set(self.choices)) != len(self.choices):
                raise ValidationError({"choices": _("Choices must be distinct.")})
        elif self.choices:
            raise ValidationError({"choices": _("Only choice attributes have choices.")})
        labels = self.choice_labels_en or {}
        if not isinstance(labels, dict) or not all(isinstance(text, str) for text in labels.values()):
            raise ValidationError(
                {"choice_labels_en": _("Give an object mapping each value to its English label.")}
            )
        unknown = sorted(set(labels) - set(self.choices or ()))
        if unknown:
            raise ValidationError(
                {
                    "choice_labels_en": _("Not a choice of this attribute: %(values)s.")
                    % {"values": ", ".join(unknown)}
                }
            )
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValidationError({"max_value": _("The maximum is below the minimum.")})

    @property
    def localized_help_text(self):
        return (self.help_text_en if current_language() == "en" else "") or self.help_text

    def choice_label(self, value):
        """The label of one choice value in the active language (the value itself in French)."""
        if current_language() == "en":
            return (self.choice_labels_en or {}).get(value) or value
        return value

    def validate_value(self, value):
        """The cleaned value to store (JSON-serialisable), or ValidationError with the reason."""
        from procedures.attributes import clean_attribute_value

        return clean_attribute_value(self, value)


class UrgencyCriterion(LocalizedLabel, models.Model):
    """An objective reason that makes a request of a category urgent (danger to people, access blocked...)."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="urgency_criteria", verbose_name=_("category")
    )
    code = models.SlugField(_("code"), max_length=64)
    label = models.CharField(_("label"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="unique_criterion_code_per_category")
        ]
        verbose_name = _("urgency criterion")
        verbose_name_plural = _("urgency criteria")

    def __str__(self):
        return self.label


# --- service levels ----------------------------------------------------------------------------------


class ZoneType(models.TextChoices):
    QPV = "qpv", _("Priority neighbourhood (QPV)")
    OTHER = "other", _("Elsewhere")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


month_day_validator = RegexValidator(
    r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", _("Write the date as MM-DD, for example 04-15.")
)


class ServiceLevel(models.Model):
    """Acknowledge and resolve targets, in business hours, for a slice of requests.

    Empty dimensions match everything. Among the levels that match a request, the most specific wins:
    the one with the most dimensions set; ties go to the level whose category is set, then its zone type,
    then its urgency, then its season.
    """

    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey(
        Category,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="service_levels",
        verbose_name=_("category"),
        help_text=_("Empty: every category."),
    )
    zone_type = models.CharField(
        _("zone type"), max_length=10, choices=ZoneType.choices, blank=True, help_text=_("Empty: everywhere.")
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, blank=True, help_text=_("Empty: any urgency.")
    )
    season_start = models.CharField(
        _("season start (MM-DD)"), max_length=5, blank=True, validators=[month_day_validator]
    )
    season_end = models.CharField(
        _("season end (MM-DD, included)"),
        max_length=5,
        blank=True,
        validators=[month_day_validator],
        help_text=_("A season may wrap over the new year (11-01 to 03-31)."),
    )
    acknowledge_hours = models.PositiveIntegerField(_("acknowledge within (business hours)"))
    resolve_hours = models.PositiveIntegerField(_("resolve within (business hours)"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category__code", "zone_type", "urgency", "season_start"]
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")

    def __str__(self):
        return self.name

    def clean(self):
        if bool(self.season_start) != bool(self.season_end):
            raise ValidationError({"season_end": _("A season needs both a start and an end.")})
        if self.acknowledge_hours is not None and self.resolve_hours is not None:
            if self.acknowledge_hours > self.resolve_hours:
                raise ValidationError(
                    {"resolve_hours": _("The resolve target cannot be shorter than the acknowledge target.")}
                )
            if self.resolve_hours == 0:
                raise ValidationError({"resolve_hours": _("The resolve target must be positive.")})

    def in_season(self, day):
        if not self.season_start:
            return True
        key = day.strftime("%m-%d")
        if self.season_start <= self.season_end:
            return self.season_start <= key <= self.season_end
        return key >= self.season_start or key <= self.season_end

    @property
    def specificity(self):
        flags = (bool(self.category_id), bool(self.zone_type), bool(self.urgency), bool(self.season_start))
        return (sum(flags), *flags)


# --- intervention requests ---------------------------------------------------------------------------


class RequestCounter(models.Model):
    """The last number given to a request reference in a year (DI-YYYY-NNNNNN)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("request counter")
        verbose_name_plural = _("request counters")

    def __str__(self):
        return f"{self.year}: {self.last}"


class InterventionRequest(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    case = models.OneToOneField(
        "engine.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="intervention_request",
        verbose_name=_("case"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="requests", verbose_name=_("category")
    )
    # Copied from the category at filing (and on recategorisation) for the duplicate lookup index.
    category_group = models.ForeignKey(
        CategoryGroup, on_delete=models.PROTECT, related_name="+", verbose_name=_("category group")
    )
    description = models.TextField(_("description"))
    lon = models.FloatField(_("longitude (WGS84)"))
    lat = models.FloatField(_("latitude (WGS84)"))
    x_l93 = models.FloatField(_("x (Lambert-93, m)"), editable=False)
    y_l93 = models.FloatField(_("y (Lambert-93, m)"), editable=False)
    address = models.CharField(_("address"), max_length=300, blank=True)
    commune = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="requests_in_commune",
        verbose_name=_("commune"),
    )
    in_qpv = models.BooleanField(_("in a QPV"), default=False)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    urgency_requested = models.CharField(
        _("urgency asked by the requester"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    urgency_criteria = models.ManyToManyField(
        UrgencyCriterion, blank=True, related_name="requests", verbose_name=_("urgency criteria")
    )
    urgency_justified = models.BooleanField(
        _("urgency justified"), null=True, blank=True, help_text=_("Empty when the request is not urgent.")
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    requester_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="requests_filed",
        verbose_name=_("requester organisation"),
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests_filed",
        verbose_name=_("requester"),
    )
    dispatcher_unit = models.ForeignKey(
        "directory.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests_dispatched",
        verbose_name=_("dispatching unit"),
    )
    handler_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests_handled",
        verbose_name=_("handler organisation"),
    )
    handler_unit = models.ForeignKey(
        "directory.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests_handled",
        verbose_name=_("handler unit"),
    )
    handler_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests_assigned",
        verbose_name=_("handler agent"),
    )
    routing_explanation = models.TextField(_("routing explanation"), blank=True)
    to_qualify = models.BooleanField(_("routing to be qualified"), default=False)
    sector_version = models.ForeignKey(  # the sub-sector procedure version that routed it (kept)
        "procedures.SectorVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("sub-sector procedure version"),
    )
    planned_date = models.DateField(_("planned date"), null=True, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    created_at = models.DateTimeField(_("filed at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True, help_text=_("Set while the request is in a final state.")
    )
    search_text = models.TextField(
        _("search text"),
        blank=True,
        default="",
        editable=False,
        help_text=_("Description and address in lowercase without accents (procedures.search)."),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Duplicate candidates: open requests only (most are closed), by group and position.
            models.Index(
                fields=["category_group", "x_l93", "y_l93"],
                name="request_open_by_place",
                condition=models.Q(closed_at__isnull=True),
            ),
            models.Index(fields=["commune", "created_at"], name="request_commune"),
            models.Index(fields=["handler_unit", "closed_at"], name="request_handler"),
            models.Index(fields=["dispatcher_unit", "closed_at"], name="request_dispatcher"),
        ]
        verbose_name = _("intervention request")
        verbose_name_plural = _("intervention requests")

    def __str__(self):
        return self.reference

    @property
    def is_closed(self):
        return self.closed_at is not None


class RequestFollower(models.Model):
    """An organisation (a commune) that follows a request it did not file; it reads its messages."""

    request = models.ForeignKey(
        InterventionRequest, on_delete=models.CASCADE, related_name="followers", verbose_name=_("request")
    )
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.CASCADE,
        related_name="followed_requests",
        verbose_name=_("organisation"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("added by"),
    )
    via_merge = models.BooleanField(_("through a merge of duplicates"), default=False)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "organisation"], name="unique_request_follower")
        ]
        verbose_name = _("request follower")
        verbose_name_plural = _("request followers")

    def __str__(self):
        return f"{self.organisation} → {self.request}"


class MessageKind(models.TextChoices):
    FILED = "filed", _("Filed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    QUALIFIED = "qualified", _("Qualified")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("Work started")
    WAITING = "waiting", _("Waiting")
    RESUMED = "resumed", _("Resumed")
    DONE = "done", _("Done")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    REJECTED = "rejected", _("Rejected")
    REDIRECTED = "redirected", _("Redirected")
    MERGED = "merged", _("Merged into another request")
    URGENCY = "urgency", _("Urgency check")


class RequestMessage(models.Model):
    """What the commune is told about its request (feedback beyond the acknowledgement)."""

    request = models.ForeignKey(
        InterventionRequest, on_delete=models.CASCADE, related_name="messages", verbose_name=_("request")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MessageKind.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    notified_at = models.DateTimeField(
        _("notified at"), null=True, blank=True, help_text=_("When it was sent to the commune's users.")
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["request"],
                name="request_message_pending",
                condition=models.Q(notified_at__isnull=True),
            )
        ]
        verbose_name = _("request message")
        verbose_name_plural = _("request messages")

    def __str__(self):
        return f"{self.request_id}:{self.kind}"


# --- notifications ------------------------------------------------------------------------------------


class NotificationEvent(models.TextChoices):
    FILED = "filed", _("A request is filed for my unit")
    MESSAGE = "message", _("A new message on a request of my commune")
    ALERT = "alert", _("An alert is raised or answered")
    DEADLINE = "deadline", _("A deadline is near or missed")


class NotificationPreference(models.Model):
    """What a user wants to be told, per event and channel (missing row: everything on)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    event = models.CharField(_("event"), max_length=20, choices=NotificationEvent.choices)
    by_email = models.BooleanField(_("by email"), default=True)
    in_app = models.BooleanField(_("in the application"), default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="unique_notification_preference")
        ]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return f"{self.user_id}:{self.event}"


class Notification(models.Model):
    """An in-application notification."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("user"),
    )
    request = models.ForeignKey(
        InterventionRequest,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("request"),
    )
    event = models.CharField(_("event"), max_length=20, choices=NotificationEvent.choices)
    text = models.CharField(_("text"), max_length=500)
    source_event_id = models.BigIntegerField(_("outbox event"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source_event_id", "event"],
                condition=models.Q(source_event_id__isnull=False),
                name="unique_notification_per_event",
            )
        ]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.text


from procedures.sectors.clect_models import *  # noqa: E402, F403  (their CLECT groups)
from procedures.sectors.models import *  # noqa: E402, F403  (sub-sector procedures: procedures/sectors/)
