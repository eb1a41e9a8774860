"""Grid versions: load a YAML text as a draft, edit a draft, publish, retire, copy as a new draft."""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from diagnostics import definitions
from diagnostics.models import Grid, GridItem, GridStatus, GridTheme, GridVersion
from engine.errors import InvalidFields
from procedures.models import Category

from ._common import audit, check, event, is_admin


def may_edit_grids(acting_user):
    return is_admin(acting_user)


def _parse(source):
    try:
        return definitions.parse(source)
    except definitions.GridInvalid as exc:
        raise InvalidFields({"source": " ".join(exc.problems)}) from None


def _build_rows(version):
    version.themes.all().delete()
    categories = {c.code: c for c in Category.objects.filter(is_active=True)}
    for t, theme in enumerate(version.definition["themes"]):
        row = GridTheme.objects.create(
            version=version, code=theme["code"], label=theme["label"], label_en=theme["label_en"], position=t
        )
        GridItem.objects.bulk_create(
            GridItem(
                theme=row,
                code=item["code"],
                label=item["label"],
                label_en=item["label_en"],
                position=i,
                category=categories.get(item["category"]) if item["category"] else None,
                request_attributes=item["attributes"],
            )
            for i, item in enumerate(theme["items"])
        )


def _target(version):
    return f"grid:{version.grid.code}/v{version.number}"


def do_create_grid_version(source, *, acting_user, copied_from=None):
    """A new draft version from a YAML text (its grid is created on first use of its code)."""
    check(may_edit_grids(acting_user), _("Only administrators may edit observation grids."))
    definition = _parse(source)
    with transaction.atomic():
        grid, _created = Grid.objects.get_or_create(
            code=definition["code"], defaults={"name": definition["name"]}
        )
        grid = Grid.objects.select_for_update().get(pk=grid.pk)
        if copied_from is not None and copied_from.grid_id != grid.pk:
            raise InvalidFields({"source": _("A copy keeps the code of the grid it copies.")})
        number = (grid.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = GridVersion.objects.create(
            grid=grid, number=number, source=source, definition=definition, copied_from=copied_from
        )
        _build_rows(version)
        audit(
            "grid_version_created", _target(version), acting_user, copied_from=copied_from and copied_from.pk
        )
    return version


def do_edit_grid_version(version, source, *, acting_user):
    """Replace a draft's text (a published or retired version never changes)."""
    check(may_edit_grids(acting_user), _("Only administrators may edit observation grids."))
    definition = _parse(source)
    with transaction.atomic():
        version = GridVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != GridStatus.DRAFT:
            raise InvalidFields({"source": _("Only a draft can be edited: copy this version to change it.")})
        if definition["code"] != version.grid.code:
            raise InvalidFields({"source": _("The code of a version's grid cannot change.")})
        if version.source == source:
            return version
        version.source, version.definition = source, definition
        version.save(update_fields=["source", "definition"])
        _build_rows(version)
        audit("grid_version_edited", _target(version), acting_user)
    return version


def do_copy_grid_version(version, *, acting_user):
    """A new draft of the same grid with the content of ``version``, to adapt."""
    return do_create_grid_version(version.source, acting_user=acting_user, copied_from=version)


def do_publish_grid_version(version, *, acting_user):
    """Publish a draft; the version published before it is retired (diagnostics keep theirs)."""
    check(may_edit_grids(acting_user), _("Only administrators may edit observation grids."))
    with transaction.atomic():
        version = GridVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != GridStatus.DRAFT:
            raise InvalidFields({"status": _("Only a draft can be published.")})
        retired = []
        for previous in GridVersion.objects.filter(grid=version.grid, status=GridStatus.PUBLISHED):
            previous.retire()
            previous.save()
            retired.append(previous.number)
        version.publish()
        version.save()
        audit("grid_version_published", _target(version), acting_user, retired=retired)
        event("grid_published", grid=version.grid.code, version=version.number)
    return version


def do_retire_grid_version(version, *, acting_user):
    check(may_edit_grids(acting_user), _("Only administrators may edit observation grids."))
    with transaction.atomic():
        version = GridVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != GridStatus.PUBLISHED:
            raise InvalidFields({"status": _("Only a published version can be retired.")})
        version.retire()
        version.save()
        audit("grid_version_retired", _target(version), acting_user)
    return version


def load_grid_file(path, *, publish=False, acting_user=None):
    """Load a grid file unless the same text is already the latest version of its grid (idempotent)."""
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    definition = _parse(source)
    latest = GridVersion.objects.filter(grid__code=definition["code"]).order_by("-number").first()
    if latest is not None and latest.source == source:
        version, created = latest, False
    else:
        version, created = do_create_grid_version(source, acting_user=acting_user), True
    if publish and version.status == GridStatus.DRAFT:
        version = do_publish_grid_version(version, acting_user=acting_user)
    return version, created
