from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    user = request.user
    return render(
        request,
        "web/home.html",
        {
            "organisation": user.organisation,
            "unit": user.unit,
            "roles": [assignment.get_role_display() for assignment in user.role_assignments.all()],
        },
    )
