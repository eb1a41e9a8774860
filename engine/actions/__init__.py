"""The engine's actions: the only writers of cases, role holders, alerts, comments and attachments.

Each ``do_*`` function runs in one transaction, checks the actor's roles server-side, writes an
append-only audit entry and queues outbox events that are delivered after commit. ``acting_user``
None means the system (sweeper, commands) and is recorded as such.
"""

from ._common import (  # noqa: F401
    _check_roles,
    _convert,
    _roles_acting_now,
    _system_or,
    clean_fields,
    run_actions,
    run_guards,
)
from .alerts import (  # noqa: F401
    _alert_roles,
    _save_alert,
    do_answer_alert,
    do_close_alert,
    do_raise_alert,
)
from .cases import (  # noqa: F401
    _bump,
    check_may_fire,
    do_assign_role,
    do_fire_transition,
    do_open_case,
    do_recompute_deadlines,
)
from .migration import (  # noqa: F401
    do_migrate_cases,
    plan_migration,
)
from .notes import (  # noqa: F401
    _any_role,
    check_attachment,
    check_may_attach,
    do_attach,
    do_comment,
    may_attach,
    record_case_event,
)
from .shares import (  # noqa: F401
    _granted_by_id,
    _share_event,
    _share_permission,
    _shares,
    case_shared_with,
    check_may_see_shares,
    check_may_share,
    check_may_unshare,
    do_share_case,
    do_unshare_case,
    may_see_shares,
    may_share_case,
    may_unshare_case,
)
from .versions import (  # noqa: F401
    _change_version_status,
    _check_may_manage,
    _version_event,
    do_publish_version,
    do_retire_version,
    do_store_version,
    may_manage_procedure,
)

__all__ = [
    "case_shared_with",
    "check_attachment",
    "check_may_attach",
    "check_may_fire",
    "check_may_see_shares",
    "check_may_share",
    "check_may_unshare",
    "clean_fields",
    "do_answer_alert",
    "do_assign_role",
    "do_attach",
    "do_close_alert",
    "do_comment",
    "do_fire_transition",
    "do_migrate_cases",
    "do_open_case",
    "do_publish_version",
    "do_raise_alert",
    "do_recompute_deadlines",
    "do_retire_version",
    "do_share_case",
    "do_store_version",
    "do_unshare_case",
    "may_attach",
    "may_manage_procedure",
    "may_see_shares",
    "may_share_case",
    "may_unshare_case",
]
