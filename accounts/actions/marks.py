"""Marks of personal data in the free texts of a request (accounts.models.PersonalDataMark).

A user who reads a text of a request (its description, its resolution note, a comment, a message to the
commune) may say it holds personal data, the whole text or some passages of it; the retention job
(accounts.actions.personal_data) then erases what is marked and keeps the rest. Marking only ever
protects more, so whoever reads the text may mark it; taking a mark back is for whoever set it and for
administrators. Each change writes a ``DirectoryAuditEntry`` (``personal_data_marked`` /
``personal_data_unmarked``) that names the text, never its content.

The ``do_*_marking`` functions write a text and its mark in one transaction (the forms' « holds
personal data » box): the procedures' action, then ``do_mark_personal_data``.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.actions.access import _audit, _check
from accounts.models import PersonalDataMark, PersonalText, RetentionRecord
from accounts.rules import is_administrator
from engine.errors import InvalidFields

__all__ = [
    "do_comment_request_marking",
    "do_file_request_marking",
    "do_mark_personal_data",
    "do_transition_request_marking",
    "do_unmark_personal_data",
    "marks_of",
    "may_mark_personal_data",
    "may_unmark_personal_data",
]

MAX_PASSAGES = 50


def _text_object(request, text, object_id):
    """(object id, the text as stored, the comment or None) of ``text`` of ``request``; an unknown text
    or one of another request is refused naming the field."""
    from engine.models import Comment
    from procedures.models import RequestMessage

    if text not in PersonalText.values:
        raise InvalidFields({"text": _("Unknown text: %(text)s.") % {"text": text}})
    if text == PersonalText.DESCRIPTION:
        return request.pk, request.description, None
    if text == PersonalText.RESOLUTION_NOTE:
        if not request.resolution_note:
            raise InvalidFields({"text": _("This request has no resolution note.")})
        return request.pk, request.resolution_note, None
    try:
        object_id = int(object_id)
    except (TypeError, ValueError):
        raise InvalidFields({"object_id": _("Give the number of the comment or message.")}) from None
    if text == PersonalText.COMMENT:
        comment = Comment.objects.filter(pk=object_id, case_id=request.case_id).first()
        if comment is None or request.case_id is None:
            raise InvalidFields({"object_id": _("This request has no such comment.")})
        return comment.pk, comment.body, comment
    message = RequestMessage.objects.filter(pk=object_id, request_id=request.pk).first()
    if message is None:
        raise InvalidFields({"object_id": _("This request has no such message.")})
    return message.pk, message.body, None


def _sees_request(user, request):
    from procedures.scope import requests_visible_to

    return requests_visible_to(user).filter(pk=request.pk).exists()


def may_mark_personal_data(user, request, comment=None):
    """Whoever reads the text: the request is in their scope, and an internal comment is one they read."""
    from procedures.actions import may_read_internal_comments

    if user is None or not _sees_request(user, request):
        return False
    return comment is None or not comment.internal or may_read_internal_comments(request, user)


def may_unmark_personal_data(user, mark):
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and (mark.marked_by_id == user.pk or is_administrator(user))
    )


def _clean_spans(value, spans, passages):
    """The passages as sorted, merged ``[start, end]`` offsets; [] for the whole text. ``passages`` are
    words copied from the text (each occurrence is marked, letter case aside); ``spans`` are offsets."""
    found = []
    passages = [p.strip() for p in (passages or []) if isinstance(p, str) and p.strip()]
    if len(passages) > MAX_PASSAGES:
        raise InvalidFields({"passages": _("At most %(n)d passages.") % {"n": MAX_PASSAGES}})
    # letter case aside, unless lowering changes the text's length (offsets must stay the text's)
    fold = (lambda t: t.lower()) if len(value.lower()) == len(value) else (lambda t: t)
    lowered = fold(value)
    for passage in passages:
        needle = fold(passage)
        start, hits = lowered.find(needle), 0
        while start >= 0:
            found.append([start, start + len(needle)])
            hits += 1
            start = lowered.find(needle, start + len(needle))
        if not hits:
            raise InvalidFields(
                {"passages": _("This passage is not in the text: « %(passage)s ».") % {"passage": passage}}
            )
    if spans is not None and not isinstance(spans, list | tuple):
        raise InvalidFields({"spans": _("Give the passages as a list of [start, end] pairs.")})
    for span in spans or []:
        valid = (
            isinstance(span, list | tuple)
            and len(span) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in span)
            and 0 <= span[0] < span[1] <= len(value)
        )
        if not valid:
            message = _("Each passage is a [start, end] pair within the text (0 to %(n)d).")
            raise InvalidFields({"spans": message % {"n": len(value)}})
        found.append([span[0], span[1]])
    return merge_spans(found)


def merge_spans(spans):
    merged = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _check_not_anonymised(request):
    if RetentionRecord.objects.filter(request_id=request.pk).exists():
        raise InvalidFields({"text": _("This request's personal data was already erased.")})


def do_mark_personal_data(request, text, *, object_id=None, spans=None, passages=None, acting_user):
    """Mark ``text`` of ``request`` (a PersonalText; ``object_id`` the comment's or message's) as holding
    personal data: the whole text, or the passages given (``passages``: words of the text, or ``spans``:
    offsets). A second mark widens the first (whole stays whole); nothing changes, nothing is written."""
    object_id, value, comment = _text_object(request, text, object_id)
    _check(
        may_mark_personal_data(acting_user, request, comment),
        _("You may mark only the texts of the requests you can read."),
    )
    _check_not_anonymised(request)
    wanted = _clean_spans(value, spans, passages)
    with transaction.atomic():
        mark = PersonalDataMark.objects.select_for_update().filter(text=text, object_id=object_id).first()
        if mark is not None:
            combined = [] if mark.whole or not wanted else merge_spans([*mark.spans, *wanted])
            if combined == mark.spans:
                return mark
            mark.spans = combined
            mark.save(update_fields=["spans"])
        else:
            mark = PersonalDataMark.objects.create(
                request=request, text=text, object_id=object_id, spans=wanted, marked_by=acting_user
            )
        _audit(
            "personal_data_marked",
            f"request:{request.reference}",
            acting_user,
            text=text,
            object_id=object_id,
            passages=len(mark.spans) if mark.spans else "whole",
        )
    return mark


def do_unmark_personal_data(request, text, *, object_id=None, acting_user):
    """Take back the mark of ``text`` (by whoever set it, or an administrator)."""
    if text not in PersonalText.values:
        raise InvalidFields({"text": _("Unknown text: %(text)s.") % {"text": text}})
    if text in (PersonalText.DESCRIPTION, PersonalText.RESOLUTION_NOTE):
        object_id = request.pk
    mark = PersonalDataMark.objects.filter(request=request, text=text, object_id=object_id).first()
    if mark is None:
        raise InvalidFields({"text": _("This text is not marked.")})
    _check(
        may_unmark_personal_data(acting_user, mark),
        _("Only the person who marked this text, or an administrator, may take the mark back."),
    )
    _check_not_anonymised(request)
    with transaction.atomic():
        PersonalDataMark.objects.filter(pk=mark.pk).delete()
        _audit(
            "personal_data_unmarked",
            f"request:{request.reference}",
            acting_user,
            text=text,
            object_id=mark.object_id,
        )


def marks_of(request):
    """{(text, object_id): mark} of the request."""
    return {(m.text, m.object_id): m for m in PersonalDataMark.objects.filter(request_id=request.pk)}


# --- writing a text with its mark ------------------------------------------------------------------------


def do_file_request_marking(*, acting_user, personal_data=False, **fields):
    """File a request (procedures.actions.do_file_request) and, when ``personal_data``, mark its
    description, in one transaction."""
    from procedures import actions

    if not personal_data:  # nothing more to write: no savepoint either
        return actions.do_file_request(acting_user=acting_user, **fields)
    with transaction.atomic():
        filed = actions.do_file_request(acting_user=acting_user, **fields)
        do_mark_personal_data(filed, PersonalText.DESCRIPTION, acting_user=acting_user)
    return filed


def do_comment_request_marking(request, *, acting_user, body, internal=False, personal_data=False):
    """Comment on the request and, when ``personal_data``, mark the comment, in one transaction."""
    from procedures import actions

    if not personal_data:
        return actions.do_comment_request(request, acting_user=acting_user, body=body, internal=internal)
    with transaction.atomic():
        comment = actions.do_comment_request(request, acting_user=acting_user, body=body, internal=internal)
        do_mark_personal_data(request, PersonalText.COMMENT, object_id=comment.pk, acting_user=acting_user)
    return comment


def do_transition_request_marking(request, code, *, acting_user, personal_data=False, **kwargs):
    """Fire a transition and, when ``personal_data``, mark what it wrote: the resolution note it set and
    the messages it told the commune (which may quote the comment), in one transaction."""
    from procedures import actions
    from procedures.models import InterventionRequest, RequestMessage

    if not personal_data:
        return actions.do_transition_request(request, code, acting_user=acting_user, **kwargs)
    with transaction.atomic():
        messages = RequestMessage.objects.filter(request_id=request.pk)
        last = messages.order_by("-pk").values_list("pk", flat=True).first() or 0
        note_before = request.resolution_note
        result = actions.do_transition_request(request, code, acting_user=acting_user, **kwargs)
        fresh = InterventionRequest.objects.get(pk=request.pk)
        if fresh.resolution_note and fresh.resolution_note != note_before:
            do_mark_personal_data(fresh, PersonalText.RESOLUTION_NOTE, acting_user=acting_user)
        for message_id in messages.filter(pk__gt=last).values_list("pk", flat=True):
            do_mark_personal_data(fresh, PersonalText.MESSAGE, object_id=message_id, acting_user=acting_user)
    return result
