""" "How to" links to the DVQ's guide next to a procedure step, a category or an urgency criterion."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from steering.models import GuidePage

register = template.Library()


def _links(pages):
    pages = list(pages)
    if not pages:
        return ""
    return format_html(
        ' <span class="guide-links">{}</span>',
        format_html_join(
            " ",
            '<a href="{}" class="guide-link">{}<span class="visually-hidden"> : {}</span></a>',
            ((reverse("guide-page", args=[p.slug]), _("How to"), p.title) for p in pages),
        ),
    )


@register.simple_tag
def guide_for_step(state):
    """Guide pages explaining the procedure step (state name) ``state``."""
    if not state:
        return ""
    return _links(p for p in GuidePage.objects.only("slug", "title", "steps") if state in (p.steps or []))


@register.simple_tag
def guide_for_category(category):
    return _links(category.guide_pages.only("slug", "title")) if category is not None else ""


@register.simple_tag
def guide_for_criterion(criterion):
    return _links(criterion.guide_pages.only("slug", "title")) if criterion is not None else ""
