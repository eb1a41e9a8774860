"""Steering of the GUP programme: meetings and their kinds, invitations and answers, agenda items,
documents, decisions, the actions decided and their follow-up, workshops' questionnaires and the
communes' answers, recommendations to urban-renewal teams, and the steering audit trail.

Rows are only written through ``steering.actions`` (one transaction, permission check, audit entry,
outbox events for the e-mails)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.models import ActorAuditModel

# The five shipped kinds (migration 0002); administrators may add others.
REFERENTS_MEETING = "referents_meeting"
WORKSHOP = "partner_workshop"
TECHNICAL_COMMITTEE = "technical_committee"
STEERING_COMMITTEE = "steering_committee"
SERVICES_MEETING = "services_meeting"


class MeetingKind(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("meeting kind")
        verbose_name_plural = _("meeting kinds")

    def __str__(self):
        return self.name


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Meeting(models.Model):
    kind = models.ForeignKey(
        MeetingKind, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("kind")
    )
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("start"), db_index=True)
    ends_at = models.DateTimeField(_("end"))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_url = models.URLField(_("video link"), blank=True)
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="organised_meetings",
        verbose_name=_("organiser"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=MeetingStatus.choices,
        default=MeetingStatus.PLANNED,
        db_index=True,
    )
    uid = models.UUIDField(_("calendar identifier"), default=uuid.uuid4, unique=True, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    invitations_sent_at = models.DateTimeField(_("invitations sent"), null=True, blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    prepares = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="prepared_by",
        verbose_name=_("steering committee prepared"),
    )
    invited_organisations = models.ManyToManyField(
        "directory.Organisation",
        blank=True,
        related_name="steering_meetings",
        verbose_name=_("invited organisations"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")

    def __str__(self):
        return self.title


class Answer(models.TextChoices):
    PENDING = "pending", _("No answer yet")
    ATTENDING = "attending", _("Attending")
    NOT_ATTENDING = "not_attending", _("Not attending")
    REPRESENTED = "represented", _("Represented")


class Invitation(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="invitations")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="meeting_invitations"
    )
    answer = models.CharField(_("answer"), max_length=20, choices=Answer.choices, default=Answer.PENDING)
    represented_by = models.CharField(_("represented by"), max_length=200, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)

    class Meta:
        ordering = ["meeting", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "person"], name="steering_one_invitation_per_person")
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.person} · {self.meeting}"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="agenda_items")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=300)
    action = models.ForeignKey(
        "Action",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("action followed up"),
    )
    evidence = models.JSONField(
        _("observation figures"),
        default=dict,
        blank=True,
        help_text=_(
            "The figures a topic pulled in from the observation comes with (steering.observation_topics)."
        ),
    )

    class Meta:
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "action"],
                condition=Q(action__isnull=False),
                name="steering_action_once_per_agenda",
            )
        ]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self):
        return self.title


class DocumentKind(models.TextChoices):
    AGENDA = "agenda", _("Agenda")
    SLIDES = "slides", _("Slides")
    MINUTES = "minutes", _("Minutes")
    OTHER = "other", _("Other")


class MeetingDocument(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(
        _("kind"), max_length=20, choices=DocumentKind.choices, default=DocumentKind.OTHER
    )
    file = models.FileField(_("file"), upload_to="steering/%Y/%m/")
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = _("meeting document")
        verbose_name_plural = _("meeting documents")

    def __str__(self):
        return self.name


class Decision(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.TextField(_("decision"))

    class Meta:
        ordering = ["meeting", "position", "pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self):
        return self.text[:80]


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    ABANDONED = "abandoned", _("Abandoned")


OPEN_ACTION_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


class Action(models.Model):
    """Something a decision asks someone to do, followed up until done or abandoned."""

    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("meeting"),
    )
    decision = models.ForeignKey(
        Decision,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("decision"),
    )
    owner_organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="steering_actions",
        verbose_name=_("owner"),
    )
    owner_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="steering_actions",
        verbose_name=_("person in charge"),
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.PLANNED, db_index=True
    )
    abandon_reason = models.TextField(_("reason for abandoning"), blank=True)
    commune = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="steering_actions_concerning",
        verbose_name=_("commune concerned"),
    )
    qpv = models.ForeignKey(
        "directory.Perimeter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("QPV"),
    )
    requests = models.ManyToManyField(
        "procedures.InterventionRequest",
        blank=True,
        related_name="steering_actions",
        verbose_name=_("requests"),
    )
    discussed_at = models.ManyToManyField(
        Meeting, blank=True, related_name="actions_discussed", verbose_name=_("discussed at")
    )
    sector_procedures = models.ManyToManyField(
        "procedures.SectorProcedure",
        blank=True,
        related_name="steering_actions",
        verbose_name=_("sub-sector procedures"),
    )
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("What produced the action in another module, e.g. diagnostics.finding:12."),
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True, editable=False)
    overdue_sent_at = models.DateTimeField(_("overdue notice sent"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["due_date", "pk"]
        indexes = [
            models.Index(
                fields=["due_date"],
                condition=Q(status__in=["planned", "in_progress"]),
                name="steering_open_action_due",
            )
        ]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.status in OPEN_ACTION_STATUSES

    def is_overdue(self, today=None):
        today = today or timezone.localdate()
        return self.is_open and self.due_date is not None and self.due_date < today


# --- workshops and questionnaires ----------------------------------------------------------------


class WorkshopTopic(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="topics")
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    chosen = models.BooleanField(_("chosen"), default=False)
    evidence = models.JSONField(
        _("observation figures"),
        default=dict,
        blank=True,
        help_text=_(
            "The figures a topic pulled in from the observation comes with (steering.observation_topics)."
        ),
    )

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = _("workshop topic")
        verbose_name_plural = _("workshop topics")

    def __str__(self):
        return self.title


class Questionnaire(models.Model):
    meeting = models.OneToOneField(Meeting, on_delete=models.CASCADE, related_name="questionnaire")
    title = models.CharField(_("title"), max_length=200)
    introduction = models.TextField(_("introduction"), blank=True)
    deadline = models.DateTimeField(_("deadline"))
    reminder_at = models.DateTimeField(_("reminder"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True, editable=False)
    communes = models.ManyToManyField(
        "directory.Organisation", blank=True, related_name="+", verbose_name=_("communes asked")
    )

    class Meta:
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self):
        return self.title

    def is_open(self, now=None):
        return self.sent_at is not None and (now or timezone.now()) <= self.deadline


class QuestionType(models.TextChoices):
    TEXT = "text", _("Text")
    NUMBER = "number", _("Number")
    CHOICE = "choice", _("Choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    FILE = "file", _("File")


class Question(models.Model):
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("question"), max_length=500)
    type = models.CharField(_("type"), max_length=20, choices=QuestionType.choices, default=QuestionType.TEXT)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=False)

    class Meta:
        ordering = ["questionnaire", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.text


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class QuestionnaireResponse(models.Model):
    """One commune's answers (``answers``: question id as text -> value); a draft until submitted, editable
    until the deadline."""

    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.CASCADE, related_name="responses")
    commune = models.ForeignKey("directory.Organisation", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=20, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    class Meta:
        ordering = ["questionnaire", "commune__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "commune"], name="steering_one_response_per_commune"
            )
        ]
        verbose_name = _("questionnaire answer")
        verbose_name_plural = _("questionnaire answers")

    def __str__(self):
        return f"{self.questionnaire} · {self.commune}"


class ResponseFile(models.Model):
    response = models.ForeignKey(QuestionnaireResponse, on_delete=models.CASCADE, related_name="files")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to="steering/answers/%Y/")
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="steering_one_file_per_answer")
        ]

    def __str__(self):
        return self.name


# --- recommendations to urban-renewal teams -------------------------------------------------------


class RecommendationStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    TAKEN = "taken", _("Taken into account")
    NOT_TAKEN = "not_taken", _("Not taken into account")


class Recommendation(models.Model):
    project = models.CharField(_("urban-renewal project"), max_length=200, blank=True)
    qpv = models.ForeignKey(
        "directory.Perimeter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("QPV"),
    )
    issue = models.TextField(_("management issue"))
    recommendation = models.TextField(_("recommendation"))
    source = models.CharField(_("source"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=RecommendationStatus.choices, default=RecommendationStatus.SENT
    )
    answer = models.TextField(_("answer"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "pk"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")

    def __str__(self):
        return self.project or str(self.qpv)


class SteeringAuditEntry(ActorAuditModel):
    event = models.CharField(_("event"), max_length=64)
    target = models.CharField(_("target"), max_length=200, help_text=_("What it is about, e.g. meeting:12."))

    class Meta(ActorAuditModel.Meta):
        verbose_name = _("steering audit entry")
        verbose_name_plural = _("steering audit entries")


# --- the DVQ's guide ----------------------------------------------------------------------------


class GuidePage(models.Model):
    """A page of the DVQ's operating guide, in Markdown (rendered without raw HTML). Every change keeps
    the previous text as a version."""

    slug = models.SlugField(_("address"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    version = models.PositiveIntegerField(_("version"), default=1)
    categories = models.ManyToManyField(
        "procedures.Category", blank=True, related_name="guide_pages", verbose_name=_("categories explained")
    )
    urgency_criteria = models.ManyToManyField(
        "procedures.UrgencyCriterion",
        blank=True,
        related_name="guide_pages",
        verbose_name=_("urgency criteria explained"),
    )
    steps = models.JSONField(
        _("procedure steps explained"),
        default=list,
        blank=True,
        help_text=_("Names of the procedure steps (states) this page explains, e.g. qualification."),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["title"]
        verbose_name = _("guide page")
        verbose_name_plural = _("guide pages")

    def __str__(self):
        return self.title


class GuidePageVersion(models.Model):
    page = models.ForeignKey(GuidePage, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text (Markdown)"))
    change_note = models.CharField(_("what changed"), max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["page", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="steering_one_guide_version_number")
        ]
        verbose_name = _("guide page version")
        verbose_name_plural = _("guide page versions")

    def __str__(self):
        return f"{self.title} (v{self.number})"


class CalendarFeed(models.Model):
    """A user's secret iCalendar feed address: only the SHA-256 of its key is stored (the address is shown
    once, when it is made; making a new one revokes the old)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)
