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
