"""What guards and actions see and use: the case, the actor, the fields, and a buffer of effects.

Actions never write directly: they change ``ctx.data_updates``, emit outbox events, raise alerts or
start/stop deadlines through the context, and the calling engine function writes everything in its
transaction (in bulk, so the sweeper can fire thousands of points per second).
"""

from django.utils import timezone

from engine.bulk import as_row, insert_rows
from engine.definitions import DEFAULT_ALERT, alert_spec
from engine.models import Alert, AuditEntry, OutboxEvent


class Effects:
    """Rows to write at the end of an engine function, in bulk."""

    def __init__(self):
        self.audit = []
        self.outbox = []
        self.alerts = []  # (Alert, actor)

    def record(
        self, case, event, *, actor, at, data, payload, from_state="", to_state="", fields=None, reason=""
    ):
        """What every case action leaves: its audit entry ``event`` and its outbox event ``case.<event>``
        (whose payload always names the case)."""
        self.audit.append(
            AuditEntry(
                case_id=case.pk,
                actor=actor,
                at=at,
                event=event,
                from_state=from_state,
                to_state=to_state,
                fields={} if fields is None else fields,
                reason=reason or "",
                data=data,
            )
        )
        self.outbox.append(
            OutboxEvent(kind=f"case.{event}", case_id=case.pk, payload={"case": case.pk, **payload})
        )

    def flush(self, dispatch=True):
        """Write the buffered rows; with ``dispatch`` and ``ENGINE_OUTBOX_DISPATCH_ON_COMMIT``, deliver the
        new outbox events right after commit (else the worker's outbox job delivers them)."""
        if self.alerts:
            Alert.objects.bulk_create([alert for alert, _definition in self.alerts])
            from engine.deadlines import start_alert_clocks

            start_alert_clocks(
                [
                    (alert, *alert.answer_clock)
                    for alert, _spec in self.alerts
                    if getattr(alert, "answer_clock", None)
                ]
            )
            for alert, _spec in self.alerts:
                self.audit.append(
                    AuditEntry(
                        case_id=alert.case_id,
                        actor=alert.raised_by,
                        at=alert.raised_at,
                        event="alert_raised",
                        reason=alert.reason,
                        data={"alert": alert.pk, "code": alert.code, "to_role": alert.to_role},
                    )
                )
                self.outbox.append(alert_event("alert.raised", alert, parties=getattr(alert, "parties", [])))
        if self.audit:
            insert_rows(AuditEntry, [row if isinstance(row, dict) else as_row(row) for row in self.audit])
        if self.outbox:
            from engine import outbox

            dispatch = dispatch and outbox.dispatches_on_commit()
            rows = [row if isinstance(row, dict) else as_row(row) for row in self.outbox]
            events = insert_rows(OutboxEvent, rows, need_ids=dispatch)
            ids = [event.pk for event in events or () if event.pk is not None]
            if ids and dispatch:
                outbox.dispatch_on_commit(ids)
        self.audit, self.outbox, self.alerts = [], [], []


def alert_event(kind, alert, **extra):
    return OutboxEvent(
        kind=kind,
        case_id=alert.case_id,
        payload={
            "case": alert.case_id,
            "alert": alert.pk,
            "code": alert.code,
            "to_role": alert.to_role,
            "state": alert.state,
            **extra,
        },
    )


class Context:
    def __init__(
        self,
        case,
        *,
        actor,
        definition,
        now,
        holders,
        effects,
        fields=None,
        reason="",
        transition=None,
        roles=frozenset(),
    ):
        self.case = case
        self.actor = actor
        self.definition = definition
        self.now = now
        self.holders = holders
        self.effects = effects
        self.fields = fields or {}
        self.reason = reason
        self.transition = transition
        self.roles = roles
        self.data_updates = {}
        self.deadline_ops = []

    # reading
    def holders_of(self, role):
        return list(self.holders.get(role, []))

    def value(self, field):
        if field in self.data_updates:
            return self.data_updates[field]
        if field in self.fields:
            return self.fields[field]
        return self.case.data.get(field)

    # effects
    def emit(self, kind, payload):
        self.effects.outbox.append(
            {
                "kind": kind,
                "case_id": self.case.pk,
                "payload": {"case": self.case.pk, **payload},
                "created_at": self.now or timezone.now(),
            }
        )

    def set_field(self, name, value):
        self.data_updates[name] = value

    def start_deadline(self, kind):
        self.deadline_ops.append(("start", kind))

    def stop_deadline(self, kind):
        self.deadline_ops.append(("stop", kind))

    def raise_alert(self, code, to_role, reason=""):
        from engine.deadlines import add, calendar_spec, resolve_duration

        code = code or DEFAULT_ALERT
        spec = alert_spec(self.definition, code)
        due, clock = None, None
        if spec.get("answer_within"):
            duration = resolve_duration(spec["answer_within"], self.case)
            calendar = calendar_spec(spec.get("calendar") or "default")
            from engine import calendar as business_calendar

            seconds = (
                business_calendar.duration_seconds(duration, calendar)
                if duration.business
                else duration.seconds
            )
            due = add(self.now, seconds, duration.business, calendar)
            clock = (seconds, duration.business, spec.get("calendar") or "default")
        alert = Alert(
            case_id=self.case.pk,
            code=code,
            to_role=to_role or (spec["answered_by"][0] if spec["answered_by"] else ""),
            raised_by=self.actor,
            raised_at=self.now,
            reason=reason,
            answer_due_at=due,
        )
        alert.parties = self.holders_of(alert.to_role)
        alert.answer_clock = clock  # (seconds, business, calendar): started when the alert is written
        self.effects.alerts.append((alert, spec))
        return alert
