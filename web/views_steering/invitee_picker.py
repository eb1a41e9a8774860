"""The searchable invitee picker of the meeting forms: a search field and the list of matching people as
checkboxes. Without JavaScript the "Search" button sends the form back with the list filtered by the
server (nothing is saved, what was typed is kept); with JavaScript (static/web/invitee-picker.js) the
list is also filtered as one types. The people already ticked always stay in the list."""

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from directory.models import User

LIMIT = 200  # people listed at most; a search narrows the list
SEARCH_BUTTON = "search_people"


def _label(user):
    name = user.get_full_name() or user.username
    return f"{name} ({user.organisation.name})" if user.organisation_id else name


def _matching(query):
    people = User.objects.filter(is_active=True).select_related("organisation")
    for term in (query or "").split()[:5]:
        people = people.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(username__icontains=term)
            | Q(email__icontains=term)
            | Q(organisation__name__icontains=term)
        )
    return people.order_by("last_name", "first_name", "username")


def picker_choices(query, selected):
    """(choices, summary): the ticked people first, then those matching ``query`` (LIMIT at most)."""
    selected_ids = []
    for value in selected or ():
        try:
            selected_ids.append(int(value))
        except (TypeError, ValueError):
            continue
    ticked = list(
        User.objects.filter(pk__in=selected_ids, is_active=True)
        .select_related("organisation")
        .order_by("last_name", "first_name", "username")
    )
    matching = _matching(query).exclude(pk__in=[u.pk for u in ticked])
    total = matching.count()
    listed = list(matching[:LIMIT])
    choices = [(u.pk, _label(u)) for u in [*ticked, *listed]]
    if query and query.strip():
        summary = ngettext(
            "%(count)d person matches “%(query)s”.", "%(count)d people match “%(query)s”.", total
        ) % {"count": total, "query": query.strip()}
    else:
        summary = ngettext("%(count)d person to choose from.", "%(count)d people to choose from.", total) % {
            "count": total
        }
    if total > len(listed):
        summary += " " + _("The first %(shown)d are listed: search to narrow the list.") % {
            "shown": len(listed)
        }
    if ticked:
        summary += " " + ngettext("%(count)d person ticked.", "%(count)d people ticked.", len(ticked)) % {
            "count": len(ticked)
        }
    return choices, summary


def initial_from(post, form_class):
    """What was typed in a form sent with the search button, as the initial values of an unbound form
    (so that no error is shown yet)."""
    from django import forms

    initial = {}
    for name, field in form_class.base_fields.items():
        if name not in post:
            continue
        multiple = isinstance(field, forms.MultipleChoiceField)
        initial[name] = post.getlist(name) if multiple else post.get(name)
    return initial
