"""The sweeper: fires due escalation points exactly once, even with several sweepers running.

Each batch runs in one transaction:

1. pick up to ``batch`` due points from the partial index (``fired_at IS NULL AND fire_at <= now``),
   skipping rows another sweeper has locked (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite serialises
   writers anyway);
2. claim them with a compare-and-set update ``filter(pk__in=ids, fired_at=None).update(fired_at=now,
   claim_token=token)``: a row is claimed by exactly one sweeper, the other's update matches 0 rows
   for it; the points actually claimed are read back by token;
3. run each point's actions (they only buffer rows: outbox events, alerts, audit entries) and write
   everything in bulk; commit.

Recovery: the claim and the actions' writes commit together. A sweeper killed midway (process
killed, database connection lost, exception) rolls the whole batch back, claim included, so the
points are due again and the next sweep fires them once. Nothing is sent to the outside before commit
(outbox), so a rolled-back batch leaves no trace. A point whose actions raise is marked fired with the
error recorded (and logged), so one broken point cannot block the others forever.
"""

import logging
import uuid

from django.db import connection, transaction
from django.utils import timezone

from engine import deadlines
from engine.actions import run_actions
from engine.context import Context, Effects
from engine.models import AuditEntry, Case, EscalationPoint, RoleHolder

logger = logging.getLogger(__name__)


def due_points(now):
    return EscalationPoint.objects.filter(fired_at=None, fire_at__lte=now)


def sweep(now=None, batch=2000, max_batches=None):
    """Worker job: fire every due escalation point once; returns how many were fired."""
    fired = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        count = sweep_batch(now or timezone.now(), batch)
        fired += count
        batches += 1
        if count == 0:
            break
    return fired


def sweep_batch(now, batch):
    token = uuid.uuid4()
    with transaction.atomic():
        candidates = due_points(now).order_by("fire_at")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("pk", flat=True)[:batch])
        if not ids:
            return 0
        EscalationPoint.objects.filter(pk__in=ids, fired_at=None).update(fired_at=now, claim_token=token)
        points = list(
            EscalationPoint.objects.filter(claim_token=token)
            .select_related("deadline")
            .order_by("fire_at", "pk")
        )
        if not points:
            return 0
        fire(points, now)
    return len(points)


def fire(points, now):
    case_ids = {point.case_id for point in points}
    cases = {case.pk: case for case in Case.objects.filter(pk__in=case_ids).select_related("version")}
    holders = {}
    for case_id, role, party in RoleHolder.objects.filter(case_id__in=case_ids).values_list(
        "case_id", "role", "party"
    ):
        holders.setdefault(case_id, {}).setdefault(role, []).append(party)
    effects = Effects()
    failed = []
    for point in points:
        case = cases[point.case_id]
        definition = case.version.definition
        deadline = point.deadline
        spec = definition.get("deadlines", {}).get(deadline.kind, {})
        escalations = spec.get("escalations", [])
        if point.index >= len(escalations):
            failed.append((point, "escalation point missing from the definition"))
            continue
        escalation = escalations[point.index]
        ctx = Context(
            case,
            actor=None,
            definition=definition,
            now=now,
            holders=holders.get(case.pk, {}),
            effects=Effects(),
        )
        try:
            run_actions(ctx, escalation["actions"])
            if ctx.data_updates or ctx.deadline_ops:
                _apply_case_changes(ctx, now)
        except Exception as error:
            logger.exception("escalation point %s failed", point.pk)
            failed.append((point, f"{type(error).__name__}: {error}"))
            continue
        effects.audit.extend(ctx.effects.audit)
        effects.outbox.extend(ctx.effects.outbox)
        effects.alerts.extend(ctx.effects.alerts)
        effects.audit.append(
            AuditEntry(
                case_id=case.pk,
                actor=None,
                at=now,
                event="escalation",
                from_state=case.state,
                to_state=case.state,
                data={"deadline": deadline.kind, "at": escalation["at"], "point": point.pk},
            )
        )
    for point, message in failed:
        EscalationPoint.objects.filter(pk=point.pk).update(error=message[:2000])
    effects.flush()


def _apply_case_changes(ctx, now):
    """Rare: an escalation that sets a field or starts/stops a deadline changes the case (row locked)."""
    case = Case.objects.select_for_update().get(pk=ctx.case.pk)
    with transaction.atomic():
        if ctx.data_updates:
            case.data = {**case.data, **ctx.data_updates}
            case.revision += 1
            case.updated_at = now
            case.save(update_fields=["data", "revision", "updated_at"])
        done = []
        if ctx.deadline_ops:
            done = deadlines.on_transition(
                case, ctx.definition, case.state, case.state, now, explicit=ctx.deadline_ops, entering=False
            )
        ctx.case.data, ctx.case.revision = case.data, case.revision
        ctx.effects.audit.append(
            AuditEntry(
                case_id=case.pk,
                at=now,
                event="escalation_changes",
                from_state=case.state,
                to_state=case.state,
                fields=ctx.data_updates,
                data={"deadlines": done, "revision": case.revision},
            )
        )
