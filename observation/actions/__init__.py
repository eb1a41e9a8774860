"""The observation app's write path, by noun: fines, backlog snapshots, monthly aggregates,
annual reviews.

Each ``do_<verb>_<noun>(..., *, acting_user)`` runs in one transaction: the permission check (its
``may_<verb>_<noun>`` beside it; ``acting_user=None`` is the system: the worker or a command), the
write, one ``ObservationAuditEntry`` and its outbox event.
"""

from .fines import MAX_FINE_EUR, do_record_fine, may_record_fine  # noqa: F401
from .monthly import (  # noqa: F401
    do_refresh_monthly_figures,
    may_refresh_monthly_figures,
    refresh_monthly_figures,
)
from .reviews import (  # noqa: F401
    do_correct_annual_review,
    do_edit_annual_review,
    do_generate_annual_review,
    do_publish_annual_review,
    do_request_review_run,
    may_write_annual_review,
    run_review_jobs,
)
from .snapshots import (  # noqa: F401
    do_take_backlog_snapshot,
    may_take_backlog_snapshot,
    month_bounds,
    take_due_snapshots,
)
