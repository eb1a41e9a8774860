"""Intervention requests in the browser: file, list (and map), read, and act on one.

Every list and detail starts from THE scope filter (procedures.scope via web.queries): a request out
of scope is a 404. Every change calls procedures.actions or the engine's actions, which check the
roles and write the audit trail; their errors are shown on the form that was sent (status 400, 403 or
409, the page re-rendered with what was typed). Pages work without JavaScript; htmx only swaps parts.
"""

from ._common import (  # noqa: F401
    MAX_POINTS,
    PAGE_SIZE,
    error_status,
    is_htmx,
)
from .detail import (  # noqa: F401
    ShareForm,
    attribute_rows,
    detail_context,
    done,
    request_attach,
    request_attachment,
    request_comment,
    request_detail,
    request_transition,
    requester_side,
    rerender_with_error,
    scoped_request,
    share_context,
)
from .filing import (  # noqa: F401
    candidates_for,
    chosen_category,
    request_follow,
    request_new,
    request_new_category_fields,
    request_new_duplicates,
)
from .fines import request_fine  # noqa: F401
from .lists import (  # noqa: F401
    filtered_requests,
    page_of,
    query_without_page,
    request_list,
    request_points,
    state_choices,
)
from .personal_data import (  # noqa: F401
    request_personal_data_mark,
    request_personal_data_unmark,
)
from .shares import (  # noqa: F401
    request_share,
    request_unshare,
)
from .steps import (  # noqa: F401
    _alert_step,
    _close_alert,
    alert_answer,
    alert_close,
    alert_raise,
    request_take,
)
from .time_spent import request_time_spent  # noqa: F401
