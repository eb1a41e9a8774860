import pytest
from django.core.exceptions import ValidationError

from procedures.attributes import validate_attributes
from procedures.models import AttributeType, CategoryAttribute
from tests.factories import make_category


@pytest.fixture
def category(db):
    category = make_category("depot")
    for position, (code, kind, required, choices, extra) in enumerate(
        [
            ("volume", AttributeType.NUMBER, True, [], {"min_value": 0, "max_value": 50}),
            ("nature", AttributeType.MULTIPLE_CHOICE, False, ["gravats", "sacs", "meubles"], {}),
            ("place", AttributeType.SINGLE_CHOICE, False, ["rue", "parc"], {}),
            ("plate", AttributeType.STRING, False, [], {"max_length": 8}),
            ("notes", AttributeType.TEXT, False, [], {}),
            ("seen", AttributeType.DATETIME, False, [], {}),
        ]
    ):
        CategoryAttribute.objects.create(
            category=category, code=code, label=code, type=kind, required=required, choices=choices,
            position=position, **extra,
        )  # fmt: skip
    return category


def test_it_cleans_valid_values_of_every_type(category):
    cleaned = validate_attributes(
        category,
        {
            "volume": "2,5",
            "nature": ["meubles", "gravats"],
            "place": "parc",
            "plate": " AB123CD ",
            "notes": "line one\nline two",
            "seen": "2026-03-02T08:30:00+01:00",
        },
    )
    assert cleaned == {
        "volume": 2.5,
        "nature": ["gravats", "meubles"],
        "place": "parc",
        "plate": "AB123CD",
        "notes": "line one\nline two",
        "seen": "2026-03-02T08:30:00+01:00",
    }


def test_it_rejects_a_missing_required_attribute_an_unknown_one_and_bad_values_naming_each(category):
    with pytest.raises(ValidationError) as raised:
        validate_attributes(
            category,
            {"colour": "red", "nature": ["gravats", "piano"], "place": "forêt", "plate": "TOO-LONG-PLATE",
             "seen": "yesterday"},
        )  # fmt: skip
    errors = raised.value.message_dict
    assert set(errors) == {
        "attributes.colour",
        "attributes.volume",
        "attributes.nature",
        "attributes.place",
        "attributes.plate",
        "attributes.seen",
    }
    assert "obligatoire" in errors["attributes.volume"][0]
    assert "piano" in errors["attributes.nature"][0]
    assert "rue, parc" in errors["attributes.place"][0]


@pytest.mark.parametrize("value", [-1, 51, "many", True, float("nan")])
def test_it_rejects_numbers_out_of_range_or_not_numbers(category, value):
    with pytest.raises(ValidationError) as raised:
        validate_attributes(category, {"volume": value})
    assert list(raised.value.message_dict) == ["attributes.volume"]


def test_a_choice_attribute_without_choices_is_refused_by_its_definition(category):
    attribute = CategoryAttribute(
        category=category, code="kind", label="Kind", type=AttributeType.SINGLE_CHOICE
    )
    with pytest.raises(ValidationError) as raised:
        attribute.full_clean()
    assert "choices" in raised.value.message_dict
