"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) under /open311/v2/, in JSON and XML.

A request filed here is filed by `procedures.actions.do_file_request`, exactly as through the REST API
or the UI. `api_key` is a user's API token (a commune's), in the form body or the query string.

GET needs no key unless settings.OPEN311_GET_REQUIRES_KEY; without a key it shows every request but no
personal data (no names, emails, phone numbers, account ids, comments); with a key it shows only what the
key's user may see (the scope filter). Either way `status_notes` (and the `notes` extension) are only the
messages written for the commune in the platform's own words (PUBLIC_MESSAGE_KINDS: never an agent's
reason, resolution note or DVQ note), each cut to MAX_STATUS_NOTES characters. An unknown service_code on
POST is 404; dates without a time zone are 400. Extensions: `page`/`page_size`,
`updated_after`/`updated_before`, `extensions=true` (notes: the messages to the commune; extended attributes).
"""

import json
from datetime import timedelta
from xml.etree import ElementTree

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from api.authentication import user_for_key
from api.scope import visible_requests
from api.throttling import throttle_write
from engine.errors import EngineError, InvalidFields, RoleNotAllowed
from engine.models import Deadline, DeadlineState
from procedures import actions
from procedures.models import AttributeType, Category, InterventionRequest, MessageKind, RequestMessage

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-03-01T00:00:00Z"
MAX_RANGE_DAYS = 90
DEFAULT_LIMIT = 1000
MAX_DESCRIPTION = 4000
# status_notes and the notes extension: the messages written for the commune whose text is the
# platform's own (no agent's free text: no reason, resolution note or DVQ note), cut to this length.
MAX_STATUS_NOTES = 500
PUBLIC_MESSAGE_KINDS = (
    MessageKind.FILED,
    MessageKind.ACKNOWLEDGED,
    MessageKind.QUALIFIED,
    MessageKind.PLANNED,
    MessageKind.IN_PROGRESS,
    MessageKind.RESUMED,
    MessageKind.CLOSED,
    MessageKind.MERGED,
)
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}

DATATYPES = {
    AttributeType.STRING: "string",
    AttributeType.TEXT: "text",
    AttributeType.NUMBER: "number",
    AttributeType.DATETIME: "datetime",
    AttributeType.SINGLE_CHOICE: "singlevaluelist",
    AttributeType.MULTIPLE_CHOICE: "multivaluelist",
}


class Open311Error(Exception):
    def __init__(self, status, *descriptions, headers=None):
        self.status = status
        self.descriptions = [str(d) for d in descriptions]
        self.headers = headers or {}


# --- rendering ---------------------------------------------------------------------------------------


def w3c(moment):
    """A time-zone-aware W3C datetime (Europe/Paris offset), or None."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _xml_value(parent, name, value):
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, dict):
        for key, item in value.items():
            _xml_value(element, key, item)
    elif isinstance(value, list):
        singular = {
            "values": "value",
            "attributes": "attribute",
            "endpoints": "endpoint",
            "formats": "format",
        }
        child = singular.get(name, "item")
        for item in value:
            _xml_value(element, child, item)
    elif value is None:
        pass
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)
    return element


def render(data, fmt, *, root, item=None, status=200):
    if fmt == "xml":
        top = ElementTree.Element(root)
        if item is None:
            for key, value in data.items():
                _xml_value(top, key, value)
        else:
            for entry in data:
                node = ElementTree.SubElement(top, item)
                for key, value in entry.items():
                    _xml_value(node, key, value)
        body = b'<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(top, encoding="utf-8")
        body = body.replace(b"<?xml version='1.0' encoding='utf-8'?>\n", b"")
    else:
        body = json.dumps(data, ensure_ascii=False).encode()
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error_response(error, fmt):
    errors = [{"code": error.status, "description": d} for d in error.descriptions]
    response = render(errors, fmt, root="errors", item="error", status=error.status)
    for name, value in error.headers.items():
        response[name] = value
    return response


def open311_view(methods):
    def decorate(view):
        @csrf_exempt
        @require_http_methods(methods)
        def wrapper(request, fmt, **kwargs):
            try:
                for params in (request.GET, request.POST):
                    for name, values in params.lists():
                        if any("\x00" in value for value in [name, *values]):
                            raise Open311Error(
                                400, _("%(name)s: NUL characters are not allowed.") % {"name": name}
                            )
                return view(request, fmt, **kwargs)
            except Open311Error as error:
                return error_response(error, fmt)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorate


# --- keys and scope ----------------------------------------------------------------------------------


def _api_key(request):
    return (request.POST.get("api_key") or request.GET.get("api_key") or "").strip()


def _user_for(request, *, required):
    key = _api_key(request)
    if not key:
        if required:
            raise Open311Error(403, _("api_key is required."))
        return None
    user = user_for_key(key)
    if user is None:
        raise Open311Error(403, _("api_key is invalid or revoked."))
    return user


# --- discovery and services --------------------------------------------------------------------------


@open311_view(["GET"])
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:services", kwargs={"fmt": "json"})).rsplit("/", 1)[0]
    data = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "OPEN311_CONTACT", "") or settings.DEFAULT_FROM_EMAIL,
        "key_service": _("Ask the community's GUP team for an account; api_key is one of its API tokens."),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(data, fmt, root="discovery")


def _categories():
    return Category.objects.filter(is_active=True).select_related("group").prefetch_related("attributes")


def service_data(category):
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": bool(category.attributes.all()),
        "type": "realtime",
        "keywords": ",".join(category.keyword_list),
        "group": category.group.name,
    }


@open311_view(["GET"])
def services(request, fmt):
    data = [service_data(category) for category in _categories().order_by("group__position", "name", "pk")]
    return render(data, fmt, root="services", item="service")


@open311_view(["GET"])
def service_definition(request, fmt, service_code):
    category = _categories().filter(code=service_code).first()
    if category is None:
        raise Open311Error(404, _("No service has the code %(code)s.") % {"code": service_code})
    attributes = []
    for order, attribute in enumerate(category.attributes.all().order_by("position", "code"), start=1):
        entry = {
            "variable": True,
            "code": attribute.code,
            "datatype": DATATYPES.get(attribute.type, "string"),
            "required": attribute.required,
            "datatype_description": attribute.help_text,
            "order": order,
            "description": attribute.label,
        }
        if attribute.choices:
            entry["values"] = [{"key": choice, "name": choice} for choice in attribute.choices]
        attributes.append(entry)
    data = {"service_code": category.code, "attributes": attributes}
    return render(data, fmt, root="service_definition")


# --- requests ----------------------------------------------------------------------------------------


def _attributes_from(post):
    """`attribute[CODE]=v` and `attribute[CODE][]=v1&attribute[CODE][]=v2` as {code: value or [values]}."""
    values = {}
    for name in post:
        if not name.startswith("attribute[") or "]" not in name:
            continue
        code = name[len("attribute[") : name.index("]")]
        if name.endswith("[]"):
            values[code] = post.getlist(name)
        else:
            values[code] = post.get(name)
    return values


def _float(post, name):
    raw = post.get(name, "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be a number.") % {"name": name}) from None


@open311_view(["GET", "POST"])
def requests_collection(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    return _list(request, fmt)


def _create(request, fmt):
    user = _user_for(request, required=True)
    wait = throttle_write(user, request.META)  # the REST writes' rate, per user of the api_key
    if wait is not None:
        raise Open311Error(
            429,
            ngettext(
                "Too many requests: try again in %(seconds)d second.",
                "Too many requests: try again in %(seconds)d seconds.",
                wait,
            )
            % {"seconds": wait},
            headers={"Retry-After": str(wait)},
        )
    post = request.POST
    problems = []
    service_code = post.get("service_code", "").strip()
    if not service_code:
        problems.append(_("service_code is required."))
    lat, lon = _float(post, "lat"), _float(post, "long")
    if (lat is None) != (lon is None):
        problems.append(_("lat and long go together."))
    if lat is None and lon is None:
        if post.get("address_string", "").strip():
            problems.append(_("address_string alone cannot be located here: give lat and long."))
        else:
            problems.append(_("A location is required: lat and long."))
    description = post.get("description", "")
    if len(description) > MAX_DESCRIPTION:
        problems.append(_("description is limited to %(n)d characters.") % {"n": MAX_DESCRIPTION})
    if problems:
        raise Open311Error(400, *problems)
    category = Category.objects.filter(code=service_code, is_active=True).first()
    if category is None:
        raise Open311Error(404, _("service_code %(code)s is not a service.") % {"code": service_code})
    try:
        filed = actions.do_file_request(
            acting_user=user,
            category=category,
            description=description,
            lon=lon,
            lat=lat,
            address=post.get("address_string", "").strip(),
            attributes=_attributes_from(post),
        )
        media_url = post.get("media_url", "").strip()
        if media_url:
            from procedures.actions import do_comment_request

            do_comment_request(filed, acting_user=user, body=_("Photo: %(url)s") % {"url": media_url[:1000]})
    except RoleNotAllowed as exc:
        raise Open311Error(403, str(exc)) from None
    except InvalidFields as exc:
        raise Open311Error(400, *(f"{field}: {message}" for field, message in exc.errors.items())) from None
    except EngineError as exc:
        raise Open311Error(400, str(exc)) from None
    data = [{"service_request_id": filed.reference, "service_notice": "", "account_id": None}]
    return render(data, fmt, root="service_requests", item="request", status=201)


def _parse_when(raw, name):
    try:
        moment = parse_datetime(raw.strip()) if raw and raw.strip() else None
    except ValueError:
        moment = None
    if raw and raw.strip() and moment is None:
        raise Open311Error(400, _("%(name)s must be a W3C datetime.") % {"name": name})
    if moment is not None and timezone.is_naive(moment):
        raise Open311Error(
            400, _("%(name)s needs a time zone (e.g. 2026-03-01T00:00:00+01:00 or Z).") % {"name": name}
        )
    if moment is not None and abs(moment.utcoffset()) > timedelta(hours=14):
        raise Open311Error(400, _("%(name)s has an impossible UTC offset.") % {"name": name})
    return moment


def _int(raw, name, default, low, high):
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Open311Error(400, _("%(name)s must be an integer.") % {"name": name}) from None
    if not low <= value <= high:
        raise Open311Error(400, _("%(name)s must be between %(low)d and %(high)d.") % locals())
    return value


def _base_queryset():
    return InterventionRequest.objects.select_related(
        "case", "category", "handler_unit", "handler_organisation"
    ).prefetch_related(
        Prefetch(
            "case__deadlines",
            queryset=Deadline.objects.filter(kind="resolve")
            .exclude(state=DeadlineState.VOID)
            .order_by("-started_at"),
            to_attr="resolve_deadlines",
        ),
        Prefetch(
            "messages",
            queryset=RequestMessage.objects.filter(kind__in=PUBLIC_MESSAGE_KINDS).order_by(
                "-created_at", "-id"
            ),
            to_attr="latest",
        ),
    )


def public_text(body):
    """A message's text as served here: at most MAX_STATUS_NOTES characters (an ellipsis when cut)."""
    if body is None or len(body) <= MAX_STATUS_NOTES:
        return body
    return body[: MAX_STATUS_NOTES - 1].rstrip() + "…"


def _scoped(request):
    required = getattr(settings, "OPEN311_GET_REQUIRES_KEY", False)
    user = _user_for(request, required=required)
    queryset = _base_queryset()
    return visible_requests(user, queryset) if user is not None else queryset


def request_data(item, *, extensions=False):
    case = item.case
    deadlines = getattr(case, "resolve_deadlines", []) if case else []
    messages = getattr(item, "latest", [])
    handler = item.handler_unit or item.handler_organisation
    data = {
        "service_request_id": item.reference,
        "status": "closed" if item.closed_at else "open",
        "status_notes": public_text(messages[0].body) if messages else None,
        "service_name": item.category.name,
        "service_code": item.category.code,
        "description": item.description,
        "agency_responsible": handler.name if handler else None,
        "service_notice": None,
        "requested_datetime": w3c(item.created_at),
        "updated_datetime": w3c(item.updated_at),
        "expected_datetime": w3c(deadlines[0].due_at) if deadlines else None,
        "address": item.address or None,
        "address_id": None,
        "zipcode": None,
        "lat": item.lat,
        "long": item.lon,
        "media_url": None,
    }
    if extensions:
        data["extended_attributes"] = {
            "state": case.state if case else None,
            "urgency": item.urgency,
            "attributes": item.attributes,
        }
        data["notes"] = [
            {
                "datetime": w3c(message.created_at),
                "kind": message.kind,
                "description": public_text(message.body),
            }
            for message in reversed(messages)
        ]
    return data


def _list(request, fmt):
    query = request.GET
    queryset = _scoped(request)
    extensions = query.get("extensions", "").lower() == "true"
    ids = [part.strip() for part in query.get("service_request_id", "").split(",") if part.strip()]
    if ids:  # overrides every other filter
        rows = list(queryset.filter(reference__in=ids).order_by("-created_at", "-id"))
        return render(
            [request_data(r, extensions=extensions) for r in rows],
            fmt,
            root="service_requests",
            item="request",
        )
    codes = [part.strip() for part in query.get("service_code", "").split(",") if part.strip()]
    if codes:
        queryset = queryset.filter(category__code__in=codes)
    start, end = (
        _parse_when(query.get("start_date"), "start_date"),
        _parse_when(query.get("end_date"), "end_date"),
    )
    now = timezone.now()
    if start and end and start > end:
        raise Open311Error(400, _("start_date must be before end_date."))
    if start and end and end - start > timedelta(days=MAX_RANGE_DAYS):
        raise Open311Error(400, _("start_date and end_date are at most 90 days apart."))
    if start is None and end is None:
        start = now - timedelta(days=MAX_RANGE_DAYS)
    elif start is None:
        start = end - timedelta(days=MAX_RANGE_DAYS)
    queryset = queryset.filter(created_at__gte=start)
    if end is not None:
        queryset = queryset.filter(created_at__lte=end)
    statuses = {part.strip() for part in query.get("status", "").split(",") if part.strip()}
    if statuses - {"open", "closed"}:
        raise Open311Error(400, _("status is open, closed or both (comma-separated)."))
    if statuses == {"open"}:
        queryset = queryset.filter(closed_at__isnull=True)
    elif statuses == {"closed"}:
        queryset = queryset.filter(closed_at__isnull=False)
    updated_after = _parse_when(query.get("updated_after"), "updated_after")
    updated_before = _parse_when(query.get("updated_before"), "updated_before")
    if updated_after:
        queryset = queryset.filter(updated_at__gte=updated_after)
    if updated_before:
        queryset = queryset.filter(updated_at__lt=updated_before)
    page_size = _int(query.get("page_size"), "page_size", DEFAULT_LIMIT, 1, DEFAULT_LIMIT)
    page = _int(query.get("page"), "page", 1, 1, 1_000_000)
    offset = (page - 1) * page_size
    rows = list(queryset.order_by("-created_at", "-id")[offset : offset + page_size])
    data = [request_data(r, extensions=extensions) for r in rows]
    return render(data, fmt, root="service_requests", item="request")


@open311_view(["GET"])
def request_detail(request, fmt, service_request_id):
    queryset = _scoped(request)
    found = queryset.filter(reference=service_request_id).first()
    if found is None:
        raise Open311Error(404, _("No request has the id %(id)s.") % {"id": service_request_id})
    extensions = request.GET.get("extensions", "").lower() == "true"
    return render([request_data(found, extensions=extensions)], fmt, root="service_requests", item="request")


@open311_view(["GET"])
def token(request, fmt, token_id):
    """Requests are created at once: a token is the request's id, and resolves to it."""
    found = InterventionRequest.objects.filter(reference=token_id).values_list("reference", flat=True).first()
    if found is None:
        raise Open311Error(404, _("No request has the token %(id)s.") % {"id": token_id})
    return render(
        [{"service_request_id": found, "token": found}], fmt, root="service_requests", item="request"
    )
