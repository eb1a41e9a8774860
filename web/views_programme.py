"""The GUP programme's page: one entry of the menu leading to the programme's sections the user may use
(observation, annual reviews, sub-sector procedures, steering, walking diagnostics, TFPB)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from web.nav import programme_for


@login_required
def programme(request):
    return render(request, "web/programme.html", {"sections": programme_for(request.user)})
