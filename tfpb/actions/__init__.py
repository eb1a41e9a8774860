"""The TFPB write path: conventions, programmes and their actions, submission to the partners, the yearly
review (realised amounts, indicators, documents) and its submission.

Each ``do_<verb>_<noun>(..., *, acting_user)`` checks its ``may_<verb>_<noun>`` (``acting_user=None`` is the
system: demo data, commands), runs in one transaction, writes a ``TfpbAuditEntry`` (old and new values) and
queues its outbox events. Bad input raises ``InvalidFields`` naming the field, in French; nothing is saved.

One module per noun (conventions, programmes, programme_actions, reviews, axes; _common: amounts, audit,
events); callers import from ``tfpb.actions``.
"""

from tfpb.actions._common import MAX_AMOUNT, parse_amount  # noqa: F401
from tfpb.actions.axes import do_save_axis, may_save_axis  # noqa: F401
from tfpb.actions.conventions import do_create_convention, may_create_convention  # noqa: F401
from tfpb.actions.programme_actions import (  # noqa: F401
    do_add_programme_action,
    do_change_programme_action,
    do_remove_programme_action,
)
from tfpb.actions.programmes import (  # noqa: F401
    conclude_programme_review,
    coverage,
    do_create_programme,
    do_submit_programme,
    may_edit_programme,
)
from tfpb.actions.reviews import (  # noqa: F401
    conclude_year_review,
    do_add_review_document,
    do_record_realisation,
    do_submit_year_review,
)
