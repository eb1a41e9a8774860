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
# The work of the GUP programme (observation, sub-sector procedures, steering, walks, TFPB) has one entry,
# "programme", whose page lists the sections below: the menu stays on one line.
MENU = [
    ("home", _("Home"), lambda p: True),
    ("request-new", _("New request"), lambda p: p.is_commune),
    ("request-list", _("Requests"), lambda p: p.is_commune or p.is_dvq or p.is_admin),
    ("queue", _("My queue"), lambda p: p.is_handler),
    ("dvq-dashboard", _("DVQ"), lambda p: p.is_dvq),
    ("map", _("Map"), lambda p: True),
    ("programme", _("GUP programme"), lambda p: True),
    ("directory-home", _("Directory"), lambda p: True),
    ("people", _("People"), lambda p: p.is_referent or p.is_admin),
    ("admin:index", _("Administration"), lambda p: p.is_admin),
]

# The sections of the programme page: (url name, title, what it is for, who sees it).
PROGRAMME = [
    (
        "observation",
        _("Observation of service quality"),
        _("Volumes, delays and share on time by handler, commune, QPV and category; charts, exports."),
        lambda p: p.is_commune or p.is_handler or p.is_dvq or p.is_admin,
    ),
    (
        "review-list",
        _("Annual reviews"),
        _("The yearly review of the GUP actions, for the community and for each commune."),
        lambda p: p.is_commune or p.is_handler or p.is_dvq or p.is_admin,
    ),
    (
        "sector-list",
        _("Sub-sector procedures"),
        _("Experimental procedures on complex perimeters: who does what where, pooled means, approvals."),
        lambda p: p.is_admin or p.is_commune or p.is_supervisor or p.is_dvq,
    ),
    (
        "sector-inbox",
        _("Approvals to give"),
        _("Sub-sector procedures and evaluations waiting for your organisation's answer."),
        lambda p: True,
    ),
    (
        "steering-meetings",
        _("Meetings and committees"),
        _("Referents' meetings, workshops, technical and steering committees, with their minutes."),
        lambda p: True,
    ),
    (
        "steering-actions",
        _("Follow-up of actions"),
        _("The actions decided in meetings, their owners, due dates and progress."),
        lambda p: True,
    ),
    (
        "steering-recommendations",
        _("Recommendations"),
        _("Recommendations to the urban-renewal teams and their answers."),
        lambda p: True,
    ),
    (
        "guide-list",
        _("DVQ's guide"),
        _("How the procedures work, step by step."),
        lambda p: True,
    ),
    (
        "diagnostic-list",
        _("Walking diagnostics"),
        _("Prepare a walk, record findings on a phone, analyse them and turn them into requests."),
        lambda p: p.is_commune or p.is_dvq or p.is_admin,
    ),
    (
        "tfpb-home",
        _("TFPB abatement"),
        _("Landlords' conventions, yearly programmes and their review by the partners."),
        lambda p: p.is_tfpb,
    ),
]


def programme_for(user):
    """The sections of the programme page this user is offered (routed ones only)."""
    profile = profile_of(user)
    sections = []
    for name, title, description, visible in PROGRAMME:
        if not visible(profile):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        sections.append({"url": url, "title": title, "description": description})
    return sections


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
        items.append({"url": url, "label": label, "current": False, "programme": name == "programme"})
    # only one item is the current page: the one whose address is the longest prefix of the path
    # (/requests/new/ is "New request", not also "Requests")
    matching = [item for item in items if current_path == item["url"] or (
        item["url"] != "/" and current_path.startswith(item["url"]))]  # fmt: skip
    if not matching:  # a page of one of the programme's sections: the programme is current
        programme = next((item for item in items if item.get("programme")), None)
        prefixes = {"/" + section["url"].strip("/").split("/")[0] + "/" for section in programme_for(user)}
        if programme and any(current_path.startswith(prefix) for prefix in prefixes - {"//"}):
            matching = [programme]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["current"] = True
    return items
