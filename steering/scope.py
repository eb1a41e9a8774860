"""THE scope filters of the steering module: every list and detail, API and web, goes through them.

- the community's people (the CU's users), the DVQ and the administrators see everything;
- anyone else sees the meetings they or their organisation are invited to (and those they organise),
  the actions their organisation owns or that concern its territory (the commune concerned, or a QPV
  of that commune), their commune's questionnaire answers, the questionnaires sent to their commune.
Out of scope is 404, exactly like unknown.
"""

from django.db.models import Exists, OuterRef, Q

from directory.models import OrganisationKind
from steering.actions.common import is_organiser
from steering.models import Action, Invitation, Meeting, Questionnaire, QuestionnaireResponse, Recommendation


def sees_everything(user):
    if not user.is_authenticated or not user.is_active:
        return False
    return is_organiser(user) or bool(user.organisation_id and user.organisation.kind == OrganisationKind.CU)


def meetings_visible_to(user, queryset=None):
    queryset = Meeting.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if sees_everything(user):
        return queryset
    invited = Invitation.objects.filter(meeting=OuterRef("pk"), person_id=user.pk)
    q = Exists(invited) | Q(organiser_id=user.pk)
    if user.organisation_id:
        org_invited = Meeting.invited_organisations.through.objects.filter(
            meeting_id=OuterRef("pk"), organisation_id=user.organisation_id
        )
        q |= Exists(org_invited)
    return queryset.filter(q)


def actions_visible_to(user, queryset=None):
    queryset = Action.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if sees_everything(user):
        return queryset
    q = Q(owner_person_id=user.pk)
    if user.organisation_id:
        org = user.organisation_id
        q |= Q(owner_organisation_id=org) | Q(commune_id=org) | Q(qpv__commune_id=org)
    return queryset.filter(q)


def questionnaires_visible_to(user, queryset=None):
    queryset = Questionnaire.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if sees_everything(user):
        return queryset
    if not user.organisation_id:
        return queryset.none()
    asked = Questionnaire.communes.through.objects.filter(
        questionnaire_id=OuterRef("pk"), organisation_id=user.organisation_id
    )
    return queryset.filter(Exists(asked), sent_at__isnull=False)


def responses_visible_to(user, queryset=None):
    queryset = QuestionnaireResponse.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if sees_everything(user):
        return queryset
    return queryset.filter(commune_id=user.organisation_id) if user.organisation_id else queryset.none()


def recommendations_visible_to(user, queryset=None):
    queryset = Recommendation.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    if sees_everything(user):
        return queryset
    return queryset.filter(qpv__commune_id=user.organisation_id) if user.organisation_id else queryset.none()
