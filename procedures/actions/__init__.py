"""The action layer of intervention requests: every write the API, the UI, the admin and commands make.

Each ``do_*`` function validates everything first (clear errors naming the fields, nothing saved),
then runs in one transaction: it changes the domain rows and calls the engine's actions (which check
the actor's roles, write the audit trail and queue the outbox events delivered after commit). The
commune's messages are written in the same transaction.

Errors are the engine's (mapped by the API): ``InvalidFields`` (400, one message per field),
``RoleNotAllowed`` (403), ``InvalidTransition`` / ``GuardFailed`` (400), ``ConcurrentChange`` (409).
"""

from ._common import (  # noqa: F401
    FILING_ROLES,
    MAX_DESCRIPTION,
    PROCEDURE,
    URGENCY_CHECK,
    _contact_of,
    _due,
    _errors_from,
    _lock,
    _message,
    _name_of,
    _when,
    commune_language,
    dispatcher_for,
    handler_key,
    role_holders_for,
)
from .agents import (  # noqa: F401
    AGENT_ROLES,
    ASSIGNING_ROLES,
    do_assign_request_agent,
    do_take_request,
    may_assign_agent,
    may_take_request,
    resolve_agent,
)
from .comments import (  # noqa: F401
    comments_for,
    do_attach_to_request,
    do_comment_request,
    may_comment_internally,
    may_read_decision_notes,
    may_read_internal_comments,
)
from .filing import (  # noqa: F401
    Routing,
    _category,
    _check_point,
    _criteria,
    _urgency_check_message,
    _write_urgency_check_message,
    check_filer,
    do_file_request,
    route,
)
from .notifications import (  # noqa: F401
    do_mark_notifications_read,
    do_set_notification_preference,
)
from .redirect import (  # noqa: F401
    do_follow_request,
    do_merge_duplicate,
    do_redirect_request,
)
from .references import (  # noqa: F401
    agents_of,
    may_put_in_charge,
    put_in_charge_candidates,
    resolve_agent_in_charge,
    resolve_person,
    resolve_redirect_target,
    resolve_request_reference,
    resolve_unit,
)
from .shares import (  # noqa: F401
    _share_target,
    check_may_see_request_shares,
    do_share_request,
    do_unshare_request,
    may_see_request_shares,
    may_share_request,
    may_unshare_request,
    request_shared_with,
)
from .transitions import (  # noqa: F401
    DOMAIN_QUALIFY_FIELDS,
    _after_transition,
    _apply_qualification,
    _write_after_transition,
    auto_close_done_requests,
    do_confirm_request,
    do_reopen_request,
    do_transition_request,
)
from .urgency import (  # noqa: F401
    _the_alert,
    do_dismiss_urgency_alert,
    do_justify_urgency,
    do_raise_urgency_alert,
    do_uphold_urgency_alert,
    open_urgency_alert,
)
from .versions import (  # noqa: F401
    do_publish_procedure_version,
    do_retire_procedure_version,
    do_store_procedure_version,
    may_manage_procedure,
)
