"""Deadline clocks on cases: start, pause, resume, stop and void, with their escalation points.

A deadline counts business time on its calendar (or plain elapsed time for plain durations). Its
escalation points sit at ``duration x (1 + offset)`` from the start: ``-25%`` at three quarters of the
duration, ``0`` at the due time, ``+100%`` one more duration later. Pausing keeps the elapsed time
and takes the points out of the sweeper's index (``fire_at`` empty); resuming computes new times
from the time left.
"""

import time as _time
from datetime import timedelta

from django.utils.translation import gettext as _

from engine import calendar as business_calendar
from engine import durations, registry
from engine.definitions import REFERENCE_RE
from engine.errors import EngineError
from engine.models import BusinessCalendar, Deadline, DeadlineState, EscalationPoint

LIVE = (DeadlineState.RUNNING, DeadlineState.PAUSED)
_SPEC_CACHE = {}
SPEC_CACHE_SECONDS = 30


def clear_caches():
    _SPEC_CACHE.clear()


def ensure_default_calendar():
    calendar, _created = BusinessCalendar.objects.get_or_create(
        code="default",
        defaults={"name": "Calendrier par défaut (jours ouvrés, fériés de France métropolitaine)"},
    )
    return calendar


def calendar_spec(code):
    """The CalendarSpec of a calendar, cached a few seconds per process (and cleared when one is saved)."""
    cached = _SPEC_CACHE.get(code)
    if cached and cached[0] > _time.monotonic():
        return cached[1]
    calendar = BusinessCalendar.objects.filter(code=code).prefetch_related("closure_days").first()
    if calendar is None:
        if code != "default":
            raise EngineError(_("Unknown business calendar '%(code)s'.") % {"code": code})
        calendar = ensure_default_calendar()
    spec = calendar.to_spec()
    _SPEC_CACHE[code] = (_time.monotonic() + SPEC_CACHE_SECONDS, spec)
    return spec


def resolve_duration(text, case):
    match = REFERENCE_RE.match(text.strip())
    if match and match.group(1) in registry.DURATION_RESOLVERS:
        duration = registry.DURATION_RESOLVERS[match.group(1)](case, match.group(2))
        if isinstance(duration, str):
            duration = durations.parse_duration(duration)
        return duration
    return durations.parse_duration(text)


def add(start, seconds, business, spec):
    if business:
        return business_calendar.add_business_seconds(start, max(seconds, 0), spec)
    return start + timedelta(seconds=seconds)


def between(start, end, business, spec):
    if end <= start:
        return 0
    if business:
        return business_calendar.business_seconds_between(start, end, spec)
    return int((end - start).total_seconds())


def _planned(case, kind, spec_def, now):
    """A running deadline (not saved) and its escalation points (to save once it has an id)."""
    duration = resolve_duration(spec_def["duration"], case)
    calendar_code = spec_def.get("calendar") or "default"
    spec = calendar_spec(calendar_code)
    total = business_calendar.duration_seconds(duration, spec) if duration.business else duration.seconds
    deadline = Deadline(
        case=case,
        kind=kind,
        state=DeadlineState.RUNNING,
        calendar_code=calendar_code,
        business=duration.business,
        duration_seconds=total,
        target_seconds=total,
        started_at=now,
        resumed_at=now,
        due_at=add(now, total, duration.business, spec),
    )
    points = []
    for index, point in enumerate(spec_def.get("escalations", [])):
        offset = round(total * (1 + point["offset"]))
        points.append(
            EscalationPoint(
                deadline=deadline,
                case=case,
                index=index,
                offset_seconds=offset,
                fire_at=add(now, offset, duration.business, spec),
            )
        )
    return deadline, points


def start_all(case, kinds_and_specs, now):
    """Create running deadlines and their escalation points: one INSERT for all the deadlines, one for
    all their points. Returns the deadlines, in the order given."""
    planned = [_planned(case, kind, spec_def, now) for kind, spec_def in kinds_and_specs]
    if not planned:
        return []
    deadlines = Deadline.objects.bulk_create([deadline for deadline, _points in planned])
    points = []
    for deadline, (_planned_deadline, its_points) in zip(deadlines, planned, strict=True):
        for point in its_points:
            point.deadline = deadline  # with its id now
            points.append(point)
    if points:
        EscalationPoint.objects.bulk_create(points)
    return deadlines


def start(case, kind, spec_def, now):
    """Create a running deadline and its escalation points."""
    return start_all(case, [(kind, spec_def)], now)[0]


def _silence_points(deadline):
    EscalationPoint.objects.filter(deadline=deadline, fired_at=None).update(fire_at=None)


def pause(deadline, now):
    spec = calendar_spec(deadline.calendar_code)
    deadline.elapsed_seconds += between(deadline.resumed_at, now, deadline.business, spec)
    deadline.remaining_seconds = deadline.duration_seconds - deadline.elapsed_seconds
    deadline.state = DeadlineState.PAUSED
    deadline.resumed_at = None
    deadline.save(update_fields=["elapsed_seconds", "remaining_seconds", "state", "resumed_at"])
    _silence_points(deadline)


def resume(deadline, now):
    spec = calendar_spec(deadline.calendar_code)
    remaining = deadline.duration_seconds - deadline.elapsed_seconds
    deadline.state = DeadlineState.RUNNING
    deadline.resumed_at = now
    deadline.remaining_seconds = None
    if remaining > 0:
        deadline.due_at = add(now, remaining, deadline.business, spec)
    deadline.save(update_fields=["state", "resumed_at", "remaining_seconds", "due_at"])
    points = list(EscalationPoint.objects.filter(deadline=deadline, fired_at=None))
    for point in points:
        left = point.offset_seconds - deadline.elapsed_seconds
        point.fire_at = add(now, left, deadline.business, spec) if left > 0 else now
    if points:
        EscalationPoint.objects.bulk_update(points, ["fire_at"])


def stop(deadline, now):
    if deadline.state == DeadlineState.PAUSED:
        on_time = (deadline.remaining_seconds or 0) >= 0
    else:
        on_time = deadline.due_at is None or now <= deadline.due_at
    deadline.state = DeadlineState.MET if on_time else DeadlineState.BREACHED
    deadline.stopped_at = now
    _measure(deadline, now)
    deadline.save(update_fields=["state", "stopped_at", "taken_seconds", "waited_seconds"])
    _silence_points(deadline)


def _measure(deadline, now):
    """Time counted on the clock and time spent paused, from its start to ``now`` (its stop)."""
    spec = calendar_spec(deadline.calendar_code)
    taken = deadline.elapsed_seconds
    if deadline.resumed_at is not None:  # running: the current run counts too
        taken += between(deadline.resumed_at, now, deadline.business, spec)
    deadline.taken_seconds = taken
    deadline.waited_seconds = max(between(deadline.started_at, now, deadline.business, spec) - taken, 0)


def void(deadline, now):
    deadline.state = DeadlineState.VOID
    deadline.stopped_at = now
    deadline.save(update_fields=["state", "stopped_at"])
    _silence_points(deadline)


def on_transition(case, definition, from_state, to_state, now, *, explicit=(), entering=True, opening=False):
    """Apply the definition's rules for a case moving from ``from_state`` to ``to_state``.

    ``opening``: the case was just created, so it has no live deadline to read.

    ``explicit`` lists ("start" | "stop", kind) requested by start_deadline / stop_deadline actions.
    Returns the list of (event, kind) done, for the audit entry.
    """
    specs = definition.get("deadlines", {})
    if not specs and not explicit:
        return []
    done = []
    final = definition["states"][to_state]["final"]
    live = {} if opening else {d.kind: d for d in Deadline.objects.filter(case=case, state__in=LIVE)}
    stop_kinds = {kind for action, kind in explicit if action == "stop"}
    for kind, deadline in list(live.items()):
        spec_def = specs.get(kind, {})
        stops = spec_def.get("stops", {})
        stopped_by_rule = entering and (
            to_state in stops.get("enter", [])
            or (from_state in stops.get("leave", []) and from_state != to_state)
        )
        if kind in stop_kinds or stopped_by_rule:
            stop(deadline, now)
            done.append(("stopped", kind))
            del live[kind]
        elif not entering:
            continue
        elif final:
            void(deadline, now)
            done.append(("voided", kind))
            del live[kind]
        elif deadline.state == DeadlineState.RUNNING and to_state in spec_def.get("pauses_in", []):
            pause(deadline, now)
            done.append(("paused", kind))
        elif deadline.state == DeadlineState.PAUSED and to_state not in spec_def.get("pauses_in", []):
            resume(deadline, now)
            done.append(("resumed", kind))
    # Entering a start state starts the deadline unless it is already live (it was resumed above);
    # a start_deadline action restarts it (the live one is voided).
    start_kinds = [
        kind
        for kind, spec_def in specs.items()
        if entering and to_state in spec_def["starts"]["enter"] and kind not in live
    ]
    restart = [kind for action, kind in explicit if action == "start" and kind not in start_kinds]
    starting = []
    for kind in [*start_kinds, *restart]:
        if final:
            continue
        if kind in live:
            void(live.pop(kind), now)
            done.append(("voided", kind))
        starting.append(kind)
        done.append(("started", kind))
        if to_state in specs[kind].get("pauses_in", []):
            done.append(("paused", kind))
    # all the deadlines started here in one INSERT, all their escalation points in another
    started = start_all(case, [(k, specs[k]) for k in starting], now)
    for kind, deadline in zip(starting, started, strict=True):
        if to_state in specs[kind].get("pauses_in", []):
            pause(deadline, now)
    if opening:
        case.opened_deadlines = started  # a new case's deadlines are these (no re-read needed)
    return done


def _iso(moment):
    from datetime import UTC

    return moment.astimezone(UTC).isoformat() if moment else None


def recompute(case, definition, now):
    """Re-resolve the duration of every live deadline of the case (its start and the business time
    already elapsed are kept) and move its due time and unfired escalation points accordingly.

    A running deadline becomes due ``new duration - elapsed`` business time after ``now``; a paused one
    keeps the new remaining time (its points stay out of the sweeper's index until it resumes). Unfired
    points whose escalation is no longer in the definition are voided (marked fired with the reason).
    Returns one dict per deadline: kind, state, duration and due time before and after.
    """
    specs = definition.get("deadlines", {})
    changes = []
    live = Deadline.objects.filter(case=case, state__in=LIVE).order_by("pk")
    for deadline in live:
        spec_def = specs.get(deadline.kind)
        if spec_def is None:
            continue
        duration = resolve_duration(spec_def["duration"], case)
        spec = calendar_spec(deadline.calendar_code)
        total = business_calendar.duration_seconds(duration, spec) if duration.business else duration.seconds
        elapsed = deadline.elapsed_seconds
        if deadline.state == DeadlineState.RUNNING:
            elapsed += between(deadline.resumed_at, now, deadline.business, spec)
        before = {
            "duration_seconds": deadline.duration_seconds,
            "due_at": deadline.due_at,
            "remaining_seconds": deadline.remaining_seconds,
        }
        deadline.duration_seconds = total
        if deadline.state == DeadlineState.RUNNING:
            # counted from the start of the current run: exact even when the new due time is past
            deadline.due_at = add(
                deadline.resumed_at, total - deadline.elapsed_seconds, deadline.business, spec
            )
        else:
            deadline.remaining_seconds = total - deadline.elapsed_seconds
        deadline.save(update_fields=["duration_seconds", "due_at", "remaining_seconds"])
        points = list(EscalationPoint.objects.filter(deadline=deadline, fired_at=None).order_by("index"))
        escalations = spec_def.get("escalations", [])
        moved, voided = [], []
        for point in points:
            if point.index >= len(escalations):
                point.fired_at, point.fire_at = now, None
                point.error = _("voided: escalation no longer in the definition")
                voided.append(point)
                continue
            point.offset_seconds = round(total * (1 + escalations[point.index]["offset"]))
            if deadline.state == DeadlineState.RUNNING:  # a point now past fires at the next sweep
                left = point.offset_seconds - deadline.elapsed_seconds
                point.fire_at = add(deadline.resumed_at, left, deadline.business, spec)
            moved.append(point)
        if moved or voided:
            EscalationPoint.objects.bulk_update(
                [*moved, *voided], ["offset_seconds", "fire_at", "fired_at", "error"]
            )
        changes.append(
            {
                "kind": deadline.kind,
                "state": deadline.state,
                "elapsed_seconds": elapsed,
                "before": {**before, "due_at": _iso(before["due_at"])},
                "after": {
                    "duration_seconds": total,
                    "due_at": _iso(deadline.due_at),
                    "remaining_seconds": deadline.remaining_seconds,
                },
                "points": [[p.index, _iso(p.fire_at)] for p in moved],
                "voided_points": [p.index for p in voided],
            }
        )
    return changes


# --- alert answer clocks ---------------------------------------------------------------------------------
# An alert with an answer delay gets a clock: a deadline of kind "alert:<alert id>" with one escalation
# point at the answer due time, which the sweeper claims and fires once like the others (running the
# alert's ``on_late`` actions). Its ``due_at`` stays empty (the due time is the alert's answer_due_at)
# so that request lists do not count a late answer as an overdue request.
ALERT_CLOCK = "alert:"


def alert_clock_kind(alert_id):
    return f"{ALERT_CLOCK}{alert_id}"


def alert_of_clock(kind):
    """The alert id of an answer clock's kind, or None for a deadline of the definition."""
    if not kind.startswith(ALERT_CLOCK):
        return None
    return int(kind[len(ALERT_CLOCK) :])


def start_alert_clocks(clocks):
    """``clocks``: [(alert (saved), seconds, business, calendar code)]; one deadline and point each."""
    rows = [
        Deadline(
            case_id=alert.case_id,
            kind=alert_clock_kind(alert.pk),
            state=DeadlineState.RUNNING,
            calendar_code=calendar_code,
            business=business,
            duration_seconds=seconds,
            started_at=alert.raised_at,
            resumed_at=alert.raised_at,
            due_at=None,
        )
        for alert, seconds, business, calendar_code in clocks
    ]
    if not rows:
        return
    Deadline.objects.bulk_create(rows)
    EscalationPoint.objects.bulk_create(
        [
            EscalationPoint(
                deadline=deadline,
                case_id=alert.case_id,
                index=0,
                offset_seconds=seconds,
                fire_at=alert.answer_due_at,
            )
            for deadline, (alert, seconds, _business, _code) in zip(rows, clocks, strict=True)
        ]
    )


def stop_alert_clock(alert, now):
    """The alert was answered or closed: its clock stops (met if on time, breached if late)."""
    for deadline in Deadline.objects.filter(
        case_id=alert.case_id, kind=alert_clock_kind(alert.pk), state__in=LIVE
    ):
        late = alert.answer_due_at is not None and now > alert.answer_due_at
        deadline.state = DeadlineState.BREACHED if late else DeadlineState.MET
        deadline.stopped_at = now
        deadline.save(update_fields=["state", "stopped_at"])
        _silence_points(deadline)
