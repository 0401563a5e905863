"""`field[op]=value` filters over the API: operators, folded text matching, typed comparisons and
the errors that name the parameter. Run on SQLite and PostgreSQL, whose `dossier_fold` must agree."""

from urllib.parse import quote

import pytest

from dossier.core.folding import FOLD_FROM, FOLD_TO
from dossier.profiles.models import AttributeDefinition


@pytest.fixture
def people(api):
    AttributeDefinition.objects.create(name="since", label="Customer since", type="date")
    for body in (
        {"email": "joanna@example.pl", "firstName": "Joanna", "city": "Kraków", "birthDate": "1990-05-01",
         "attributes": {"plan": "Złoty", "points": 120, "since": "2020-01-15"}, "tags": ["vip"]},
        {"email": "piotr@example.pl", "firstName": "Piotr", "city": "KRAKOW", "birthDate": "1985-02-11",
         "attributes": {"plan": "", "points": 7}},
        {"email": "lars@example.no", "firstName": "Lars", "city": "Tromsø", "attributes": {"points": 40}},
        {"email": "ewa@example.pl", "firstName": "Ewa", "agreements": {"email": True}},
    ):
        response = api.post("/profiles", body)
        assert response.status_code == 201, response.content


def names(api, query: str) -> list[str]:
    response = api.get(f"/profiles?{query}")
    assert response.status_code == 200, response.content
    return sorted(p["firstName"] for p in response.json()["items"])


@pytest.mark.parametrize("query, expected", [
    pytest.param("city[is]=krakow", ["Joanna", "Piotr"], id="is ignores case and accents"),
    pytest.param("city=Kraków", ["Joanna"], id="plain parameter stays exact"),
    pytest.param("city[contains]=RAK", ["Joanna", "Piotr"], id="contains"),
    pytest.param("city[startswith]=troms", ["Lars"], id="starts with, ø folded to o"),
    pytest.param("city[contains]=%25", [], id="a percent sign is a character, not a wildcard"),
    pytest.param("city[empty]=1", ["Ewa"], id="is empty"),
    pytest.param("city[notempty]=1", ["Joanna", "Lars", "Piotr"], id="is not empty"),
    pytest.param("birthDate[gt]=1989-12-31", ["Joanna"], id="date greater than"),
    pytest.param("birthDate[lt]=1989-12-31", ["Piotr"], id="date less than"),
    pytest.param("attributes.points[gt]=39", ["Joanna", "Lars"], id="number attribute greater than"),
    pytest.param("attributes.points[lt]=40", ["Piotr"], id="number attribute less than"),
    pytest.param("attributes.points[is]=7", ["Piotr"], id="number attribute is"),
    pytest.param("attributes.plan[is]=zloty", ["Joanna"], id="text attribute folded (ł)"),
    pytest.param("attributes.plan[empty]=1", ["Ewa", "Lars", "Piotr"], id="attribute missing or blank is empty"),
    pytest.param("attributes.plan[notempty]=1", ["Joanna"], id="attribute not empty"),
    pytest.param("attributes.since[gt]=2019-12-31", ["Joanna"], id="date attribute greater than"),
    pytest.param("email[contains]=example.no", ["Lars"], id="email contains"),
    pytest.param("agreements.email[is]=true", ["Ewa"], id="agreement is"),
    pytest.param("city[contains]=rak&attributes.points[gt]=100", ["Joanna"], id="conditions combine with and"),
])
def test_operator_filters(api, people, query, expected):
    assert names(api, query) == expected


@pytest.mark.parametrize("query, field, code", [
    pytest.param("city[like]=x", "city[like]", "unknown_operator", id="unknown operator"),
    pytest.param("shoeSize[is]=x", "shoeSize[is]", "unknown_filter", id="unknown field"),
    pytest.param("city[gt]=x", "city[gt]", "invalid_operator", id="greater than on text"),
    pytest.param("attributes.points[contains]=1", "attributes.points[contains]", "invalid_operator", id="contains on a number"),
    pytest.param("attributes.points[gt]=many", "attributes.points[gt]", "invalid_integer", id="not a number"),
    pytest.param("birthDate[gt]=soon", "birthDate[gt]", "invalid_date", id="not a date"),
    pytest.param("city[contains]=", "city[contains]", "missing_value", id="blank value"),
    pytest.param(f"city[contains]={quote(chr(0x202e))}x", "city[contains]", "control_characters", id="bidi override"),
])
def test_operator_errors_name_the_parameter(api, people, query, field, code):
    response = api.get(f"/profiles?{query}")
    assert response.status_code == 422, response.content
    detail = response.json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == (field, code)


def test_database_fold_agrees_with_python(api):
    """Every accented letter of the table, stored and searched through the database's function."""
    response = api.post("/profiles", {"email": "fold@example.com", "city": FOLD_FROM[:200]})
    assert response.status_code == 201, response.content
    listed = api.get(f"/profiles?city[is]={quote(FOLD_TO[:200])}").json()["items"]
    assert [p["email"] for p in listed] == ["fold@example.com"]
