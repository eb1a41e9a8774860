"""What the analysis makes of findings: intervention requests (in bulk, duplicates linked rather than
filed again), "no action" with a reason, or follow-up actions and recommendations through the
extension point below. Every conversion is recorded on the finding; a converted finding stays so."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from diagnostics.models import Diagnostic, DiagnosticStatus, Finding, Outcome
from engine.errors import InvalidFields
from procedures.actions import do_file_request
from procedures.duplicates import duplicate_candidates
from procedures.scope import requests_visible_to

from ._common import audit, check, event, is_referent_of, may_organise

# --- extension point: follow-up actions and recommendations ---------------------------------------------
# The steering app registers (from its AppConfig.ready), for "action" and "recommendation", a function
#     convert(diagnostic, findings, *, acting_user, **options) -> str   (the reference of what it created)
# called once for the whole set of findings, inside the conversion's transaction: the set becomes ONE
# action or recommendation. Until one is registered, those conversions are refused with a clear message.
# ``may(user)`` (optional) says whether that user may create such a thing (the page offers it only then).
FOLLOW_UP_CONVERTERS = {}
FOLLOW_UP_PERMISSIONS = {}


def register_follow_up_converter(kind, function, may=None):
    if kind not in (Outcome.ACTION, Outcome.RECOMMENDATION):
        raise ValueError(f"unknown follow-up kind {kind!r}")
    FOLLOW_UP_CONVERTERS[kind] = function
    FOLLOW_UP_PERMISSIONS[kind] = may


def may_convert_findings_to_follow_up(acting_user, diagnostic, kind):
    """Available (a converter is registered), and allowed both here and by the module that creates it."""
    if kind not in FOLLOW_UP_CONVERTERS or not may_decide_findings(acting_user, diagnostic):
        return False
    may = FOLLOW_UP_PERMISSIONS.get(kind)
    return may is None or bool(may(acting_user))


def may_convert_findings_to_requests(acting_user, diagnostic):
    """The commune files the requests: its referents and requesters."""
    return is_referent_of(acting_user, diagnostic.commune_id)


def may_decide_findings(acting_user, diagnostic):
    return may_organise(acting_user, diagnostic.commune_id)


def _locked(diagnostic, finding_ids):
    diagnostic = (
        Diagnostic.objects.select_for_update(of=("self",))
        .select_related("grid_version")
        .get(pk=diagnostic.pk)
    )
    if diagnostic.status != DiagnosticStatus.UNDER_ANALYSIS:
        raise InvalidFields(
            {"diagnostic": _("Findings are converted while the diagnostic is under analysis.")}
        )
    ids = []
    for value in finding_ids or ():
        pk = getattr(value, "pk", value)
        if not str(pk).isdigit():
            raise InvalidFields({"findings": _("Unknown finding: %(id)s.") % {"id": str(pk)[:20]}})
        ids.append(int(pk))
    if not ids:
        raise InvalidFields({"findings": _("Choose at least one finding.")})
    findings = list(
        Finding.objects.select_for_update(of=("self",))
        .filter(diagnostic=diagnostic, pk__in=ids)
        .select_related("item__theme", "item__category")
        .order_by("pk")
    )
    missing = sorted(set(ids) - {f.pk for f in findings})
    if missing:
        raise InvalidFields(
            {"findings": _("Unknown finding: %(id)s.") % {"id": ", ".join(map(str, missing))}}
        )
    return diagnostic, findings


def _record(finding, outcome, acting_user, *, request=None, reason="", reference="", **extra):
    finding.outcome, finding.request, finding.outcome_reason = outcome, request, reason
    finding.outcome_reference = reference
    finding.converted_at, finding.converted_by = timezone.now(), acting_user
    finding.save(
        update_fields=[
            "outcome",
            "request",
            "outcome_reason",
            "outcome_reference",
            "converted_at",
            "converted_by",
        ]
    )
    audit(
        "finding_converted",
        f"diagnostic:{finding.diagnostic_id}/finding:{finding.pk}",
        acting_user,
        outcome=outcome,
        request=request.reference if request else None,
        reason=reason,
        reference=reference,
        **extra,
    )
    event("finding_converted", diagnostic=finding.diagnostic_id, finding=finding.pk, outcome=outcome)


def _description(diagnostic, finding):
    text = _("%(theme)s – %(item)s (%(rating)s).") % {
        "theme": finding.item.theme.label,
        "item": finding.item.label,
        "rating": diagnostic.grid_version.rating_label(finding.rating),
    }
    text += " " + _("Seen during the walking diagnostic « %(title)s » of %(date)s.") % {
        "title": diagnostic.title,
        "date": diagnostic.date.strftime("%d/%m/%Y"),
    }
    if finding.comment:
        text += " " + finding.comment
    return text[:2000]


def _file_anyway(finding_ids, file_anyway, reason):
    """The findings to file although an open request is nearby, and the reason why (required then)."""
    chosen = {int(getattr(f, "pk", f)) for f in finding_ids or () if str(getattr(f, "pk", f)).isdigit()}
    ids = set()
    for value in file_anyway or ():
        pk = getattr(value, "pk", value)
        if not str(pk).isdigit() or int(pk) not in chosen:
            raise InvalidFields(
                {"file_anyway": _("Finding %(id)s is not among the chosen findings.") % {"id": str(pk)[:20]}}
            )
        ids.add(int(pk))
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if ids and not reason:
        raise InvalidFields(
            {"reason": _("Say why a new request is filed although an open request is nearby.")}
        )
    if len(reason) > 500:
        raise InvalidFields({"reason": _("At most %(n)d characters.") % {"n": 500}})
    return ids, reason


def do_convert_findings_to_requests(diagnostic, finding_ids, *, acting_user, file_anyway=(), reason=""):
    """Turn findings into intervention requests filed by the commune (the acting referent), each with its
    photos and the category of its grid item. A finding near an open request of the same kind is linked
    to it instead, unless it is in ``file_anyway``: then a new request is filed and ``reason`` (required)
    is recorded on the finding and in the audit with the open requests it was filed beside. A finding
    already converted is left as it is. All or nothing: one finding that cannot be filed refuses the
    whole batch, naming it. Returns [(finding, "request" | "linked" | "already")]."""
    check(
        may_convert_findings_to_requests(acting_user, diagnostic),
        _("Only the commune's GUP referents and requesters file its requests."),
    )
    anyway, reason = _file_anyway(finding_ids, file_anyway, reason)
    results = []
    with transaction.atomic():
        diagnostic, findings = _locked(diagnostic, finding_ids)
        unmapped = [f for f in findings if not f.outcome and f.item.category_id is None]
        if unmapped:
            raise InvalidFields(
                {
                    "findings": _("No request category for %(items)s: mark them as no action or recommend.")
                    % {"items": ", ".join(f"#{f.pk} ({f.item.label})" for f in unmapped)}
                }
            )
        visible = requests_visible_to(acting_user)
        for finding in findings:
            if finding.outcome:
                results.append((finding, "already"))
                continue
            category = finding.item.category
            nearby = list(duplicate_candidates(category, finding.lon, finding.lat, queryset=visible)[:5])
            if nearby and finding.pk not in anyway:
                _record(finding, Outcome.LINKED, acting_user, request=nearby[0])
                results.append((finding, Outcome.LINKED))
                continue
            files = [photo.file for photo in finding.photos.all()]
            try:
                for file in files:
                    file.open("rb")
                request = do_file_request(
                    acting_user=acting_user,
                    category=category,
                    description=_description(diagnostic, finding),
                    lon=finding.lon,
                    lat=finding.lat,
                    attributes=finding.item.request_attributes or None,
                    files=files,
                )
            except InvalidFields as exc:
                raise InvalidFields(
                    {
                        "findings": _("Finding #%(id)s cannot be filed: %(problem)s")
                        % {"id": finding.pk, "problem": "; ".join(str(m) for m in exc.errors.values())}
                    }
                ) from None
            finally:
                for file in files:
                    file.close()
            if nearby:  # filed anyway, beside the open requests nearby: why, and which ones
                beside = [r.reference for r in nearby]
                _record(
                    finding, Outcome.REQUEST, acting_user, request=request, reason=reason, filed_beside=beside
                )
            else:
                _record(finding, Outcome.REQUEST, acting_user, request=request)
            results.append((finding, Outcome.REQUEST))
    return results


def do_mark_findings_no_action(diagnostic, finding_ids, reason, *, acting_user):
    """Decide that nothing is to be done about these findings, saying why."""
    check(
        may_decide_findings(acting_user, diagnostic), _("You may not decide on this diagnostic's findings.")
    )
    reason = (reason or "").strip() if isinstance(reason, str) else ""
    if not reason:
        raise InvalidFields({"reason": _("Say why nothing is to be done.")})
    if len(reason) > 500:
        raise InvalidFields({"reason": _("At most %(n)d characters.") % {"n": 500}})
    results = []
    with transaction.atomic():
        diagnostic, findings = _locked(diagnostic, finding_ids)
        for finding in findings:
            if finding.outcome:
                results.append((finding, "already"))
                continue
            _record(finding, Outcome.NO_ACTION, acting_user, reason=reason)
            results.append((finding, Outcome.NO_ACTION))
    return results


def do_convert_findings_to_follow_up(diagnostic, finding_ids, kind, *, acting_user, **options):
    """A set of findings into ONE follow-up action or ONE recommendation, through the converter the
    steering app registers (FOLLOW_UP_CONVERTERS); refused while there is none. A finding already
    converted refuses the whole set (naming it): nothing is created, nothing recorded."""
    check(
        may_decide_findings(acting_user, diagnostic), _("You may not decide on this diagnostic's findings.")
    )
    if kind not in (Outcome.ACTION, Outcome.RECOMMENDATION):
        raise InvalidFields({"kind": _("Choose action or recommendation.")})
    convert = FOLLOW_UP_CONVERTERS.get(kind)
    if convert is None:
        raise InvalidFields({"kind": _("Follow-up actions and recommendations are not available yet.")})
    with transaction.atomic():
        diagnostic, findings = _locked(diagnostic, finding_ids)
        converted = [f for f in findings if f.outcome]
        if converted:
            raise InvalidFields(
                {
                    "findings": _("Already converted, choose other findings: %(items)s.")
                    % {"items": ", ".join(f"#{f.pk} ({f.get_outcome_display()})" for f in converted)}
                }
            )
        reference = str(convert(diagnostic, findings, acting_user=acting_user, **options))[:200]
        for finding in findings:
            _record(finding, kind, acting_user, reference=reference)
    return [(finding, kind) for finding in findings]
