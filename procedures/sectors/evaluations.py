"""The yearly evaluation: opened by the worker at the evaluation month with its figures, the partners'
opinions, the project lead's decision (continue, adjust = a new draft version, end, generalise)."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.errors import InvalidFields, RoleNotAllowed
from procedures.scope import is_administrator
from procedures.sectors import figures
from procedures.sectors.actions import _copy_version, _date, audit, event, routing_changed
from procedures.sectors.models import (
    EvaluationDecision,
    EvaluationOpinion,
    SectorEvaluation,
    SectorVersion,
    SectorVersionStatus,
)

MAX_TEXT = 5000


def _in_force(procedure_versions, today):
    active = [
        v for v in procedure_versions if v.status == SectorVersionStatus.ACTIVE and v.effective_from <= today
    ]
    return max(active, key=lambda v: (v.effective_from, v.number), default=None)


def open_due_evaluations(now=None):
    """Worker job: from the first day of its evaluation month, each procedure in force gets the evaluation
    of the twelve months before, once (the unique (procedure, year) row is the claim)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    opened = 0
    versions = SectorVersion.objects.filter(status=SectorVersionStatus.ACTIVE).select_related("procedure")
    by_procedure = {}
    for version in versions:
        by_procedure.setdefault(version.procedure_id, []).append(version)
    for procedure_versions in by_procedure.values():
        version = _in_force(procedure_versions, today)
        if version is None or today.month != version.evaluation_month:
            continue
        period_end = datetime.date(today.year, version.evaluation_month, 1)
        first_start = version.procedure.versions.order_by("number").first().starts_on
        if (
            period_end <= first_start
            or SectorEvaluation.objects.filter(procedure=version.procedure, year=today.year).exists()
        ):
            continue
        period_start = max(first_start, datetime.date(period_end.year - 1, period_end.month, 1))
        data = figures.evaluation_figures(version, period_start, period_end)
        try:
            with transaction.atomic():
                evaluation = SectorEvaluation.objects.create(
                    procedure=version.procedure,
                    version=version,
                    year=today.year,
                    period_start=period_start,
                    period_end=period_end,
                    figures=data,
                    opened_at=now,
                )
                audit(version.procedure, "evaluation_opened", None, year=today.year, version=version.number)
                event(
                    "evaluation_opened",
                    procedure=version.procedure.code,
                    evaluation=evaluation.pk,
                    user=version.procedure.project_lead_id,
                    partners=list(version.partners.values_list("referent_id", flat=True)),
                )
        except IntegrityError:
            continue  # another worker opened it
        opened += 1
    return opened


def may_give_evaluation_opinion(acting_user, evaluation):
    return acting_user is not None and evaluation.version.partners.filter(referent=acting_user).exists()


def do_give_evaluation_opinion(evaluation, *, acting_user, text):
    if not may_give_evaluation_opinion(acting_user, evaluation):
        raise RoleNotAllowed([], _("Only a partner's referent may give an opinion on this evaluation."))
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise InvalidFields({"text": _("Write the partner's opinion.")})
    if len(text) > MAX_TEXT:
        raise InvalidFields({"text": _("At most %(n)d characters.") % {"n": MAX_TEXT}})
    with transaction.atomic():
        evaluation = SectorEvaluation.objects.select_for_update().get(pk=evaluation.pk)
        if evaluation.decided_at is not None:
            raise InvalidFields({"text": _("This evaluation is closed: its decision has been taken.")})
        partner = evaluation.version.partners.get(referent=acting_user)
        if EvaluationOpinion.objects.filter(evaluation=evaluation, partner=partner).exists():
            raise InvalidFields(
                {"text": _("%(org)s has already given its opinion.") % {"org": partner.organisation.name}}
            )
        opinion = EvaluationOpinion.objects.create(evaluation=evaluation, partner=partner, text=text)
        audit(
            evaluation.procedure,
            "opinion_given",
            acting_user,
            year=evaluation.year,
            partner=partner.organisation.code,
        )
        event("opinion_given", procedure=evaluation.procedure.code, evaluation=evaluation.pk)
    return opinion


def may_decide_sector_evaluation(acting_user, evaluation):
    return (
        acting_user is not None
        and acting_user.is_active
        and (acting_user.pk == evaluation.procedure.project_lead_id or is_administrator(acting_user))
    )


def do_decide_sector_evaluation(evaluation, *, acting_user, decision, note="", effective_from=None):
    """Record the decision; "adjust" opens a new draft version effective at ``effective_from``, "end" ends
    the version in force, "generalise" needs a note of what to extend."""
    if not may_decide_sector_evaluation(acting_user, evaluation):
        raise RoleNotAllowed(
            [], _("Only the project lead or an administrator may decide on this evaluation.")
        )
    errors = {}
    if decision not in EvaluationDecision.values:
        errors["decision"] = _("Choose continue, adjust, end or generalise.")
    note = (note or "").strip() if isinstance(note, str) else ""
    if len(note) > MAX_TEXT:
        errors["note"] = _("At most %(n)d characters.") % {"n": MAX_TEXT}
    if decision == EvaluationDecision.GENERALISE and not note:
        errors["note"] = _("Say what is to be extended to other perimeters.")
    if decision == EvaluationDecision.ADJUST:
        effective_from = _date(effective_from, "effective_from", errors)
        if effective_from and effective_from < timezone.localdate():
            errors["effective_from"] = _("A new version cannot take effect in the past.")
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        evaluation = SectorEvaluation.objects.select_for_update().get(pk=evaluation.pk)
        if evaluation.decided_at is not None:
            raise InvalidFields({"decision": _("This evaluation is closed: its decision has been taken.")})
        procedure = evaluation.procedure
        if decision == EvaluationDecision.ADJUST:
            if procedure.versions.filter(
                status__in=[SectorVersionStatus.DRAFT, SectorVersionStatus.IN_APPROVAL]
            ).exists():
                raise InvalidFields({"decision": _("A version of this procedure is already being prepared.")})
            latest = procedure.versions.order_by("-number").first()
            evaluation.new_version = _copy_version(latest, acting_user, effective_from, reason=note)
        elif decision == EvaluationDecision.END:
            now = timezone.now()
            for version in procedure.versions.filter(
                status__in=[SectorVersionStatus.ACTIVE, SectorVersionStatus.SUSPENDED]
            ):
                SectorVersion.objects.filter(pk=version.pk, status=version.status).update(
                    status=SectorVersionStatus.ENDED, ended_at=now
                )
            routing_changed()
        evaluation.decision, evaluation.note = decision, note
        evaluation.decided_at, evaluation.decided_by = timezone.now(), acting_user
        evaluation.save()
        audit(
            procedure,
            "evaluation_decided",
            acting_user,
            year=evaluation.year,
            decision=decision,
            note=note,
            new_version=evaluation.new_version.number if evaluation.new_version else None,
        )
        event("evaluation_decided", procedure=procedure.code, evaluation=evaluation.pk, decision=decision)
    return evaluation


def evaluations_to_give(user):
    """Open evaluations waiting for this user: as project lead (the decision) or partner (an opinion)."""
    return (
        SectorEvaluation.objects.filter(decided_at__isnull=True)
        .filter(models_q_for(user))
        .select_related("procedure", "version")
        .distinct()
    )


def models_q_for(user):
    from django.db.models import Q

    return Q(procedure__project_lead=user) | Q(version__partners__referent=user)
