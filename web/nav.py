"""Who the signed-in user is for the interface (commune, handler, DVQ, administrator) and their menu.

This only chooses which pages to offer; every page still checks access itself (scope filter, engine
role checks), so a link shown here never grants anything.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from directory.models import OrganisationKind
from directory.roles import Role


@dataclass(frozen=True)
class Profile:
    is_commune: bool
    is_handler: bool
    is_supervisor: bool
    is_dvq: bool
    is_admin: bool
    # TFPB pages: landlords, communes, the community and the State's services (tfpb/scope.py)
    is_tfpb: bool = False
    is_referent: bool = False


def profile_of(user):
    cached = getattr(user, "_web_profile", None)
    if cached is not None:
        return cached
    if not user.is_authenticated:
        return Profile(False, False, False, False, False)
    organisation = user.organisation
    roles = user.role_codes
    profile = Profile(
        is_commune=bool(organisation and organisation.kind == OrganisationKind.COMMUNE),
        is_handler=bool(roles & {Role.AGENT, Role.SUPERVISOR}),
        is_supervisor=Role.SUPERVISOR in roles,
        is_dvq=Role.DVQ_OFFICER in roles,
        is_admin=user.is_staff or Role.ADMINISTRATOR in roles,
        is_tfpb=bool(
            user.is_staff
            or Role.ADMINISTRATOR in roles
            or (organisation and organisation.kind != OrganisationKind.CONTRACTOR)
        ),
        is_referent=Role.REFERENT in roles,
    )
    user._web_profile = profile
    return profile


# (url name, label, who sees it): a url name that is not (yet) routed is left out of the menu.
MENU = [
    ("home", _("Home"), lambda p: True),
    ("request-new", _("New request"), lambda p: p.is_commune),
    ("request-list", _("Requests"), lambda p: p.is_commune or p.is_dvq or p.is_admin),
    ("queue", _("My queue"), lambda p: p.is_handler),
    ("dvq-dashboard", _("DVQ"), lambda p: p.is_dvq),
    ("observation", _("Observation"), lambda p: p.is_commune or p.is_handler or p.is_dvq or p.is_admin),
    ("map", _("Map"), lambda p: True),
    ("steering-meetings", _("Steering"), lambda p: True),
    ("diagnostic-list", _("Walks"), lambda p: p.is_commune or p.is_dvq or p.is_admin),
    ("sector-list", _("Sub-sectors"), lambda p: p.is_admin or p.is_commune or p.is_supervisor),
    ("directory-home", _("Directory"), lambda p: True),
    ("tfpb-home", _("TFPB"), lambda p: p.is_tfpb),
    ("people", _("People"), lambda p: p.is_referent or p.is_admin),
    ("admin:index", _("Administration"), lambda p: p.is_admin),
]


def menu_for(user, current_path=""):
    profile = profile_of(user)
    items = []
    for name, label, visible in MENU:
        if not visible(profile):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "current": False})
    # only one item is the current page: the one whose address is the longest prefix of the path
    # (/requests/new/ is "New request", not also "Requests")
    matching = [item for item in items if current_path == item["url"] or (
        item["url"] != "/" and current_path.startswith(item["url"]))]  # fmt: skip
    if matching:
        max(matching, key=lambda item: len(item["url"]))["current"] = True
    return items
