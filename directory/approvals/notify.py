"""E-mails of partner approvals, sent from the outbox after commit (consumer ``directory.approvals``): the
partner's GUP referents are told when they are asked to answer and when they are reminded. At least once:
a consumer retried after a failure may send a message again."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from directory.approvals.actions import REMINDED, STARTED
from directory.models import PartnerReview, User
from directory.roles import Role

logger = logging.getLogger(__name__)


def referents_of(organisation_id):
    return list(
        User.objects.filter(
            organisation_id=organisation_id, is_active=True, role_assignments__role=Role.REFERENT
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def consume(event):
    if event.kind not in (STARTED, REMINDED):
        return
    review = (
        PartnerReview.objects.filter(pk=event.payload.get("review"))
        .select_related("organisation", "process")
        .first()
    )
    if review is None or review.status != PartnerReview.Status.PENDING:
        return
    flow = review.process.flow_class
    if getattr(flow, "sends_its_own_emails", False):
        return  # the using flow tells its partners itself (e.g. the named referent of a sector procedure)
    recipients = [user.email for user in referents_of(review.organisation_id)]
    if not recipients:
        return
    subject_obj = review.process.artifact
    with translation.override(settings.LANGUAGE_CODE):
        if event.kind == REMINDED:
            title = _("Reminder: your answer is awaited on %(subject)s") % {"subject": subject_obj}
        else:
            title = _("Your answer is awaited on %(subject)s") % {"subject": subject_obj}
        body = _(
            "%(partner)s is asked to approve %(subject)s or to ask for changes. "
            "Answer from the platform: %(url)s"
        ) % {"partner": review.organisation, "subject": subject_obj, "url": settings.SITE_BASE_URL}
    send_mail(title[:200], body, None, recipients)
    logger.info(
        "approval e-mail %s sent for review %s to %d referent(s)", event.kind, review.pk, len(recipients)
    )
