"""Getting access: invitations sent by a referent, access requests made from the login page.

Accounts themselves are ``directory.User`` rows with their ``RoleAssignment`` rows; every grant, change
and removal of a role, every invitation, decision and deactivation writes a ``DirectoryAuditEntry``
(accounts/actions.py), so one log holds the whole history of who may do what.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def _new_secret():
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    """An invitation to join an organisation with some roles; its link (a token signed with the site's
    key around ``secret``) works once, until ``expires_at``."""

    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("organisation"),
    )
    unit = models.ForeignKey(
        "directory.Unit", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("unit")
    )
    email = models.EmailField(_("email"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    job_title = models.CharField(_("function"), max_length=200, blank=True)
    roles = models.JSONField(_("roles"), default=list)
    secret = models.CharField(max_length=64, default=_new_secret, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("account created"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.organisation_id}"

    def is_pending(self, now=None):
        return self.accepted_at is None and (now or timezone.now()) < self.expires_at


class AccessRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", pgettext_lazy("access request", "Approved")
    REFUSED = "refused", _("Refused")


class AccessRequest(models.Model):
    """Someone asking for an account from the login page; the organisation's referents decide."""

    first_name = models.CharField(_("first name"), max_length=150)
    last_name = models.CharField(_("last name"), max_length=150)
    email = models.EmailField(_("email"))
    organisation = models.ForeignKey(
        "directory.Organisation",
        on_delete=models.PROTECT,
        related_name="access_requests",
        verbose_name=_("organisation"),
    )
    job_title = models.CharField(_("function"), max_length=200)
    reason = models.TextField(_("reason"), max_length=2000)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=AccessRequestStatus.choices,
        default=AccessRequestStatus.PENDING,
        db_index=True,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    refusal_reason = models.TextField(_("reason for refusal"), max_length=2000, blank=True)
    invitation = models.OneToOneField(
        Invitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_request",
        verbose_name=_("invitation"),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")

    def __str__(self):
        return f"{self.email} ({self.status})"


class RetentionRecord(models.Model):
    """A closed request whose personal data the retention job removed (and the claim that stops two
    workers treating it twice: one row per request)."""

    request = models.OneToOneField(
        "procedures.InterventionRequest",
        on_delete=models.CASCADE,
        related_name="retention_record",
        verbose_name=_("request"),
    )
    anonymised_at = models.DateTimeField(_("anonymised"), default=timezone.now)
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("retention record")
        verbose_name_plural = _("retention records")

    def __str__(self):
        return f"{self.request_id} @ {self.anonymised_at:%Y-%m-%d}"


class PersonalText(models.TextChoices):
    """The free texts of a request a user may mark as holding personal data."""

    DESCRIPTION = "description", _("description")
    RESOLUTION_NOTE = "resolution_note", _("resolution note")
    COMMENT = "comment", _("comment")
    MESSAGE = "message", _("message to the commune")


class PersonalDataMark(models.Model):
    """A user's word that a free text of a request holds personal data (a name, a contact, a health
    detail…): the whole text (``spans`` empty) or the passages ``spans`` (``[start, end]`` offsets in
    the text as it was when marked). When the retention period of the closed request ends, the
    retention job erases what is marked and keeps the unmarked texts (without their e-mail addresses and
    phone numbers). ``object_id`` is the request's for its description and resolution note, the
    comment's or the message's otherwise."""

    request = models.ForeignKey(
        "procedures.InterventionRequest",
        on_delete=models.CASCADE,
        related_name="personal_data_marks",
        verbose_name=_("request"),
    )
    text = models.CharField(_("text"), max_length=20, choices=PersonalText.choices)
    object_id = models.PositiveBigIntegerField(_("object id"))
    spans = models.JSONField(_("passages"), default=list, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("marked by"),
    )
    marked_at = models.DateTimeField(_("marked"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["text", "object_id"], name="unique_personal_data_mark")
        ]
        verbose_name = _("personal data mark")
        verbose_name_plural = _("personal data marks")

    def __str__(self):
        return f"{self.text}:{self.object_id}"

    @property
    def whole(self):
        return not self.spans
