"""The diagnostics' write path: every change is a ``do_<verb>_<noun>(..., *, acting_user)`` here, in one
transaction, with its ``may_*`` check, an append-only ``DiagnosticAuditEntry`` and outbox events."""

from .conversion import (  # noqa: F401
    FOLLOW_UP_CONVERTERS,
    do_convert_findings_to_follow_up,
    do_convert_findings_to_requests,
    do_mark_findings_no_action,
    may_convert_findings_to_follow_up,
    may_convert_findings_to_requests,
    may_decide_findings,
    register_follow_up_converter,
)
from .diagnostics import (  # noqa: F401
    do_change_diagnostic,
    do_create_diagnostic,
    do_move_diagnostic,
    may_change_diagnostic,
    may_create_diagnostic,
    may_move_diagnostic,
)
from .findings import do_record_finding, may_record_finding  # noqa: F401
from .grids import (  # noqa: F401
    do_copy_grid_version,
    do_create_grid_version,
    do_edit_grid_version,
    do_publish_grid_version,
    do_retire_grid_version,
    load_grid_file,
    may_edit_grids,
)
from .routes import do_record_route_track, may_record_route  # noqa: F401
