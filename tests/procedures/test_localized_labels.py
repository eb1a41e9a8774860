"""Categories, urgency criteria, attributes and choices in the active language: the English text when
there is one and English is active, else the French one; the English choice labels name real choices."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from procedures.models import AttributeType, CategoryAttribute, UrgencyCriterion
from tests.factories import make_category


def test_names_and_labels_follow_the_active_language_and_fall_back_to_french(db):
    category = make_category("tags", name="Tags et graffitis", name_en="Graffiti")
    untranslated = make_category("divers", name="Divers")
    criterion = UrgencyCriterion.objects.create(
        category=category, code="insult", label="Propos injurieux", label_en="Offensive words"
    )
    attribute = CategoryAttribute.objects.create(
        category=category,
        code="surface",
        label="Support",
        type=AttributeType.SINGLE_CHOICE,
        choices=["mur", "vitrine"],
        choice_labels_en={"mur": "wall"},
    )
    with translation.override("en"):
        assert (category.localized_name, untranslated.localized_name) == ("Graffiti", "Divers")
        assert (criterion.localized_label, attribute.localized_label) == ("Offensive words", "Support")
        assert (attribute.choice_label("mur"), attribute.choice_label("vitrine")) == ("wall", "vitrine")
    with translation.override("fr"):
        assert (category.localized_name, criterion.localized_label) == (
            "Tags et graffitis",
            "Propos injurieux",
        )
        assert attribute.choice_label("mur") == "mur"


def test_english_choice_labels_must_name_choices_of_the_attribute(db):
    attribute = CategoryAttribute(
        category=make_category("tags"),
        code="surface",
        label="Support",
        type=AttributeType.SINGLE_CHOICE,
        choices=["mur", "vitrine"],
        choice_labels_en={"mur": "wall", "porte": "door"},
    )
    with translation.override("fr"):
        with pytest.raises(ValidationError) as error:
            attribute.clean()
        assert error.value.message_dict == {
            "choice_labels_en": ["Valeurs absentes des choix de cet attribut : porte."]
        }
    attribute.choice_labels_en = ["wall"]
    with translation.override("fr"):
        with pytest.raises(ValidationError) as error:
            attribute.clean()
        assert error.value.message_dict == {
            "choice_labels_en": ["Donnez un objet qui associe à chaque valeur son libellé anglais."]
        }
