"""Fields of the wrong type given with a transition are InvalidFields naming each field (a 400), never
an exception of Python's (a 500)."""

import pytest

from engine.actions import clean_fields
from engine.errors import InvalidFields

SPECS = {
    "note": {"type": "text", "required": False},
    "count": {"type": "integer", "required": False},
    "ratio": {"type": "number", "required": False},
    "flag": {"type": "boolean", "required": False},
    "day": {"type": "date", "required": False},
    "kind": {"type": "choice", "required": False, "choices": ["a", "b"]},
}


REFUSED = [
    *((name, value) for name in SPECS for value in ([1], {"a": 1})),
    ("note", 3), ("count", "abc"), ("count", 1.5), ("count", True), ("ratio", "abc"), ("ratio", False),
    ("flag", "abc"), ("flag", 1), ("day", "abc"), ("day", 3), ("kind", "c"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "value"), REFUSED)
def test_a_value_of_the_wrong_type_is_refused_naming_its_field(name, value):
    with pytest.raises(InvalidFields) as raised:
        clean_fields(SPECS, {name: value})
    assert list(raised.value.errors) == [name]


@pytest.mark.parametrize("given", [[1], "abc", 3])
def test_fields_that_are_not_an_object_are_refused(given):
    with pytest.raises(InvalidFields) as raised:
        clean_fields(SPECS, given)
    assert list(raised.value.errors) == ["fields"]
