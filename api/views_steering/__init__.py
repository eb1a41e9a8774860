"""The steering module's API: meetings (invitations, answers, minutes, documents, .ics), actions and
their follow-up, questionnaires and the communes' answers. Every list and detail goes through
``steering.scope`` (out of scope: 404); every write calls ``steering.actions``."""

from api.views_steering.follow_up import ActionViewSet, RecommendationViewSet  # noqa: F401
from api.views_steering.meetings import MeetingKindViewSet, MeetingViewSet  # noqa: F401
from api.views_steering.questionnaires import QuestionnaireViewSet, ResponseViewSet  # noqa: F401
