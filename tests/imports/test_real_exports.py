"""Imports of files as other systems export them (`exports.py`), through `dossier import` as a process
and through the API: their data arrives correct, and whatever does not is said, never dropped silently."""

import csv
import io

import pytest

from dossier.activity.models import Event
from dossier.profiles.models import Company, Profile
from tests.imports import exports
from tests.imports.conftest import csv_bytes, import_events
from tests.processes import run_dossier

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def write(tmp_path):
    def write_file(content: bytes, name: str = "export.csv") -> str:
        path = tmp_path / name
        path.write_bytes(content)
        return str(path)

    return write_file


def profile(email: str) -> Profile:
    return Profile.objects.get(email=email)


def tags_of(email: str) -> list[str]:
    return sorted(profile(email).tags.values_list("name", flat=True))


def mapping_lines(stdout: str) -> dict[str, str]:
    """The printed mapping: column header -> what the CLI said of it."""
    lines = {}
    for line in stdout.splitlines():
        if "  -> " in line:
            left, _, right = line.partition("  -> ")
            lines[left.strip().split(None, 1)[1]] = right
    return lines


# --- 1. phones ------------------------------------------------------------------------------

def test_phones_are_read_in_the_rows_country_and_only_valid_ones_are_stored(write):
    result = run_dossier("import", write(exports.HUBSPOT))

    assert result.returncode == 0, result.stderr
    # Brian's number has no country code: his row's country (United States) is its region, not PL.
    assert profile("bh@hubspot.example").phone == "+15177827343;ext=123"
    assert profile("ds@hubspot.example").phone is None  # his phone is in the mobile column, which is not imported
    assert "5  Phone Number  -> phone" in result.stdout
    assert "6  Mobile Phone Number  -> not imported: column #5 (Phone Number) fills phone" in result.stdout


def test_junk_phones_are_left_out_and_reported_never_overwriting_a_good_one(write, api):
    api.post("/profiles", {"email": "ola@example.com", "phone": "+48 601 234 567"})

    result = run_dossier("import", write(exports.MAILCHIMP))

    assert result.returncode == 0, result.stderr
    assert profile("ola@example.com").phone == "+48601234567"  # "-1199" did not overwrite it
    assert profile("sam@example.com").phone is None
    assert "row 2 (value left out): Phone Number: is not a valid phone number in PL" in result.stdout
    assert "row 3 (value left out): Phone Number: is not a valid phone number" in result.stdout


def test_phone_region_option_reads_national_numbers_of_rows_without_a_country(write):
    content = csv_bytes("email,phone", "a@example.com,(206) 555-0142", "b@example.com,+48 601 234 567")

    result = run_dossier("import", write(content), "--phone-region", "United States")

    assert result.returncode == 0, result.stderr
    assert dict(Profile.objects.values_list("email", "phone")) == {"a@example.com": "+12065550142",
                                                                   "b@example.com": "+48601234567"}


def test_national_numbers_fall_back_to_the_default_region(write):
    result = run_dossier("import", write(exports.OUTLOOK))

    assert result.returncode == 0, result.stderr
    assert profile("tomasz.nowak@example.com").phone == "+48601234568"  # his row's country is Poland too


# --- 2. countries ---------------------------------------------------------------------------

@pytest.mark.parametrize("fixture, expected", [
    (exports.MAUTIC, {"chile@example.com": "CL", "aussie@example.com": "AU"}),
    (exports.OUTLOOK, {"mary.major@example.com": "US", "tomasz.nowak@example.com": "PL", "eve.empty@example.com": None}),
    (exports.KLAVIYO, {"lea@example.com": "FR", "otto@example.com": "DE"}),
    (exports.EXCEL_PL, {"zofia@example.com": "PL", "adam@example.com": "PL"}),
    (exports.SALESFORCE, {"rose@edge.example": "US", "tim@grand.example": "US"}),
])
def test_country_names_and_codes_become_iso_alpha_2(write, fixture, expected):
    result = run_dossier("import", write(fixture))

    assert result.returncode == 0, result.stderr
    assert dict(Profile.objects.values_list("email", "country_code")) == expected


def test_an_unknown_country_is_reported_quoting_the_value(upload):
    body = upload(csv_bytes("email,country", "a@example.com,Atlantis", "b@example.com,Deutschland")).json()

    assert dict(Profile.objects.values_list("email", "country_code")) == {"a@example.com": None, "b@example.com": "DE"}
    error = body["errors"][0]
    assert (error["row"], error["column"], error["action"]) == (2, "country", "valueSkipped")
    assert error["message"].startswith("'Atlantis' is not a known country")


# --- 3. dates -------------------------------------------------------------------------------

def test_month_day_year_dates_are_read_when_the_column_proves_the_order(write):
    result = run_dossier("import", write(exports.OUTLOOK))

    assert result.returncode == 0, result.stderr
    assert str(profile("mary.major@example.com").birth_date) == "1933-01-29"
    assert str(profile("tomasz.nowak@example.com").birth_date) == "1980-12-24"
    assert profile("eve.empty@example.com").birth_date is None  # Outlook's 0/0/00: no date, and no error
    assert "dates of Birthday read as month/day/year (what its values show)" in result.stdout
    assert "Birthday" not in result.stdout.split("Imported")[1].split("job ")[0].replace("dates of Birthday", "")


@pytest.mark.parametrize("cells, expected", [
    (["29.01.1933", "03.04.1950"], ["1933-01-29", "1950-04-03"]),
    (["29/01/33", "01/02/75"], ["1933-01-29", "1975-02-01"]),
    (["1933-01-29 00:00:00", "1950-04-03T10:30:00Z"], ["1933-01-29", "1950-04-03"]),
    (["29 Jan 1933", "Apr 3, 1950"], ["1933-01-29", "1950-04-03"]),
])
def test_dates_in_the_formats_of_exports_are_read(upload, cells, expected):
    content = csv_bytes("email,Date of Birth", *(f"p{n}@example.com,\"{cell}\"" for n, cell in enumerate(cells)))

    body = upload(content).json()

    assert body["counts"]["created"] == 2 and body["errors"] == [], body
    assert [str(profile(f"p{n}@example.com").birth_date) for n in range(2)] == expected


def test_an_ambiguous_date_column_is_refused_before_anything_is_written_and_the_format_settles_it(write):
    content = csv_bytes("email,Birthday", "a@example.com,01/02/1990", "b@example.com,03/04/1991")

    refused = run_dossier("import", write(content))
    accepted = run_dossier("import", write(content), "--date-format", "Birthday=%d/%m/%Y")

    assert refused.returncode == 1
    assert "column Birthday (birthDate) has dates such as '01/02/1990' that read as day/month or as month/day" in refused.stderr
    assert "--date-format 'Birthday=%d/%m/%Y'" in refused.stderr
    assert accepted.returncode == 0, accepted.stderr
    assert str(profile("a@example.com").birth_date) == "1990-02-01"
    assert Event.objects.filter(job__params__dryRun=False).count() == 2  # the refused run wrote nothing


def test_date_formats_apply_to_date_custom_attributes_through_the_api(upload):
    content = csv_bytes("email,Signed up", "a@example.com,12/31/2020", "b@example.com,1/5/2021")

    body = upload(content, {"mapping": {"Signed up": {"target": "attributes.signedUp", "type": "date"}}}).json()

    assert body["counts"]["created"] == 2, body
    assert profile("a@example.com").attributes == {"signedUp": "2020-12-31"}
    assert body["read"]["dateOrders"] == {"Signed up": "month/day/year"}


def test_a_date_format_that_is_not_one_is_an_option_error(upload):
    response = upload(csv_bytes("email,Birthday", "a@example.com,1/2/1990"), {"dateFormats": {"Birthday": "mm/dd"}})

    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert (detail["field"], detail["code"]) == ("dateFormats.Birthday", "invalid_format")


# --- 4. header auto-mapping -----------------------------------------------------------------

@pytest.mark.parametrize("fixture, expected", [
    (exports.GOOGLE, {"First Name": "firstName", "Last Name": "lastName", "E-mail 1 - Value": "email (identifier)",
                      "Phone 1 - Value": "phone", "Address 1 - Street": "address", "Address 1 - City": "city",
                      "Address 1 - Region": "province", "Address 1 - Postal Code": "zipCode",
                      "Address 1 - Country": "countryCode", "Organization Name": "company", "Birthday": "birthDate",
                      "Labels": "tags"}),
    (exports.OUTLOOK, {"E-mail Address": "email (identifier)", "Mobile Phone": "phone", "Home Street": "address",
                       "Home City": "city", "Home State": "province", "Home Postal Code": "zipCode",
                       "Home Country/Region": "countryCode", "Gender": "sex", "Company": "company"}),
    (exports.MAILCHIMP, {"Email Address": "email (identifier)", "Phone Number": "phone", "CC": "countryCode",
                         "TAGS": "tags"}),
    (exports.SALESFORCE, {"Contact ID": "customId", "Account Name": "company", "Mailing Street": "address",
                          "Mailing State/Province": "province", "Mailing Zip/Postal Code": "zipCode",
                          "Mailing Country": "countryCode", "Birthdate": "birthDate"}),
    (exports.SHOPIFY, {"Customer ID": "customId", "Accepts Email Marketing": "agreements.email",
                       "Accepts SMS Marketing": "agreements.sms", "Default Address Address1": "address",
                       "Default Address Country Code": "countryCode", "Default Address Zip": "zipCode"}),
    (exports.KLAVIYO, {"Organization": "company", "State / Region": "province", "Zip Code": "zipCode",
                       "Email Marketing Consent": "agreements.email", "SMS Consent": "agreements.sms",
                       "Klaviyo ID": "customId"}),
    (exports.SYNERISE, {"custom_identify": "customId", "first_name": "firstName", "newsletter_agreement": "agreements.email",
                        "receive_smses": "agreements.sms", "birthdate": "birthDate", "anonymous_type": "anonymousType"}),
    (exports.MAUTIC, {"firstname": "firstName", "address1": "address", "zipcode": "zipCode", "state": "province"}),
    (exports.CIVICRM, {"Contact ID": "customId", "Birth Date": "birthDate", "Street Address": "address",
                       "State": "province", "Current Employer": "company"}),
    (exports.ORO, {"Emails 1 Email": "email (identifier)", "Phones 1 Phone": "phone",
                   "Primary Address Country ISO2 code": "countryCode", "Primary Address Zip/Postal code": "zipCode"}),
    (exports.EXCEL_PL, {"Given Name": "firstName", "Surname": "lastName", "E-mail": "email (identifier)"}),
])
def test_headers_of_every_system_map_to_their_fields(write, fixture, expected):
    result = run_dossier("import", write(fixture), "--dry-run")

    assert result.returncode == 0, result.stderr
    printed = mapping_lines(result.stdout)
    assert {header: printed[header] for header in expected} == expected


def test_the_later_columns_for_one_field_are_named_as_not_imported(write):
    result = run_dossier("import", write(exports.OUTLOOK), "--dry-run")

    printed = mapping_lines(result.stdout)
    assert printed["E-mail 2 Address"] == "not imported: column #6 (E-mail Address) fills email"
    assert printed["Home Phone"] == "not imported: column #8 (Mobile Phone) fills phone"
    assert printed["Business Phone"] == "not imported: column #8 (Mobile Phone) fills phone"


# --- 5. the mapping is shown, nothing dropped silently -------------------------------------

def test_every_column_not_imported_is_printed_with_its_reason_and_the_api_lists_them(write, upload):
    result = run_dossier("import", write(exports.MAILCHIMP), "--dry-run")
    body = upload(exports.MAILCHIMP, {"dryRun": True}).json()

    printed = mapping_lines(result.stdout)
    assert len(printed) == len(exports.MAILCHIMP_HEADER)
    assert printed["MEMBER_RATING"] == "not imported: no profile field matches this header"
    assert result.stdout.startswith("export.csv: 9 of 22 columns imported, profiles identified by email")
    listed = {c["header"]: c["reason"] for c in body["notImported"]}
    assert listed["LEID"] == "no profile field matches this header" and len(listed) == 13


def test_keep_unmapped_keeps_the_other_columns_as_text_attributes(write):
    result = run_dossier("import", write(exports.MAILCHIMP), "--keep-unmapped")

    assert result.returncode == 0, result.stderr
    attributes = profile("ola@example.com").attributes
    assert attributes["memberRating"] == "2" and attributes["leid"] == "123"
    assert attributes["optinTime"] == "2021-03-04 10:11:12"
    assert "MEMBER_RATING  -> attributes.memberRating (text, kept: --keep-unmapped)" in result.stdout


# --- 6. identifiers -------------------------------------------------------------------------

def test_a_foreign_id_column_maps_to_custom_id_and_email_stays_the_identifier(write):
    result = run_dossier("import", write(exports.MAUTIC))

    assert result.returncode == 0, result.stderr
    assert profile("chile@example.com").custom_id == "101"
    assert "1  id  -> customId" in result.stdout and "email (identifier)" in result.stdout


def test_an_id_column_of_dossier_ids_names_the_profiles(write, api):
    created = api.post("/profiles", {"email": "a@example.com", "city": "Oslo"}).json()

    content = csv_bytes("Id,city", f"{created['id']},Bergen")
    result = run_dossier("import", write(content))

    assert result.returncode == 0, result.stderr
    assert "Id  -> id (identifier)" in result.stdout
    assert profile("a@example.com").city == "Bergen"


def test_an_explicit_identifier_always_wins(write, api):
    api.post("/profiles", {"customId": "101", "email": "old@example.com"})

    result = run_dossier("import", write(exports.MAUTIC), "--identifier", "customId")

    assert result.returncode == 0, result.stderr
    assert Profile.objects.get(custom_id="101").email == "chile@example.com"
    assert "id  -> customId (identifier)" in result.stdout


# --- 7. invalid values ----------------------------------------------------------------------

def test_invalid_values_reject_row_rejects_what_skip_value_imports(write):
    skip = run_dossier("import", write(exports.KLAVIYO), "--dry-run", "--map", "Title=attributes.score:integer")
    content = csv_bytes("email,loyalty", "a@example.com,12", "b@example.com,many")
    reject = run_dossier("import", write(content), "--map", "loyalty=attributes.loyalty:integer",
                         "--invalid-values", "rejectRow")

    assert skip.returncode == 0 and reject.returncode == 0, reject.stderr
    assert "rejected 1" in reject.stdout and Profile.objects.count() == 1
    assert "row 3 (rejected): loyalty: must be an integer" in reject.stdout


def test_an_invalid_identifier_always_rejects_its_row_and_each_problem_is_reported_once(upload, api):
    body = upload(csv_bytes("email,city,sex", "not-an-email,Oslo,9")).json()

    assert body["counts"]["rejected"] == 1 and Profile.objects.count() == 0
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("email", "invalid_email"), ("sex", "invalid_choice")]


# --- 8. repeated headers --------------------------------------------------------------------

def test_a_repeated_header_is_reported_and_mappable_by_number(write):
    path = write(exports.EXCEL_PL)

    plain = run_dossier("import", path, "--dry-run")
    mapped = run_dossier("import", path, "--map", "#9=attributes.lastName2")

    assert plain.returncode == 0 and mapped.returncode == 0, mapped.stderr
    assert mapping_lines(plain.stdout)["Last Name"] == "not imported: repeats the header of column #8; map it by number (#9) to import it"
    assert profile("zofia@example.com").attributes == {"lastName2": "Lisowska"}


def test_a_header_repeated_in_the_mapping_is_an_option_error_naming_both_columns(upload):
    response = upload(exports.EXCEL_PL, {"mapping": {"Last Name": "lastName"}})

    assert response.status_code == 422
    assert "the header 'Last Name' names columns #8 and #9: map them by number" in response.content.decode()


# --- 9. the same identifier on several rows -------------------------------------------------

def test_rows_naming_one_profile_are_folded_and_a_second_import_writes_nothing(write):
    content = csv_bytes("email,firstName,city,tags", "ann@example.com,Ann,Warsaw,a", "bob@example.com,Bob,Oslo,",
                        "ANN@example.com,,Berlin,b", " ann@example.com ,Anna,,")
    path = write(content)

    first = run_dossier("import", path)
    second = run_dossier("import", path)

    assert first.returncode == 0 and second.returncode == 0, first.stderr
    assert "created 2, updated 0, unchanged 0, skipped 0, rejected 0, folded 2" in first.stdout
    assert "2 rows folded into a later row naming the same profile" in first.stdout
    ann = profile("ann@example.com")
    assert (ann.first_name, ann.city, tags_of("ann@example.com")) == ("Anna", "Berlin", ["a", "b"])
    assert Event.objects.filter(profile=ann).count() == 1
    assert "created 0, updated 0, unchanged 2, skipped 0, rejected 0, folded 2" in second.stdout
    assert Event.objects.count() == 2


def test_folding_works_across_chunks(upload, settings, monkeypatch):
    monkeypatch.setattr("dossier.imports.services.CHUNK_ROWS", 2)
    content = csv_bytes("email,city", "a@example.com,Warsaw", "b@example.com,Oslo", "c@example.com,Rome",
                        "a@example.com,Berlin", "d@example.com,Paris")

    body = upload(content).json()

    assert body["counts"]["created"] == 4 and body["counts"]["folded"] == 1
    assert profile("a@example.com").city == "Berlin"
    assert [e.type for e in import_events(body["id"])] == ["profile.created"] * 4


# --- 10. tags -------------------------------------------------------------------------------

@pytest.mark.parametrize("fixture, email, expected", [
    (exports.MAILCHIMP, "ola@example.com", ["buyers", "sy-waitlist-yes"]),
    (exports.SHOPIFY, "karine.ruby@example.com", ["vip", "wholesale"]),
    (exports.MAUTIC, "chile@example.com", ["lead", "webinar"]),
    (exports.ORO, "hans@example.com", ["partner", "vip"]),
    (exports.GOOGLE, "anna.kowalska@example.com", ["* myContacts", "Friends"]),
])
def test_tag_lists_of_every_system_are_split(write, fixture, email, expected):
    result = run_dossier("import", write(fixture))

    assert result.returncode == 0, result.stderr
    assert tags_of(email) == expected


def test_the_tag_separator_option_wins_and_empty_tags_are_dropped(write):
    result = run_dossier("import", write(csv_bytes("email,tags", "a@example.com,\"x, y ; z,,\"")), "--tag-separator", ";")

    assert result.returncode == 0, result.stderr
    assert tags_of("a@example.com") == ["x, y", "z,,"]


# --- 11. company ----------------------------------------------------------------------------

def test_a_company_column_finds_companies_by_name_case_insensitively_or_creates_them(write, api):
    existing = api.post("/companies", {"name": "Nord Sp. z o.o."}).json()

    result = run_dossier("import", write(exports.SYNERISE))

    assert result.returncode == 0, result.stderr
    assert Company.objects.count() == 1
    assert {str(profile("marta@example.com").company_id), str(profile("piotr@example.com").company_id)} == {existing["id"]}
    run_dossier("import", write(exports.SALESFORCE))
    assert sorted(Company.objects.values_list("name", flat=True)) == ["Edge Communications", "Grand Hotels",
                                                                       "Nord Sp. z o.o."]


# --- 12. the dry run ------------------------------------------------------------------------

def test_a_dry_run_prints_the_mapping_and_sample_changes_before_and_after(write, api):
    api.post("/profiles", {"email": "marta@example.com", "city": "Sopot"})

    result = run_dossier("import", write(exports.SYNERISE), "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "6  city  -> city" in result.stdout
    assert "row 2 (updated): " in result.stdout and "City: Sopot -> Gdańsk" in result.stdout
    assert "row 3 (created): " in result.stdout
    assert Profile.objects.count() == 1 and Company.objects.count() == 0


def test_the_api_dry_run_shows_up_to_20_samples(upload):
    content = csv_bytes("email,city", *(f"p{n}@example.com,Oslo" for n in range(30)))

    body = upload(content, {"dryRun": True}).json()

    assert len(body["sample"]) == 20
    assert body["sample"][0]["row"] == 2 and {"attribute": "city", "old": None, "new": "Oslo"} in body["sample"][0]["changes"]


# --- the same rules through every door ------------------------------------------------------

def test_agreement_words_of_exports_are_read(write):
    result = run_dossier("import", write(exports.KLAVIYO))

    assert result.returncode == 0, result.stderr
    lea, otto = profile("lea@example.com"), profile("otto@example.com")
    assert (lea.agreement_email, lea.agreement_sms, otto.agreement_email, otto.agreement_sms) == (True, False, False, True)


def test_the_error_report_lists_rows_as_uploaded_with_row_column_and_error(upload, api):
    body = upload(exports.MAILCHIMP).json()

    response = api.get(f"/imports/{body['id']}/errors.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["row"], r["column"]) for r in rows] == [("2", "Birthday; Phone Number"), ("3", "Phone Number")]
    assert rows[0]["Email Address"] == "ola@example.com" and rows[0]["TAGS"] == '"buyers","sy-waitlist-yes"'
