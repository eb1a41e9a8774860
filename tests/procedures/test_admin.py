import pytest
from django.urls import reverse

from procedures.models import InterventionRequest, ServiceLevel
from tests.factories import PASSWORD
from tests.procedures.helpers_actions import file


@pytest.fixture
def admin_client(client, requests_world):
    assert client.login(username=requests_world.admin_user.username, password=PASSWORD)
    return client


def test_administrators_edit_service_levels_in_the_admin(admin_client, bulky):
    response = admin_client.post(
        reverse("admin:procedures_servicelevel_add"),
        {
            "name": "Encombrants en QPV l'hiver",
            "is_active": "on",
            "category": bulky.pk,
            "zone_type": "qpv",
            "urgency": "",
            "season_start": "11-01",
            "season_end": "03-31",
            "acknowledge_hours": "7",
            "resolve_hours": "21",
        },
    )
    assert response.status_code == 302
    level = ServiceLevel.objects.get()
    assert (level.zone_type, level.season_start, level.resolve_hours) == ("qpv", "11-01", 21)


def test_the_admin_refuses_an_inconsistent_service_level(admin_client):
    response = admin_client.post(
        reverse("admin:procedures_servicelevel_add"),
        {
            "name": "x",
            "is_active": "on",
            "season_start": "11-01",
            "acknowledge_hours": "9",
            "resolve_hours": "3",
        },
    )
    assert response.status_code == 200 and not ServiceLevel.objects.exists()


def test_requests_are_read_only_in_the_admin(admin_client, requests_world, bulky):
    request = file(requests_world, bulky)
    assert admin_client.get(reverse("admin:procedures_interventionrequest_changelist")).status_code == 200
    change = reverse("admin:procedures_interventionrequest_change", args=[request.pk])
    assert admin_client.get(change).status_code == 200
    admin_client.post(change, {"description": "changed"})
    request.refresh_from_db()
    assert request.description != "changed"
    assert admin_client.get(reverse("admin:procedures_interventionrequest_add")).status_code == 403
    assert InterventionRequest.objects.count() == 1


# --- category page: choices as lines, who handles the category (issue 12) -----------------------------------
def category_form(group, **extra):
    data = {
        "code": "graffiti",
        "name": "Tags",
        "name_en": "",
        "description": "",
        "group": group.pk,
        "keywords": "tag, graffiti",
        "is_active": "on",
    }
    for prefix in ("urgency_criteria", "attributes", "competences"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data.update(extra)
    return data


def test_a_category_is_created_with_choices_typed_one_per_line_and_who_handles_it(
    admin_client, requests_world, bulky
):
    from directory.models import Competence, LayerVersion
    from directory.routing import resolve
    from procedures.models import Category
    from tests.factories import POINT_IN_COMMUNE_1

    rules_before = LayerVersion.objects.get(name=LayerVersion.RULES).version
    response = admin_client.post(
        reverse("admin:procedures_category_add"),
        category_form(
            bulky.group,
            **{
                "attributes-TOTAL_FORMS": "1",
                "attributes-0-code": "surface",
                "attributes-0-label": "Surface",
                "attributes-0-type": "single_choice",
                "attributes-0-choices": "mur\r\n  porte \r\n\r\nsol",
                "attributes-0-min_value": "",
                "attributes-0-max_value": "",
                "attributes-0-position": "0",
                "competences-TOTAL_FORMS": "1",
                "competences-0-unit": requests_world.waste.pk,
                "competences-0-direct_handling": "on",
                "competences-0-note": "Tags: direction des déchets",
            },
        ),
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    category = Category.objects.get(code="graffiti")
    assert category.attributes.get().choices == ["mur", "porte", "sol"]
    competence = Competence.objects.get(category=category)
    assert (competence.unit, competence.direct_handling) == (requests_world.waste, True)
    assert LayerVersion.objects.get(name=LayerVersion.RULES).version > rules_before
    assert resolve(*POINT_IN_COMMUNE_1, category).handler.id == requests_world.waste.pk
    page = admin_client.get(reverse("admin:procedures_category_change", args=[category.pk])).content.decode()
    assert "mur\nporte\nsol</textarea>" in page
    assert reverse("admin:directory_competence_change", args=[competence.pk]) in page


def test_a_category_without_competence_says_its_requests_fall_back_to_the_ctc(admin_client, bulky):
    page = admin_client.get(
        reverse("admin:procedures_category_change", args=[bulky.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "No unit handles this category yet: its requests go to the CTC of the place" in page
    listing = admin_client.get(reverse("admin:procedures_category_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    assert "the CTC of the place (no competence)" in listing.content.decode()


def test_the_admin_reads_a_decimal_comma_in_an_attribute_bound_and_refuses_an_ambiguous_one(
    admin_client, bulky
):
    from procedures.models import Category

    def post(value):
        return admin_client.post(
            reverse("admin:procedures_category_add"),
            category_form(
                bulky.group,
                **{
                    "attributes-TOTAL_FORMS": "1",
                    "attributes-0-code": "height",
                    "attributes-0-label": "Hauteur",
                    "attributes-0-type": "number",
                    "attributes-0-choices": "",
                    "attributes-0-min_value": value,
                    "attributes-0-max_value": "",
                    "attributes-0-position": "0",
                },
            ),
            HTTP_ACCEPT_LANGUAGE="en",
        )

    refused = post("1,234.5")
    assert refused.status_code == 200 and "with a point or a comma" in refused.content.decode()
    assert not Category.objects.filter(code="graffiti").exists()
    assert post("0,5").status_code == 302
    assert Category.objects.get(code="graffiti").attributes.get().min_value == 0.5
