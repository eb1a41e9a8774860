"""The DVQ's guide pages: written by the DVQ and the administrators, each change kept as a version."""

import re

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steering.actions.common import audit, check, invalid, is_organiser
from steering.models import GuidePage, GuidePageVersion

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def may_edit_guide(user):
    return is_organiser(user)


def do_save_guide_page(
    *,
    slug,
    title,
    body,
    acting_user,
    page=None,
    categories=None,
    urgency_criteria=None,
    steps=None,
    change_note="",
):
    """Create a page or change it; the text saved becomes a new version (the older ones stay readable)."""
    check(may_edit_guide(acting_user), _("You may not edit the guide."))
    errors = {}
    slug = (slug or "").strip()
    if not SLUG.match(slug):
        errors["slug"] = _("Use lower-case letters, digits and hyphens.")
    elif GuidePage.objects.filter(slug=slug).exclude(pk=page.pk if page else None).exists():
        errors["slug"] = _("Another page already has this address.")
    if not (title or "").strip():
        errors["title"] = _("A page needs a title.")
    if not (body or "").strip():
        errors["body"] = _("A page needs a text.")
    if errors:
        invalid(**errors)
    with transaction.atomic():
        created = page is None
        page = GuidePage(version=0) if created else GuidePage.objects.select_for_update().get(pk=page.pk)
        changed = created or (page.title, page.body, page.slug) != (title.strip(), body, slug)
        page.slug, page.title, page.body = slug, title.strip(), body
        if changed:
            page.version += 1
            page.updated_at = timezone.now()
            page.updated_by = acting_user
        page.save()
        if categories is not None:
            page.categories.set(categories)
        if urgency_criteria is not None:
            page.urgency_criteria.set(urgency_criteria)
        if steps is not None:
            page.steps = sorted({str(s).strip() for s in steps if str(s).strip()})
            page.save(update_fields=["steps"])
        if changed:
            GuidePageVersion.objects.create(
                page=page,
                number=page.version,
                title=page.title,
                body=page.body,
                change_note=(change_note or "").strip()[:300],
                author=acting_user,
                at=page.updated_at,
            )
        audit(
            "guide_page_created" if created else "guide_page_changed",
            f"guide:{page.slug}",
            acting_user,
            version=page.version,
            change_note=(change_note or "").strip()[:300],
        )
    return page
