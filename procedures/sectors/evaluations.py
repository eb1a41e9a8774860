"""The yearly evaluation: opened at the evaluation month with its figures by a viewflow timer
(procedures.sectors.flows.SectorEvaluationFlow, fired by the worker job ``open_due_evaluations``), the
partners' opinions, the project lead's decision (continue, adjust = a new draft version, end, generalise),
which completes the flow's evaluation task."""

import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import PROCESS, STATUS

from directory.approvals.jobs import fire_due_timers
from engine.errors import InvalidFields, RoleNotAllowed
from procedures.scope import is_administrator
from procedures.sectors import figures
from procedures.sectors.actions import _copy_version, _date, audit, event, routing_changed
from procedures.sectors.models import (
    EvaluationDecision,
    EvaluationOpinion,
    SectorEvaluation,
    SectorProcedure,
    SectorVersion,
    SectorVersionStatus,
)

MAX_TEXT = 5000


def _in_force(procedure_versions, today):
    active = [
        v for v in procedure_versions if v.status == SectorVersionStatus.ACTIVE and v.effective_from <= today
    ]
    return max(active, key=lambda v: (v.effective_from, v.number), default=None)


def _evaluation_processes(procedure):
    from procedures.sectors.flows import SectorEvaluationFlow

    return Process.objects.filter(
        flow_class=SectorEvaluationFlow,
        artifact_content_type=ContentType.objects.get_for_model(SectorProcedure),
        artifact_object_id=procedure.pk,
    )


def arm_evaluations(procedure):
    """Start the procedure's evaluation flow (its timer waits for the evaluation month) unless it runs
    already; called when a version is activated, under the procedure's row lock."""
    from procedures.sectors.flows import SectorEvaluationFlow

    SectorProcedure.objects.select_for_update().filter(pk=procedure.pk).first()
    if _evaluation_processes(procedure).filter(status=PROCESS.NEW).exists():
        return None
    return SectorEvaluationFlow.start.run(procedure=procedure)


def open_evaluation(procedure, due):
    """The timer's work (the system acting): the evaluation of the twelve months before ``due`` (the first day
    of the evaluation month), for the version in force; None when none is in force or it is open already."""
    today = max(due, timezone.localdate())
    version = _in_force(list(procedure.versions.all()), today)
    first = procedure.versions.order_by("number").first()
    if version is None or due <= first.starts_on:
        return None
    if SectorEvaluation.objects.filter(procedure=procedure, year=due.year).exists():
        return None
    period_start = max(first.starts_on, datetime.date(due.year - 1, due.month, 1))
    data = figures.evaluation_figures(version, period_start, due)
    try:
        with transaction.atomic():
            evaluation = SectorEvaluation.objects.create(
                procedure=procedure,
                version=version,
                year=due.year,
                period_start=period_start,
                period_end=due,
                figures=data,
                opened_at=timezone.now(),
            )
            audit(procedure, "evaluation_opened", None, year=due.year, version=version.number)
            event(
                "evaluation_opened",
                procedure=procedure.code,
                evaluation=evaluation.pk,
                user=procedure.project_lead_id,
                partners=list(version.partners.values_list("referent_id", flat=True)),
            )
    except IntegrityError:
        return None  # opened meanwhile
    return evaluation


def open_due_evaluations(now=None):
    """Worker job (settings.WORKER_JOBS, also run by Celery beat): fire the due timers of the evaluation
    flows. Each timer is re-read under its flow's lock and fired only if still scheduled, so two workers never
    open the same evaluation twice (the unique (procedure, year) row is the last guard). Returns how many
    evaluations were opened."""
    from procedures.sectors.flows import SectorEvaluationFlow

    before = SectorEvaluation.objects.count()
    fire_due_timers(
        Task.objects.filter(process__flow_class=SectorEvaluationFlow),
        now=now or timezone.now(),
        label="evaluation timer",
    )
    return SectorEvaluation.objects.count() - before


def _close_evaluation_task(evaluation, acting_user):
    """Complete the flow's evaluation task of this evaluation (the decision is recorded)."""
    for process in _evaluation_processes(evaluation.procedure).filter(status=PROCESS.NEW):
        if (process.data or {}).get("evaluation_id") != evaluation.pk:
            continue
        for task in process.task_set.filter(flow_task_type="HUMAN", status__in=[STATUS.NEW, STATUS.ASSIGNED]):
            with task.activation() as activation:
                if activation.task.status == STATUS.NEW:
                    activation.assign(acting_user)
                activation.start(None)
                activation.execute()


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
        _close_evaluation_task(evaluation, acting_user)
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


def do_arm_sector_evaluation(procedure, *, acting_user=None):
    """Start the yearly evaluation timer of a procedure in force that has none running (procedures
    activated before the timer existed); nothing when one runs or no version is active. True if armed."""
    if acting_user is not None and not is_administrator(acting_user):
        raise RoleNotAllowed([], _("Only administrators may edit sub-sector procedures."))
    with transaction.atomic():
        if not procedure.versions.filter(status=SectorVersionStatus.ACTIVE).exists():
            return False
        process = arm_evaluations(procedure)  # under the procedure's row lock; None if one runs
        if process is None:
            return False
        audit(procedure, "evaluation_armed", acting_user, process=process.pk)
        event("evaluation_armed", procedure=procedure.code)
    return True
