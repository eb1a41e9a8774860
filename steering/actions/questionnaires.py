"""Workshops: topics proposed by any partner and chosen by the organiser; the questionnaire sent to the
communes' referents with a deadline and a reminder; one answer per commune, a draft until submitted,
editable until the deadline."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Organisation, OrganisationKind, User
from directory.roles import Role
from steering.actions.common import audit, check, emit, invalid, is_organiser
from steering.models import (
    WORKSHOP,
    Question,
    Questionnaire,
    QuestionnaireResponse,
    QuestionType,
    ResponseFile,
    ResponseStatus,
    WorkshopTopic,
)
from steering.uploads import check_document


def may_propose_topic(user, meeting):
    return user is not None and user.is_active


def do_propose_topic(meeting, *, title, description="", acting_user):
    check(may_propose_topic(acting_user, meeting), _("You may not propose a topic."))
    if meeting.kind.code != WORKSHOP:
        invalid(meeting=_("Topics are proposed for partner workshops."))
    if meeting.starts_at <= timezone.now():
        invalid(meeting=_("This workshop has already started."))
    if not (title or "").strip():
        invalid(title=_("A topic needs a title."))
    with transaction.atomic():
        topic = WorkshopTopic.objects.create(
            meeting=meeting, title=title.strip()[:300], description=description or "", proposed_by=acting_user
        )
        audit("topic_proposed", f"meeting:{meeting.pk}", acting_user, topic=topic.pk, title=topic.title)
    return topic


def do_choose_topic(topic, *, chosen=True, acting_user):
    check(is_organiser(acting_user), _("Only the organiser chooses the topics."))
    with transaction.atomic():
        if topic.chosen != chosen:
            topic.chosen = chosen
            topic.save(update_fields=["chosen"])
            audit(
                "topic_chosen" if chosen else "topic_unchosen",
                f"meeting:{topic.meeting_id}",
                acting_user,
                topic=topic.pk,
            )
    return topic


def _clean_questions(questions):
    cleaned, errors = [], []
    for i, question in enumerate(questions or (), 1):
        text = (question.get("text") or "").strip()
        qtype = question.get("type") or QuestionType.TEXT
        choices = [str(c).strip() for c in question.get("choices") or () if str(c).strip()]
        if not text:
            errors.append(_("Question %(n)d has no text.") % {"n": i})
        if qtype not in QuestionType.values:
            errors.append(_("Question %(n)d has an unknown type.") % {"n": i})
        if qtype in (QuestionType.CHOICE, QuestionType.MULTIPLE_CHOICE) and len(choices) < 2:
            errors.append(_("Question %(n)d needs at least two choices.") % {"n": i})
        cleaned.append(
            Question(
                position=i,
                text=text[:500],
                type=qtype,
                choices=choices,
                required=bool(question.get("required")),
            )
        )
    if not cleaned:
        errors.append(_("Ask at least one question."))
    if errors:
        invalid(questions=" ".join(errors))
    return cleaned


def do_create_questionnaire(
    meeting, *, title, deadline, questions, communes, reminder_at=None, introduction="", acting_user
):
    check(is_organiser(acting_user), _("You may not prepare questionnaires."))
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("A questionnaire needs a title.")
    if deadline is None or timezone.is_naive(deadline):
        errors["deadline"] = _("Give the deadline with its time zone.")
    elif deadline > meeting.starts_at:
        errors["deadline"] = _("The deadline must be before the workshop.")
    if (
        reminder_at is not None
        and deadline is not None
        and not errors.get("deadline")
        and reminder_at >= deadline
    ):
        errors["reminder_at"] = _("The reminder must be before the deadline.")
    if hasattr(meeting, "questionnaire") and Questionnaire.objects.filter(meeting=meeting).exists():
        errors["meeting"] = _("This workshop already has a questionnaire.")
    ids = {int(pk) for pk in communes or ()}
    found = list(Organisation.objects.filter(pk__in=ids, kind=OrganisationKind.COMMUNE))
    if not ids:
        errors["communes"] = _("Choose the communes to ask.")
    elif len(found) != len(ids):
        errors["communes"] = _("Unknown commune: %(ids)s.") % {
            "ids": ", ".join(map(str, sorted(ids - {o.pk for o in found})))
        }
    if errors:
        invalid(**errors)
    rows = _clean_questions(questions)
    with transaction.atomic():
        questionnaire = Questionnaire.objects.create(
            meeting=meeting,
            title=title.strip(),
            introduction=introduction or "",
            deadline=deadline,
            reminder_at=reminder_at,
        )
        questionnaire.communes.set(found)
        for row in rows:
            row.questionnaire = questionnaire
        Question.objects.bulk_create(rows)
        audit(
            "questionnaire_created",
            f"questionnaire:{questionnaire.pk}",
            acting_user,
            meeting=meeting.pk,
            questions=len(rows),
            communes=sorted(ids),
        )
    return questionnaire


def referents(commune_ids):
    users = User.objects.filter(
        organisation_id__in=commune_ids, is_active=True, role_assignments__role=Role.REFERENT
    )
    return sorted(set(users.values_list("pk", flat=True)))


def do_send_questionnaire(questionnaire, *, acting_user):
    check(is_organiser(acting_user), _("You may not send questionnaires."))
    with transaction.atomic():
        questionnaire = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
        if questionnaire.sent_at is not None:
            invalid(questionnaire=_("This questionnaire was already sent."))
        if questionnaire.deadline <= timezone.now():
            invalid(deadline=_("The deadline has passed: the questionnaire cannot be sent."))
        questionnaire.sent_at = timezone.now()
        questionnaire.save(update_fields=["sent_at"])
        communes = list(questionnaire.communes.values_list("pk", flat=True))
        emit(
            "steering.questionnaire_sent",
            questionnaire=questionnaire.pk,
            title=questionnaire.title,
            deadline=questionnaire.deadline.isoformat(),
            users=referents(communes),
        )
        audit("questionnaire_sent", f"questionnaire:{questionnaire.pk}", acting_user, communes=communes)
    return questionnaire


def may_answer_questionnaire(user, questionnaire, commune):
    return bool(
        user is not None
        and user.is_active
        and user.organisation_id == commune.pk
        and questionnaire.communes.filter(pk=commune.pk).exists()
    )


def _clean_answer(question, value, files):
    if question.type == QuestionType.FILE:
        return None
    if value in (None, "", []):
        return None
    if question.type == QuestionType.NUMBER:
        try:
            number = Decimal(str(value).strip().replace("\u202f", "").replace(" ", "").replace(",", "."))
        except InvalidOperation:
            raise ValueError(_("give a number")) from None
        if not number.is_finite():
            raise ValueError(_("give a number"))
        return str(number)
    if question.type == QuestionType.CHOICE:
        if str(value) not in question.choices:
            raise ValueError(_("choose one of the proposed answers"))
        return str(value)
    if question.type == QuestionType.MULTIPLE_CHOICE:
        values = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
        if any(v not in question.choices for v in values):
            raise ValueError(_("choose among the proposed answers"))
        return [c for c in question.choices if c in values]
    return str(value)[:10000]


def do_save_answers(questionnaire, *, commune, answers, files=None, submit=False, acting_user):
    """Save the commune's answers as a draft, or submit them (required questions answered); editable
    until the deadline. ``answers`` maps question ids to values, ``files`` question ids to uploads."""
    check(
        may_answer_questionnaire(acting_user, questionnaire, commune),
        _("You may not answer this questionnaire for this commune."),
    )
    now = timezone.now()
    questionnaire = Questionnaire.objects.get(pk=questionnaire.pk)  # its sending state as stored
    if questionnaire.sent_at is None:
        invalid(questionnaire=_("This questionnaire has not been sent."))
    if now > questionnaire.deadline:
        invalid(questionnaire=_("The deadline has passed: answers can no longer be changed."))
    questions = list(questionnaire.questions.all())
    answers = {str(k): v for k, v in (answers or {}).items()}
    files = {str(k): v for k, v in (files or {}).items() if v}
    unknown = set(answers) | set(files)
    unknown -= {str(q.pk) for q in questions}
    if unknown:
        invalid(answers=_("Unknown question: %(ids)s.") % {"ids": ", ".join(sorted(unknown))})
    existing = QuestionnaireResponse.objects.filter(questionnaire=questionnaire, commune=commune).first()
    previous = dict(existing.answers) if existing else {}
    has_file = set(existing.files.values_list("question_id", flat=True)) if existing else set()
    cleaned, errors, checked = {}, {}, {}
    for question in questions:
        key = str(question.pk)
        field = f"question_{question.pk}"
        try:
            if question.type == QuestionType.FILE and key in files:
                checked[question.pk] = check_document(files[key])
            value = _clean_answer(question, answers.get(key), files)
        except ValueError as exc:
            errors[field] = _("%(question)s: %(problem)s.") % {"question": question.text, "problem": exc}
            continue
        except ValidationError as exc:
            errors[field] = " ".join(exc.messages)
            continue
        if value is not None:
            cleaned[key] = value
        answered = value is not None or question.pk in checked or question.pk in has_file
        if submit and question.required and not answered:
            errors[field] = _("%(question)s: an answer is required.") % {"question": question.text}
    if errors:
        invalid(**errors)
    with transaction.atomic():
        response, _created = QuestionnaireResponse.objects.select_for_update().get_or_create(
            questionnaire=questionnaire, commune=commune, defaults={"updated_by": acting_user}
        )
        response.answers = cleaned
        response.updated_by = acting_user
        response.updated_at = now
        if submit:
            response.status = ResponseStatus.SUBMITTED
            response.submitted_at = response.submitted_at or now
        response.save()
        for question_id, info in checked.items():
            upload = files[str(question_id)]
            ResponseFile.objects.filter(response=response, question_id=question_id).delete()
            row = ResponseFile(
                response=response,
                question_id=question_id,
                name=info.name,
                content_type=info.content_type,
                size=info.size,
            )
            upload.seek(0)
            row.file.save(info.name, upload, save=False)
            row.save()
        audit(
            "answers_submitted" if submit else "answers_saved",
            f"questionnaire:{questionnaire.pk}",
            acting_user,
            commune=commune.pk,
            old=previous,
            new=cleaned,
            files=sorted(checked),
        )
    return response


def send_questionnaire_reminders():
    """Worker job: once ``reminder_at`` is reached, remind the referents of the communes that have not
    submitted yet (exactly once: compare-and-set claim on ``reminder_sent_at``)."""
    now = timezone.now()
    due = Questionnaire.objects.filter(
        sent_at__isnull=False, reminder_sent_at=None, reminder_at__lte=now, deadline__gt=now
    ).values_list("pk", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            if Questionnaire.objects.filter(pk=pk, reminder_sent_at=None).update(reminder_sent_at=now) != 1:
                continue
            questionnaire = Questionnaire.objects.get(pk=pk)
            answered = QuestionnaireResponse.objects.filter(
                questionnaire=questionnaire, status=ResponseStatus.SUBMITTED
            ).values_list("commune_id", flat=True)
            waiting = list(questionnaire.communes.exclude(pk__in=answered).values_list("pk", flat=True))
            if waiting:
                emit(
                    "steering.questionnaire_reminder",
                    questionnaire=pk,
                    title=questionnaire.title,
                    deadline=questionnaire.deadline.isoformat(),
                    users=referents(waiting),
                )
            audit("questionnaire_reminder_sent", f"questionnaire:{pk}", None, communes=waiting)
            sent += 1
    return sent
