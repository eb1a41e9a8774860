from django import template

from web.nav import menu_for

register = template.Library()


@register.inclusion_tag("web/_menu.html", takes_context=True)
def main_menu(context):
    request = context["request"]
    return {"items": menu_for(request.user, request.path) if request.user.is_authenticated else []}


@register.filter
def hectares(area_m2):
    """An area in square metres, shown in hectares with two decimals (localised)."""
    from django.utils.formats import number_format

    if area_m2 in (None, ""):
        return ""
    return number_format(float(area_m2) / 10_000, 2)


@register.filter
def person(user):
    """A user's full name, else their username; the system when there is none (automatic steps)."""
    from django.utils.translation import gettext

    if user is None:
        return gettext("system")
    return user.get_full_name() or user.username


@register.inclusion_tag("web/_bell.html", takes_context=True)
def notification_bell(context):
    """The bell of the header: the unread in-app notifications of the signed-in user (one COUNT)."""
    from web.views_notifications import unread_count

    request = context["request"]
    return {"unread": unread_count(request.user), "user": request.user}


@register.filter
def human_size(size):
    """A file size for people, in the page's language (``12 Mo``, ``900 Ko``)."""
    from engine.attachments import human_size as text

    return text(size)


@register.filter
def shown_inline(attachment):
    """Whether the attachment is an image the page may show (the download view serves it inline)."""
    from engine.attachments import INLINE_IMAGE_TYPES

    return attachment.content_type in INLINE_IMAGE_TYPES


@register.filter
def urlencode_dict(value):
    """A dict as a query string (``a=1&b=x``), e.g. the observation filters a steering topic keeps."""
    from django.utils.http import urlencode

    return urlencode(value or {})
