"""TFPB pages: a landlord's conventions and programmes, the partners' review inbox, the community's overview,
the review page (planned against realised, chart and table, dysfunctions) and the exports."""

from .answers import answer_review, inbox  # noqa: F401
from .pages import (  # noqa: F401
    overview,
    overview_xlsx,
    programme_chart,
    programme_detail,
    programme_pdf,
    programme_xlsx,
    review_page,
    tfpb_home,
)
from .posts import (  # noqa: F401
    add_action,
    add_document,
    create_programme,
    edit_action,
    record_realisation,
    remove_action,
    submit_programme,
    submit_year_review,
)
