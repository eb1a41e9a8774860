"""Personal data: a person's export, their anonymisation on request, and the retention job.

- ``export_person_data(person)``: what the product holds about one person, as JSON-ready data.
- ``do_anonymise_person(person, *, acting_user)``: an administrator (or the system) replaces the
  person's name, e-mail, phone and job title, deactivates the account and takes its roles; the
  account row stays, so the audit trail keeps who acted as a pseudonymous id (``anonyme-<id>``).
- ``apply_retention(now=None, dry_run=False)`` (worker job): closed requests older than
  GUP_PERSONAL_DATA_RETENTION_DAYS lose the link to their requester and agent, their comments' authors,
  their photos and documents, and their in-app notifications. Their free texts (description, resolution
  note, comments, messages to the commune) are erased where a user marked them as holding personal data
  (accounts.actions.marks: the whole text becomes « […] », or only the passages marked) and kept
  otherwise, without the e-mail addresses and phone numbers they hold; the marks go with them. Each
  request is claimed by inserting its ``RetentionRecord`` (unique), so two
  workers never treat it twice. A dry run says what would change and writes nothing.
"""

import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import conf
from accounts.actions.access import _audit, _check
from accounts.models import AccessRequest, Invitation, PersonalDataMark, PersonalText, RetentionRecord
from accounts.rules import is_administrator
from directory.models import DirectoryAuditEntry, RoleAssignment, User
from engine.actions.redaction import redact_audit_texts

REDACTED = "[…]"
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?<!\d)(?:\+33\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")


def scrub(text):
    """The text without the e-mail addresses and French phone numbers it holds."""
    return PHONE_RE.sub(REDACTED, EMAIL_RE.sub(REDACTED, text or ""))


def erase(text, mark):
    """What the retention job keeps of ``text``: nothing (« […] ») when the whole is marked, the text
    without its marked passages otherwise; and never its e-mail addresses and phone numbers."""
    if mark is None:
        return scrub(text)
    if mark.whole:
        return REDACTED
    text = text or ""
    for start, end in sorted(mark.spans, reverse=True):  # offsets of the text as marked
        text = text[:start] + REDACTED + text[end:]
    return scrub(text)


def pseudonym(person):
    return f"anonyme-{person.pk}"


# --- export --------------------------------------------------------------------------------------


def _when(value):
    return value.isoformat() if value else None


def export_person_data(person):
    """Everything the product holds about ``person`` (account, roles, access, requests, comments,
    notifications, audit entries as actor), JSON-ready."""
    from engine.models import AuditEntry, Comment
    from procedures.models import InterventionRequest, Notification

    email = person.email
    return {
        "account": {
            "id": person.pk,
            "username": person.username,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": email,
            "phone": person.phone,
            "job_title": person.job_title,
            "organisation": person.organisation.name if person.organisation_id else None,
            "unit": person.unit.name if person.unit_id else None,
            "is_active": person.is_active,
            "date_joined": _when(person.date_joined),
            "last_login": _when(person.last_login),
        },
        "roles": sorted(RoleAssignment.objects.filter(user=person).values_list("role", flat=True)),
        "invitations": [
            {"organisation": i.organisation.name, "roles": i.roles, "created_at": _when(i.created_at)}
            for i in Invitation.objects.filter(email__iexact=email).select_related("organisation")
        ]
        if email
        else [],
        "access_requests": [
            {
                "organisation": r.organisation.name,
                "job_title": r.job_title,
                "reason": r.reason,
                "status": r.status,
                "created_at": _when(r.created_at),
            }
            for r in AccessRequest.objects.filter(email__iexact=email).select_related("organisation")
        ]
        if email
        else [],
        "requests_filed": list(
            InterventionRequest.objects.filter(requester=person)
            .order_by("pk")
            .values_list("reference", flat=True)
        ),
        "requests_handled": list(
            InterventionRequest.objects.filter(handler_agent=person)
            .order_by("pk")
            .values_list("reference", flat=True)
        ),
        "comments": [
            {"case": c.case_id, "body": c.body, "created_at": _when(c.created_at)}
            for c in Comment.objects.filter(author=person).order_by("pk")
        ],
        "notifications": [
            {"text": n.text, "created_at": _when(n.created_at), "read_at": _when(n.read_at)}
            for n in Notification.objects.filter(user=person).order_by("pk")
        ],
        "personal_data_marks_set": [
            {"request": m.request.reference, "text": m.text, "marked_at": _when(m.marked_at)}
            for m in PersonalDataMark.objects.filter(marked_by=person)
            .select_related("request")
            .order_by("pk")
        ],
        "audit_as_actor": [
            {"event": e.event, "target": e.target, "at": _when(e.at)}
            for e in DirectoryAuditEntry.objects.filter(actor=person).order_by("pk")
        ]
        + [
            {"event": e.event, "case": e.case_id, "at": _when(e.at)}
            for e in AuditEntry.objects.filter(actor=person).order_by("pk")
        ],
    }


# --- anonymisation on request ---------------------------------------------------------------------


def may_anonymise_person(acting_user, person):
    return acting_user is None or (is_administrator(acting_user) and acting_user.pk != person.pk)


def do_anonymise_person(person, *, acting_user):
    """Anonymise an account on its owner's request (GDPR art. 17): names, e-mail, phone and job title
    replaced, password unusable, deactivated, roles taken (each audited); their invitations and access
    requests lose their names and e-mail. The row and its id stay for the audit trail."""
    _check(may_anonymise_person(acting_user, person), _("Only an administrator may anonymise an account."))
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        email = person.email
        target = f"user:{person.pk}"
        for role in sorted(RoleAssignment.objects.filter(user=person).values_list("role", flat=True)):
            _audit("role_removed", target, acting_user, role=role, reason="anonymised")
        RoleAssignment.objects.filter(user=person).delete()
        person.username = pseudonym(person)
        person.first_name = person.last_name = person.phone = person.job_title = ""
        person.email = ""
        person.is_active = False
        person.set_unusable_password()
        person.save()
        if email:
            Invitation.objects.filter(email__iexact=email).update(
                email=f"{pseudonym(person)}@invalid", first_name="", last_name=""
            )
            AccessRequest.objects.filter(email__iexact=email).update(
                email=f"{pseudonym(person)}@invalid", first_name=REDACTED, last_name=REDACTED, reason=REDACTED
            )
        _audit("person_anonymised", target, acting_user, pseudonym=pseudonym(person))
    return person


# --- retention --------------------------------------------------------------------------------------


def _due_requests(now, batch):
    from procedures.models import InterventionRequest

    limit = now - conf.retention_period()
    return list(
        InterventionRequest.objects.filter(closed_at__lt=limit, retention_record__isnull=True)
        .select_related("case")
        .order_by("closed_at", "pk")[:batch]
    )


def _anonymise_request(request, now):
    from engine.models import Attachment, Case, Comment
    from procedures.models import Notification, RequestFollower, RequestMessage
    from procedures.search import search_text_of

    with transaction.atomic():
        try:
            with transaction.atomic():
                record = RetentionRecord.objects.create(request=request, anonymised_at=now)
        except IntegrityError:
            return None  # another worker claimed it
        changes = {
            "requester": request.requester_id is not None,
            "agent": request.handler_agent_id is not None,
        }
        marks = {(m.text, m.object_id): m for m in PersonalDataMark.objects.filter(request=request)}
        erased = {}  # original text -> erased text, for the copies kept in the audit trail

        def erase_text(text, mark):
            result = erase(text, mark)
            if mark is not None and result != text:
                erased[text] = result
            return result

        description = erase_text(request.description, marks.get((PersonalText.DESCRIPTION, request.pk)))
        note_mark = marks.get((PersonalText.RESOLUTION_NOTE, request.pk))
        type(request).objects.filter(pk=request.pk).update(
            requester=None,
            handler_agent=None,
            description=description,
            resolution_note=erase_text(request.resolution_note, note_mark),
            search_text=search_text_of(description, request.address),
        )
        if request.case_id and (request.case.data or {}).get("resolution_note"):
            data = dict(request.case.data)  # the engine's copy of the note, as the transition's field
            data["resolution_note"] = erase(data["resolution_note"], note_mark)
            Case.objects.filter(pk=request.case_id).update(data=data)
        RequestFollower.objects.filter(request=request).update(user=None)
        for message in RequestMessage.objects.filter(request=request):
            body = erase_text(message.body, marks.get((PersonalText.MESSAGE, message.pk)))
            RequestMessage.objects.filter(pk=message.pk).update(author=None, body=body)
        comments = list(Comment.objects.filter(case_id=request.case_id))
        for comment in comments:
            body = erase_text(comment.body, marks.get((PersonalText.COMMENT, comment.pk)))
            Comment.objects.filter(pk=comment.pk).update(author=None, body=body)
        # the same texts where the audit trail copied them (a step's comment, a resolution note)
        audit_entries = redact_audit_texts(request.case_id, erased)
        PersonalDataMark.objects.filter(request=request).delete()  # their offsets point into erased texts
        attachments = list(Attachment.objects.filter(case_id=request.case_id))
        for attachment in attachments:
            name = attachment.file.name
            attachment.delete()
            if name:
                transaction.on_commit(lambda name=name, storage=attachment.file.storage: storage.delete(name))
        notifications = Notification.objects.filter(request=request).delete()[0]
        changes.update(
            comments=len(comments),
            texts_erased=len(marks),
            audit_entries_redacted=audit_entries,
            files_deleted=len(attachments),
            notifications=notifications,
        )
        RetentionRecord.objects.filter(pk=record.pk).update(changes=changes)
        _audit("request_anonymised", f"request:{request.reference}", None, **changes)
    return changes


def apply_retention(now=None, dry_run=False, batch=200):
    """Worker job. Returns how many requests were anonymised (a dry run: the list of what would be)."""
    now = now or timezone.now()
    due = _due_requests(now, batch)
    if dry_run:
        from django.db.models import Count

        from engine.models import Attachment

        def counts(queryset, key):  # one grouped query for the batch, not one per request
            return dict(queryset.values(key).annotate(n=Count("pk")).values_list(key, "n"))

        case_ids = [request.case_id for request in due if request.case_id]
        files = counts(Attachment.objects.filter(case_id__in=case_ids), "case_id")
        texts = counts(PersonalDataMark.objects.filter(request_id__in=[r.pk for r in due]), "request_id")
        return [
            {
                "request": request.reference,
                "closed_at": _when(request.closed_at),
                "requester": request.requester_id is not None,
                "agent": request.handler_agent_id is not None,
                "texts_to_erase": texts.get(request.pk, 0),
                "files_to_delete": files.get(request.case_id, 0),
            }
            for request in due
        ]
    return sum(1 for request in due if _anonymise_request(request, now) is not None)
