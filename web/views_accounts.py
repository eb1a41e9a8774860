"""Pages of access: accepting an invitation, asking for access from the login page, and the referents'
page of their organisation's people (invite, answer requests, deactivate). Every write is an action of
accounts.actions; every list goes through accounts.scope."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import actions
from accounts.models import AccessRequestStatus
from accounts.rules import grantable_roles, is_administrator, manages_organisation
from accounts.scope import access_requests_visible_to, invitations_visible_to, people_visible_to
from directory.models import RoleAssignment
from directory.roles import Role
from engine.errors import EngineError, InvalidFields
from web.forms import add_engine_errors
from web.forms_accounts import (
    AcceptInvitationForm,
    AccessRequestForm,
    ApproveForm,
    InviteForm,
    RefuseForm,
)

PAGE_SIZE = 50


def _role_labels(roles):
    return [str(Role(role).label) for role in roles if role in Role.values]


class LoginView(auth_views.LoginView):
    """The login page, with the single sign-on button when it is configured."""

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "oidc_enabled": settings.OIDC_ENABLED}


# --- invitation --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    try:
        invitation = actions.invitation_for_token(token)
    except InvalidFields as exc:
        return render(
            request, "web/accounts/invitation_invalid.html", {"message": exc.errors["token"]}, status=400
        )
    form = AcceptInvitationForm(
        request.POST or None,
        initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = actions.do_accept_invitation(
                    token,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    first_name=form.cleaned_data["first_name"],
                    last_name=form.cleaned_data["last_name"],
                )
            except EngineError as exc:
                add_engine_errors(form, exc, {"token": None})
            else:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("Welcome! Your account is ready."))
                return redirect("home")
        status = 400
    return render(
        request,
        "web/accounts/invitation_accept.html",
        {
            "form": form,
            "invitation": invitation,
            "roles": _role_labels(invitation.roles),
            "sso_enabled": getattr(settings, "OIDC_ENABLED", False),
        },
        status=status,
    )


# --- access request ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def access_request_new(request):
    form = AccessRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                actions.do_request_access(
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                    organisation_id=str(data["organisation"].pk),
                    job_title=data["job_title"],
                    reason=data["reason"],
                )
            except EngineError as exc:
                add_engine_errors(form, exc)
            else:
                return render(request, "web/accounts/access_request_sent.html")
        status = 400
    return render(request, "web/accounts/access_request_form.html", {"form": form}, status=status)


# --- the people of an organisation --------------------------------------------------------------------


def _require_manager(user):
    if not (is_administrator(user) or manages_organisation(user, user.organisation_id)):
        raise Http404


def _people_page(request, *, invite_form=None, forms_for=None, status=200):
    user = request.user
    people = (
        people_visible_to(user)
        .select_related("organisation")
        .prefetch_related(Prefetch("role_assignments", queryset=RoleAssignment.objects.order_by("role")))
        .order_by("organisation__name", "last_name", "first_name", "username")
    )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    for person in page.object_list:
        person.role_labels = _role_labels(a.role for a in person.role_assignments.all())
        person.manageable = actions.may_manage_person(user, person)
    pending = list(
        access_requests_visible_to(user)
        .filter(status=AccessRequestStatus.PENDING)
        .select_related("organisation")
        .order_by("created_at", "pk")
    )
    forms_for = forms_for or {}
    for item in pending:
        roles = grantable_roles(user, item.organisation_id)
        item.approve_form, item.refuse_form = forms_for.get(
            item.pk,
            (ApproveForm(prefix=f"a{item.pk}", roles=roles), RefuseForm(prefix=f"r{item.pk}")),
        )
    invitations = list(
        invitations_visible_to(user)
        .filter(accepted_at=None, expires_at__gt=timezone.now())
        .select_related("organisation")
        .order_by("-created_at", "-pk")[:PAGE_SIZE]
    )
    for invitation in invitations:
        invitation.role_labels = _role_labels(invitation.roles)
    can_invite = user.organisation_id is not None and manages_organisation(user, user.organisation_id)
    if invite_form is None and can_invite:
        invite_form = InviteForm(prefix="invite", roles=grantable_roles(user, user.organisation_id))
    return render(
        request,
        "web/accounts/people.html",
        {
            "page": page,
            "pending": pending,
            "invitations": invitations,
            "invite_form": invite_form,
            "organisation": user.organisation,
            "is_admin": is_administrator(user),
        },
        status=status,
    )


@login_required
def people(request):
    _require_manager(request.user)
    return _people_page(request)


@login_required
@require_POST
def people_invite(request):
    user = request.user
    _require_manager(user)
    if user.organisation_id is None:
        raise Http404
    form = InviteForm(request.POST, prefix="invite", roles=grantable_roles(user, user.organisation_id))
    if form.is_valid():
        data = form.cleaned_data
        try:
            invitation = actions.do_invite_person(
                user.organisation,
                data["email"],
                data["roles"],
                acting_user=user,
                first_name=data["first_name"],
                last_name=data["last_name"],
                job_title=data["job_title"],
            )
        except EngineError as exc:
            add_engine_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("people")
    return _people_page(request, invite_form=form, status=400)


def _access_request(request, pk):
    _require_manager(request.user)
    return get_object_or_404(access_requests_visible_to(request.user).select_related("organisation"), pk=pk)


@login_required
@require_POST
def access_request_approve(request, pk):
    item = _access_request(request, pk)
    roles = grantable_roles(request.user, item.organisation_id)
    form = ApproveForm(request.POST, prefix=f"a{item.pk}", roles=roles)
    if form.is_valid():
        try:
            actions.do_approve_access_request(item, form.cleaned_data["roles"], acting_user=request.user)
        except EngineError as exc:
            add_engine_errors(form, exc, {"email": None, "status": None})
        else:
            messages.success(
                request,
                _("Request approved: %(email)s has been sent an invitation.") % {"email": item.email},
            )
            return redirect("people")
    forms_for = {item.pk: (form, RefuseForm(prefix=f"r{item.pk}"))}
    return _people_page(request, forms_for=forms_for, status=400)


@login_required
@require_POST
def access_request_refuse(request, pk):
    item = _access_request(request, pk)
    form = RefuseForm(request.POST, prefix=f"r{item.pk}")
    if form.is_valid():
        try:
            actions.do_refuse_access_request(
                item, form.cleaned_data["refusal_reason"], acting_user=request.user
            )
        except EngineError as exc:
            add_engine_errors(form, exc, {"status": None})
        else:
            messages.success(request, _("Request refused; %(email)s has been told.") % {"email": item.email})
            return redirect("people")
    roles = grantable_roles(request.user, item.organisation_id)
    forms_for = {item.pk: (ApproveForm(prefix=f"a{item.pk}", roles=roles), form)}
    return _people_page(request, forms_for=forms_for, status=400)


@login_required
@require_POST
def person_active(request, pk):
    _require_manager(request.user)
    person = get_object_or_404(people_visible_to(request.user), pk=pk)
    activate = request.POST.get("active") == "1"
    try:
        if activate:
            actions.do_reactivate_person(person, acting_user=request.user)
        else:
            actions.do_deactivate_person(person, acting_user=request.user)
    except EngineError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("people"))
    name = person.get_full_name() or person.username
    messages.success(
        request,
        (_("%(name)s can sign in again.") if activate else _("%(name)s's account is deactivated."))
        % {"name": name},
    )
    return redirect("people")
