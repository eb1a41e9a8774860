"""Pages of the GUP steering: meetings (list, month calendar, detail with the invitee's answer, .ics,
documents, each user's secret iCalendar feed), the follow-up of actions, the communes' questionnaire
form and the organiser's compiled answers (printable, XLSX). Lists and details go through
``steering.scope``; every change calls ``steering.actions``."""

from web.views_steering.action_links import action_links  # noqa: F401
from web.views_steering.agenda import agenda_item_edit, agenda_item_remove, document_new  # noqa: F401
from web.views_steering.follow_up import (  # noqa: F401
    action_detail,
    action_list,
    action_status,
    recommendation_export,
    recommendation_list,
)
from web.views_steering.guide import guide_edit, guide_list, guide_new, guide_page, guide_version  # noqa: F401
from web.views_steering.meeting_forms import (  # noqa: F401
    decision_action,
    meeting_cancel,
    meeting_edit,
    meeting_minutes,
    meeting_new,
    meeting_send,
)
from web.views_steering.meetings import (  # noqa: F401
    calendar_feed,
    calendar_feed_reset,
    meeting_answer,
    meeting_calendar,
    meeting_detail,
    meeting_document,
    meeting_ics,
    meeting_list,
)
from web.views_steering.observation_topics import observation_topics_page  # noqa: F401
from web.views_steering.questionnaires import (  # noqa: F401
    questionnaire_answer,
    questionnaire_export,
    questionnaire_results,
)
from web.views_steering.recommendations import recommendation_pdf  # noqa: F401
from web.views_steering.topics import topic_choose, topic_propose  # noqa: F401
