"""Walking diagnostics in the browser: list, preparation, the phone's recording page and its service
worker, the analysis with bulk conversion, the report (page and PDF). Every write calls diagnostics.actions;
every page goes through diagnostics.scope (out of scope: 404)."""

from .analysis import diagnostic_analysis, diagnostic_convert, diagnostic_photo  # noqa: F401
from .pages import diagnostic_detail, diagnostic_list, diagnostic_move, diagnostic_new  # noqa: F401
from .record import diagnostic_record, service_worker  # noqa: F401
from .report import diagnostic_report, diagnostic_report_pdf  # noqa: F401
from .route import diagnostic_route  # noqa: F401
