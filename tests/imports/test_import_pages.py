"""The import pages' server side: who may upload and start imports."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dossier.imports.models import ImportFile
from tests.imports.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def test_viewer_may_list_imports_but_gets_403_on_upload(client, make_user):
    client.force_login(make_user("viewer"))

    assert client.get("/imports/").status_code == 200
    response = client.post("/imports/", {"file": SimpleUploadedFile("a.csv", csv_bytes("email", "a@example.com"))})

    assert response.status_code == 403
    assert ImportFile.objects.count() == 0


def test_editor_upload_leads_to_the_mapping_page_with_columns_auto_mapped(client, make_user):
    client.force_login(make_user("editor"))

    response = client.post("/imports/", {"file": SimpleUploadedFile("a.csv", csv_bytes("E-mail,first_name,Shoe size",
                                                                                      "a@example.com,Ann,38"))})

    import_file = ImportFile.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/imports/files/{import_file.id}/"
    page = client.get(response["Location"]).content.decode()
    assert '<option value="email" selected>' in page and '<option value="firstName" selected>' in page
    assert '<option value="ignore" selected>' in page  # Shoe size: no field of that name


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/imports/")

    assert response.status_code == 302 and response["Location"].startswith("/login/")
