"""Delivery of outbox events to the registered consumers, after commit, at least once, in order of id.

Events are written in the transaction that produced them. The worker delivers them: its job
``dispatch`` runs every ``WORKER_OUTBOX_POLL_MS`` (half a second by default, between the ticks
of the other jobs; in production a Celery beat entry runs it every second), so nothing that can wait
is done in the request. With ``ENGINE_OUTBOX_DISPATCH_ON_COMMIT`` (off by default) the producing
process instead tries to deliver them right after commit (``dispatch_after_commit``) and the worker
delivers whatever is left (crash, consumer failure). Consumers registered with a batch form get the
events of a round together (``registry.register_consumer(..., batch=...)``). Each event remembers
which consumers already got it,
so a retry only calls the others. A failing consumer makes the event wait (backoff) without blocking
the events after it. Claims use a lease (``locked_until``) taken with a compare-and-set update, so
two workers never deliver the same event at the same time.
"""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from engine import registry
from engine.models import OutboxEvent

logger = logging.getLogger(__name__)
LEASE_SECONDS = 120
MAX_BACKOFF_SECONDS = 3600


def _claim(queryset, now, batch, ids=None):
    """Lease up to ``batch`` pending events with a compare-and-set update; return those leased, by id."""
    token = uuid.uuid4()
    free = Q(locked_until__isnull=True) | Q(locked_until__lt=now)
    if ids is None:
        ids = list(
            queryset.filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(free)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return []
    OutboxEvent.objects.filter(pk__in=ids, delivered_at=None).filter(free).update(
        locked_until=now + timedelta(seconds=LEASE_SECONDS), lock_token=token
    )
    return list(OutboxEvent.objects.filter(lock_token=token, delivered_at=None).order_by("pk"))


def _deliver(events, now):
    """Give each event to every consumer that has not had it yet: a consumer registered with a batch
    form gets all the events of the round at once (one read of what it needs, one bulk write); when
    the batch fails, or for a per-event consumer, each event is handed over alone."""
    delivered = []
    everyone = list(registry.CONSUMERS)
    done = {event.pk: list(event.delivered_to) for event in events}
    errors = {}
    for name, consumer in list(registry.CONSUMERS.items()):
        waiting = [event for event in events if name not in done[event.pk]]
        if not waiting:
            continue
        batch = registry.batch_of(name, consumer)
        if batch is not None:
            try:
                with transaction.atomic():  # a failed batch leaves nothing half-written
                    batch(waiting)
            except Exception:
                logger.exception("outbox batch consumer %s failed; delivering one event at a time", name)
            else:
                for event in waiting:
                    done[event.pk].append(name)
                continue
        for event in waiting:
            try:
                consumer(event)
            except Exception as exc:
                logger.exception("outbox consumer %s failed on event %s", name, event.pk)
                errors.setdefault(event.pk, f"{name}: {type(exc).__name__}: {exc}")
                continue
            done[event.pk].append(name)
    for event in events:
        error = errors.get(event.pk)
        if error is None:
            delivered.append(event)
        else:
            attempts = event.attempts + 1
            OutboxEvent.objects.filter(pk=event.pk, lock_token=event.lock_token).update(
                delivered_to=done[event.pk],
                attempts=attempts,
                last_error=error[:2000],
                next_attempt_at=now + timedelta(seconds=min(2**attempts * 10, MAX_BACKOFF_SECONDS)),
                locked_until=None,
                lock_token=None,
            )
    # one update for every event delivered to all the consumers of its claim
    by_token = {}
    for event in delivered:
        by_token.setdefault(event.lock_token, []).append(event.pk)
    for token, ids in by_token.items():
        OutboxEvent.objects.filter(pk__in=ids, lock_token=token).update(
            delivered_at=now, delivered_to=everyone, locked_until=None, lock_token=None
        )
    return len(delivered)


def dispatch(batch=500):
    """Worker job: deliver pending events; returns how many were delivered."""
    total = 0
    while True:
        now = timezone.now()
        events = _claim(OutboxEvent.objects.filter(delivered_at=None), now, batch)
        if not events:
            return total
        total += _deliver(events, now)
        if len(events) < batch:
            return total


def dispatch_after_commit(ids):
    """Called by transaction.on_commit with the events just written: deliver them now, best effort."""
    if not registry.CONSUMERS or not dispatches_on_commit():
        return 0
    try:
        now = timezone.now()
        return _deliver(_claim(None, now, len(ids), ids=ids), now)
    except Exception:  # the worker will deliver them
        logger.exception("immediate outbox delivery failed; the worker will retry")
        return 0


def dispatches_on_commit():
    """Whether events are delivered by the producing process right after commit (else by the worker)."""
    return getattr(settings, "ENGINE_OUTBOX_DISPATCH_ON_COMMIT", False)


class _DispatchOnCommit:
    """One on_commit callback per transaction delivering all the events it wrote (one claim, one
    update marking them delivered, instead of one round per engine function)."""

    def __init__(self, ids):
        self.ids = list(ids)

    def __call__(self):
        dispatch_after_commit(self.ids)


def dispatch_on_commit(ids):
    """Deliver these events after commit, with the others written in the same transaction.

    If the callback they joined is dropped by the rollback of a savepoint while the transaction
    commits, they are not lost: the worker's ``dispatch`` job delivers every pending event. Only a
    callback registered under every savepoint open now is joined (so a rollback dropping it drops
    these events too, and the actions of a test, each in its own savepoint, stay apart)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        open_now = set(connection.savepoint_ids)
        for savepoints, callback, _robust in reversed(connection.run_on_commit):
            if isinstance(callback, _DispatchOnCommit) and open_now <= set(savepoints):
                callback.ids.extend(ids)
                return
    transaction.on_commit(_DispatchOnCommit(ids))


def emit(kind, *, case_id, payload):
    """Queue an outbox event from a domain write that is not an engine action (e.g. a message the
    procedures write for the commune): written in the caller's transaction, delivered after commit."""
    from engine.context import Effects

    effects = Effects()
    row = {"kind": kind, "case_id": case_id, "payload": {"case": case_id, **payload}}
    effects.outbox.append({**row, "created_at": timezone.now()})
    effects.flush()
