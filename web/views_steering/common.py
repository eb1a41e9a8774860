"""What the steering pages share: the 404 for out of scope, the engine errors shown on a form."""

from django.http import Http404

from engine.errors import EngineError, InvalidFields


def get_visible(queryset, pk):
    try:
        return queryset.get(pk=int(pk))
    except (queryset.model.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def add_errors(form, exc):
    """Put an action's refusal on the form: each field it names, or the whole form."""
    if isinstance(exc, InvalidFields):
        for field, message in exc.errors.items():
            form.add_error(field if field in form.fields else None, str(message))
    elif isinstance(exc, EngineError):
        form.add_error(None, str(exc))
    else:  # pragma: no cover - only engine errors are expected here
        raise exc
