"""The steering module's write path (one ``do_<verb>_<noun>`` per change, its ``may_*`` beside it)."""

from steering.actions.agenda import do_add_agenda_item, do_change_agenda_item, do_remove_agenda_item  # noqa: F401
from steering.actions.follow_up import (  # noqa: F401
    do_change_action_status,
    do_create_action,
    do_link_action,
    do_unlink_action,
    do_update_action,
    may_change_action,
    may_create_action,
    may_link_action,
    send_action_reminders,
)
from steering.actions.guide import do_save_guide_page, may_edit_guide  # noqa: F401
from steering.actions.meetings import (  # noqa: F401
    do_answer_invitation,
    do_attach_meeting_document,
    do_cancel_meeting,
    do_create_meeting,
    do_hold_meeting,
    do_invite_people,
    do_reset_calendar_feed,
    do_send_invitations,
    do_update_meeting,
    feed_owner,
    may_answer_invitation,
    may_change_meeting,
    may_create_meeting,
    may_send_invitations,
    steering_committees_without_technical_committee,
)
from steering.actions.observation_topics import (  # noqa: F401
    do_take_observation_topic,
    may_take_observation_topic,
)
from steering.actions.questionnaires import (  # noqa: F401
    do_choose_topic,
    do_create_questionnaire,
    do_propose_topic,
    do_save_answers,
    do_send_questionnaire,
    may_answer_questionnaire,
    may_propose_topic,
    send_questionnaire_reminders,
)
from steering.actions.recommendations import do_answer_recommendation, do_create_recommendation  # noqa: F401
