from django.http import Http404

from diagnostics.scope import diagnostics_visible_to
from directory.models import Layer, Perimeter


def visible_diagnostic_or_404(user, pk):
    found = (
        diagnostics_visible_to(user)
        .select_related("commune", "qpv", "grid_version__grid")
        .prefetch_related("participants")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def errors_text(exc):
    return " ".join(str(message) for message in exc.errors.values())


def focus_of(diagnostic):
    """The perimeter a diagnostic's map opens on: its QPV, else its commune."""
    if diagnostic.qpv_id:
        return diagnostic.qpv
    return Perimeter.objects.filter(layer=Layer.COMMUNES, commune_id=diagnostic.commune_id).first()
