"""The organiser's screen linking an action to intervention requests (by their references) and to the
sub-sector procedures it is about. Only what the organiser may see can be linked; the rules and the
audit entries are in ``steering.actions`` (``do_link_action``, ``do_unlink_action``)."""

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from engine.errors import EngineError
from procedures.scope import requests_visible_to
from procedures.sectors.scope import sector_procedures_visible_to
from steering import actions
from web.views_steering.common import add_errors, get_visible
from web.views_steering.follow_up import _visible


class ActionLinksForm(forms.Form):
    add_requests = forms.CharField(
        label=gettext_lazy("Requests to link"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Their references, separated by spaces or commas, e.g. DI-2026-000123."),
    )
    remove_requests = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Linked requests to take off"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sector_procedures = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Sub-sector procedures the action is about"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, action, **kwargs):
        self.user = user
        self.linked_requests = list(requests_visible_to(user, action.requests.order_by("reference")))
        self.procedures = list(sector_procedures_visible_to(user).order_by("title", "pk"))
        kwargs.setdefault(
            "initial",
            {
                "sector_procedures": list(
                    action.sector_procedures.filter(pk__in=[p.pk for p in self.procedures]).values_list(
                        "pk", flat=True
                    )
                )
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["remove_requests"].choices = [(r.pk, r.reference) for r in self.linked_requests]
        if not self.linked_requests:
            del self.fields["remove_requests"]
        self.fields["sector_procedures"].choices = [(p.pk, f"{p.title} ({p.code})") for p in self.procedures]
        if not self.procedures:
            del self.fields["sector_procedures"]

    def clean_add_requests(self):
        references = [r.upper() for r in re.split(r"[\s,;]+", self.cleaned_data["add_requests"]) if r]
        found = {r.reference: r for r in requests_visible_to(self.user).filter(reference__in=references)}
        unknown = [r for r in references if r not in found]
        if unknown:
            raise forms.ValidationError(
                _("Unknown request: %(references)s.") % {"references": ", ".join(unknown)}
            )
        return list(dict.fromkeys(found[r] for r in references))


def _page(request, action, form, status=200):
    return render(request, "web/steering/action_links.html", {"action": action, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def action_links(request, pk):
    action = get_visible(_visible(request), pk)
    if not actions.may_link_action(request.user, action):
        raise PermissionDenied(_("You may not change this action."))
    form = ActionLinksForm(request.POST or None, user=request.user, action=action)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        by_pk = {p.pk: p for p in form.procedures}
        chosen = {by_pk[pk] for pk in data.get("sector_procedures", [])}
        current = set(action.sector_procedures.filter(pk__in=by_pk))
        removed = [r for r in form.linked_requests if r.pk in set(data.get("remove_requests", []))]
        try:
            with transaction.atomic():  # one change for the organiser: all of it or nothing
                if data["add_requests"] or chosen - current:
                    actions.do_link_action(
                        action,
                        requests=data["add_requests"],
                        sector_procedures=sorted(chosen - current, key=lambda p: p.pk),
                        acting_user=request.user,
                    )
                if removed or current - chosen:
                    actions.do_unlink_action(
                        action,
                        requests=removed,
                        sector_procedures=sorted(current - chosen, key=lambda p: p.pk),
                        acting_user=request.user,
                    )
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The action's links are saved."))
            return redirect("steering-action", pk=action.pk)
    return _page(request, action, form, status=400 if form.is_bound else 200)
