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

import json
import logging
import uuid

from django.db import connection, transaction
from django.utils import timezone

from engine import deadlines
from engine.actions import run_actions
from engine.bulk import instances
from engine.context import Context, Effects, alert_event
from engine.definitions import alert_spec
from engine.models import Alert, AlertState, AuditEntry, Case, EscalationPoint, ProcedureVersion, RoleHolder

logger = logging.getLogger(__name__)


def due_points(now):
    return EscalationPoint.objects.filter(fired_at=None, fire_at__lte=now)


def sweep(now=None, batch=5000, max_batches=None):
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


# The due rows are picked in a CTE so the update joins them by primary key (an IN (subquery) lets the
# planner hash-join against a scan of the whole table); the claimed rows come back in due order.
CLAIM_SQL = """
WITH due AS (
    SELECT id FROM engine_escalationpoint
    WHERE fired_at IS NULL AND fire_at IS NOT NULL AND fire_at <= %(now)s
    ORDER BY fire_at LIMIT %(batch)s FOR UPDATE {skip_locked}
), claimed AS (
    UPDATE engine_escalationpoint AS point SET fired_at = %(now)s, claim_token = %(token)s
    FROM due, engine_deadline AS deadline
    WHERE point.id = due.id AND point.fired_at IS NULL AND deadline.id = point.deadline_id
    RETURNING point.id, point.case_id, point.index, deadline.kind, point.fire_at
)
SELECT id, case_id, index, kind FROM claimed ORDER BY fire_at, id
"""
CASE_FIELDS = ("id", "procedure_id", "version_id", "state", "phase", "revision", "data", "reference")
CASES_SQL = f"SELECT {', '.join(CASE_FIELDS)} FROM engine_case WHERE id = ANY(%s)"
HOLDERS_SQL = "SELECT case_id, role, party FROM engine_roleholder WHERE case_id = ANY(%s) ORDER BY id"


def claim(now, batch, token):
    """Claim up to ``batch`` due points; returns [(point id, case id, index, deadline kind)] by due time.

    The update only takes rows still unfired (compare-and-set), so a point is claimed by exactly one
    sweeper. PostgreSQL does it in one statement (SKIP LOCKED lets two sweepers share the work);
    other databases select the ids, update them and read back the rows carrying this claim's token.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # without SKIP LOCKED a second sweeper waits for the first one's rows, then skips them
            # as they are no longer unfired (the compare-and-set)
            skip = "SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
            sql = CLAIM_SQL.format(skip_locked=skip)
            cursor.execute(sql, {"now": now, "token": token, "batch": batch})
            return cursor.fetchall()
    ids = list(due_points(now).order_by("fire_at").values_list("pk", flat=True)[:batch])
    if not ids:
        return []
    EscalationPoint.objects.filter(pk__in=ids, fired_at=None).update(fired_at=now, claim_token=token)
    return list(
        EscalationPoint.objects.filter(pk__in=ids, claim_token=token)
        .order_by("fire_at", "pk")
        .values_list("pk", "case_id", "index", "deadline__kind")
    )


def sweep_batch(now, batch):
    with transaction.atomic():
        points = claim(now, batch, uuid.uuid4())
        if points:
            fire(points, now)
    return len(points)


def fire(points, now):
    """Run the actions of claimed points, given as (point id, case id, index, deadline kind)."""
    case_ids = list({case_id for _pk, case_id, _index, _kind in points})
    holders = {}
    if connection.vendor == "postgresql":  # one array parameter instead of thousands of parameters
        with connection.cursor() as cursor:
            cursor.execute(CASES_SQL, [case_ids])
            data_index = CASE_FIELDS.index("data")  # Django reads jsonb as text, then decodes it
            rows = [
                (*row[:data_index], json.loads(row[data_index]), *row[data_index + 1 :])
                for row in cursor.fetchall()
            ]
            cases = {case.pk: case for case in instances(Case, CASE_FIELDS, rows)}
            cursor.execute(HOLDERS_SQL, [case_ids])
            rows = cursor.fetchall()
    else:
        cases = {case.pk: case for case in Case.objects.filter(pk__in=case_ids).only(*CASE_FIELDS)}
        rows = (
            RoleHolder.objects.filter(case_id__in=case_ids)
            .order_by("pk")
            .values_list("case_id", "role", "party")
        )
    for case_id, role, party in rows:
        holders.setdefault(case_id, {}).setdefault(role, []).append(party)
    versions = {
        v.pk: v for v in ProcedureVersion.objects.filter(pk__in={c.version_id for c in cases.values()})
    }
    for case in cases.values():  # what ``case.version = ...`` does, without the descriptor's checks
        case._state.fields_cache["version"] = versions[case.version_id]
    effects = Effects()
    failed = []
    late_alerts = _late_alerts(points)
    for pk, case_id, index, kind in points:
        case = cases[case_id]
        definition = versions[case.version_id].definition
        alert_id = deadlines.alert_of_clock(kind)
        alert = late_alerts.get(alert_id)
        if alert_id is not None:  # an alert's answer clock
            if alert is None or alert.state != AlertState.RAISED:
                failed.append((pk, "the alert no longer waits for an answer"))
                continue
            spec = alert_spec(definition, alert.code)
            escalations = [{"at": "0", "actions": spec.get("on_late", [])}]
        else:
            escalations = definition.get("deadlines", {}).get(kind, {}).get("escalations", [])
        if index >= len(escalations):
            failed.append((pk, "escalation point missing from the definition"))
            continue
        escalation = escalations[index]
        ctx = Context(
            case,
            actor=None,
            definition=definition,
            now=now,
            holders=holders.get(case_id, {}),
            effects=effects,  # the batch's buffer; what a failing point added is cut off again
        )
        marks = len(effects.audit), len(effects.outbox), len(effects.alerts)
        try:
            run_actions(ctx, escalation["actions"])
            if ctx.data_updates or ctx.deadline_ops:
                _apply_case_changes(ctx, now)
        except Exception as error:
            logger.exception("escalation point %s failed", pk)
            failed.append((pk, f"{type(error).__name__}: {error}"))
            del effects.audit[marks[0] :], effects.outbox[marks[1] :], effects.alerts[marks[2] :]
            continue
        if alert is not None:
            _record_late(effects, alert, ctx, now)
            continue
        effects.audit.append(
            {
                "case_id": case_id,
                "actor_id": None,
                "at": now,
                "event": "escalation",
                "from_state": case.state,
                "to_state": case.state,
                "data": {"deadline": kind, "at": escalation["at"], "point": pk},
            }
        )
    for pk, message in failed:
        EscalationPoint.objects.filter(pk=pk).update(error=message[:2000])
    effects.flush(dispatch=False)


def _late_alerts(points):
    """The alerts whose answer clocks are among the claimed points, by id (one query, if any)."""
    ids = {deadlines.alert_of_clock(kind) for _pk, _case_id, _index, kind in points} - {None}
    return {alert.pk: alert for alert in Alert.objects.filter(pk__in=ids)} if ids else {}


def _record_late(effects, alert, ctx, now):
    """An alert's answer is late: audit entry ``alert_late`` and outbox event ``alert.late``."""
    effects.audit.append(
        {
            "case_id": alert.case_id,
            "actor_id": None,
            "at": now,
            "event": "alert_late",
            "data": {"alert": alert.pk, "code": alert.code, "answer_due_at": alert.answer_due_at.isoformat()},
        }
    )
    late = alert_event("alert.late", alert, parties=ctx.holders_of(alert.to_role))
    late.created_at = now
    effects.outbox.append(late)


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
