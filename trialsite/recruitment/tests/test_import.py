"""Bulk import of prospects: sniffing, mapping, validation report, duplicates, all-or-nothing, audit."""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from trialsite.audit.models import AuditEntry
from trialsite.core.exceptions import ConflictError, ValidationError
from trialsite.participants.models import Participant
from trialsite.recruitment import importing, services
from trialsite.recruitment.models import ImportBatch
from trialsite.recruitment.tests.conftest import csv_bytes, make, synthea_rows, xlsx_bytes

pytestmark = pytest.mark.django_db

HEADER = ["First Name", "Last Name", "DOB", "Sex", "Phone", "E-mail", "MRN", "Channel", "Referred on"]
GOOD = [
    HEADER,
    ["Ann", "Archer", "1970-01-02", "F", "+1 617 555 0101", "ann@example.org", "MRN-1", "physician", "2026-01-05"],
    ["Bob", "Baker", "1965-07-30", "male", "", "", "MRN-2", "Advertising", "2026-01-06"],
    ["Cy", "Cole", "", "", "", "", "", "", ""],
]


def upload(user, study_site, name, data):  # noqa: ANN001, ANN201
    batch = services.upload_batch(actor=user, study_site=study_site, file_name=name, data=data)
    return services.validate_batch(batch, actor=user)


def participant_audits() -> int:
    ct = ContentType.objects.get_for_model(Participant)
    return AuditEntry.objects.filter(content_type=ct, action="create").count()


def test_csv_upload_maps_validates_and_commits_with_one_audit_entry_per_row(net):
    user = net.user("staff_xa")
    data = csv_bytes(GOOD)
    batch = upload(user, net.xa, "prospects.csv", data)
    assert batch.kind == "csv" and batch.sha256 == hashlib.sha256(data).hexdigest() and batch.size == len(data)
    assert batch.mapping == {
        "first_name": "First Name",
        "last_name": "Last Name",
        "birth_date": "DOB",
        "sex": "Sex",
        "phone": "Phone",
        "email": "E-mail",
        "medical_record_number": "MRN",
        "referral_channel": "Channel",
        "referred_on": "Referred on",
    }
    assert (batch.status, batch.row_count, batch.valid_row_count, batch.report) == ("ready", 3, 3, [])
    assert Participant.objects.count() == 0  # nothing saved before the commit
    before = participant_audits()
    batch = services.commit_batch(batch, actor=user, expected_version=batch.version)
    assert (batch.status, batch.imported_count) == ("committed", 3)
    people = {p.first_name: p for p in Participant.objects.filter(study_site=net.xa)}
    assert people["Bob"].sex == "M" and people["Bob"].referral_channel == "advertising"
    assert people["Ann"].birth_date == datetime.date(1970, 1, 2) and people["Ann"].stage == "prospect"
    assert people["Cy"].referral_channel == "other"  # the default when no channel is given
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Participant), action="create"
    ).order_by("pk")
    assert participant_audits() - before == 3
    assert all(e.actor_id == user.pk and "prospects.csv" in e.reason for e in entries)
    assert {e.object_id for e in entries} == {str(p.pk) for p in people.values()}
    assert all(e.event == "participant.import" and e.study_site_id == net.xa.pk for e in entries)
    with pytest.raises(ValidationError):  # a batch is imported once
        services.commit_batch(batch, actor=user)


def test_validation_report_names_row_column_and_problem(net):
    rows = [
        HEADER,
        ["Ann", "Archer", "1970-02-30", "F", "", "", "", "", ""],
        ["Bob", "", "1965-07-30", "X?", "", "not-an-email", "", "", ""],
        ["Cy", "Cole", "2099-01-01", "", "abc", "", "", "fax", "2026-01-01"],
        ["", "", "", "", "", "", "", "", ""],
        ["Di", "Dunn", "02/03/1980", "", "", "", "", "", ""],
    ]
    batch = upload(net.user("staff_a"), net.xa, "bad.csv", csv_bytes(rows))
    report = [(p["row"], p["column"], p["problem"]) for p in batch.report]
    assert report == [
        (2, "DOB", "'1970-02-30' is not a valid calendar date."),
        (3, "Last Name", "Required, but empty."),
        (3, "Sex", "'X?' is not a sex; use F, M or O."),
        (3, "E-mail", "'not-an-email' is not an e-mail address."),
        (4, "DOB", "2099-01-01 is in the future."),
        (4, "Phone", "'abc' is not a phone number."),
        (
            4,
            "Channel",
            "'fax' is not a referral channel; use one of database, physician, advertising, registry, other.",
        ),
        (6, "DOB", "'02/03/1980' is not a date; use YYYY-MM-DD."),
    ]
    assert (batch.status, batch.row_count, batch.error_count, batch.valid_row_count) == ("invalid", 4, 8, 0)
    with pytest.raises(ValidationError) as exc:
        services.commit_batch(batch, actor=net.user("staff_a"))
    assert "status" in exc.value.error_dict
    assert Participant.objects.count() == 0


def test_a_failure_mid_commit_leaves_nothing(net, monkeypatch):
    user = net.user("staff_a")
    batch = upload(user, net.xa, "prospects.csv", csv_bytes(GOOD))
    audits = AuditEntry.objects.count()

    def boom(self, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        raise RuntimeError("database connection lost")

    monkeypatch.setattr(ImportBatch, "save", boom)  # the last write of the commit fails
    with pytest.raises(RuntimeError):
        services.commit_batch(batch, actor=user)
    assert Participant.objects.count() == 0 and AuditEntry.objects.count() == audits  # partial writes: 0
    monkeypatch.undo()
    batch.refresh_from_db()
    assert batch.status == "ready"


def test_duplicates_in_file_and_at_the_study_site(net):
    user = net.user("manager_a")
    make(net.xa, first_name="Ann", last_name="ARCHER", birth_date=datetime.date(1970, 1, 2))
    make(net.xb, first_name="Bob", last_name="Baker", birth_date=datetime.date(1965, 7, 30))  # other site: fine
    rows = [
        *GOOD,
        ["Dan", "Dunn", "1980-01-01", "", "", "", "MRN-2", "", ""],  # same MRN as Bob (row 3)
        ["  cy ", "COLE", "", "", "", "", "", "", ""],  # no birth date: not a name duplicate
    ]
    batch = upload(user, net.xa, "dups.csv", csv_bytes(rows))
    dups = [(p["row"], p["column"], p["problem"]) for p in batch.report if p["kind"] == "duplicate"]
    existing_label = f"P-{Participant.objects.get(study_site=net.xa).pk}"
    assert dups == [
        (2, "Last Name", f"Same name and birth date as participant {existing_label} already at this study site."),
        (5, "MRN", "Same medical record number as row 3 of this file."),
    ]
    assert (batch.status, batch.duplicate_count, batch.error_count) == ("ready", 2, 0)
    with pytest.raises(ValidationError) as exc:
        services.commit_batch(batch, actor=user)
    assert "skip_duplicates" in exc.value.error_dict
    assert Participant.objects.filter(study_site=net.xa).count() == 1
    batch = services.commit_batch(batch, actor=user, skip_duplicates=True)
    assert batch.imported_count == 3 and batch.skipped_duplicates
    names = sorted(Participant.objects.filter(study_site=net.xa).values_list("first_name", flat=True))
    assert names == ["Ann", "Bob", "Cy", "cy"]


def test_duplicate_added_after_validation_is_caught_at_commit(net):
    user = net.user("staff_a")
    batch = upload(user, net.xa, "prospects.csv", csv_bytes(GOOD))
    make(net.xa, first_name="X", last_name="Y", medical_record_number="mrn-1")
    with pytest.raises(ValidationError) as exc:
        services.commit_batch(batch, actor=user)
    assert "skip_duplicates" in exc.value.error_dict
    assert Participant.objects.filter(study_site=net.xa).count() == 1


def test_synthea_patients_file_maps_and_imports(net):
    rows = synthea_rows()
    assert rows[0][:9] == ["Id", "BIRTHDATE", "DEATHDATE", "SSN", "DRIVERS", "PASSPORT", "PREFIX", "FIRST", "LAST"]
    user = net.user("staff_a")
    batch = upload(user, net.xa, "patients.csv", csv_bytes(rows))
    assert batch.mapping == {
        "first_name": "FIRST",
        "last_name": "LAST",
        "birth_date": "BIRTHDATE",
        "sex": "GENDER",
    }
    assert (batch.status, batch.row_count, batch.error_count) == ("ready", len(rows) - 1, 0), batch.report
    batch = services.validate_batch(
        batch,
        actor=user,
        defaults={"referral_channel": "database", "referral_source": "Synthea EHR export", "referred_on": "2026-03-01"},
        expected_version=batch.version,
    )
    batch = services.commit_batch(batch, actor=user, expected_version=batch.version)
    assert batch.imported_count == len(rows) - 1
    first = Participant.objects.get(first_name=rows[1][7])
    assert first.last_name == rows[1][8] and first.birth_date.isoformat() == rows[1][1]
    assert (first.referral_channel, first.referral_source, first.referred_on) == (
        "database",
        "Synthea EHR export",
        datetime.date(2026, 3, 1),
    )
    assert {p.sex for p in Participant.objects.all()} <= {"F", "M"}


def test_synthea_format_with_optional_columns_missing(net):
    rows = synthea_rows(drop=("BIRTHDATE", "GENDER", "DEATHDATE", "SSN"))
    batch = upload(net.user("staff_a"), net.xa, "patients-min.csv", csv_bytes(rows))
    assert batch.mapping == {"first_name": "FIRST", "last_name": "LAST"}
    assert batch.status == "ready" and batch.valid_row_count == len(rows) - 1


def test_xlsx_with_date_cells(net):
    rows = [
        ["FIRST", "LAST", "BIRTHDATE", "GENDER", "MRN"],
        ["Eve", "Evans", datetime.date(1990, 5, 6), "F", 12345],
        ["Fay", "Fox", datetime.datetime(1991, 6, 7), "F", 12346],
    ]
    batch = upload(net.user("staff_a"), net.xa, "list.XLSX", xlsx_bytes(rows))
    assert batch.kind == "xlsx" and batch.status == "ready", batch.report
    services.commit_batch(batch, actor=net.user("staff_a"))
    eve = Participant.objects.get(first_name="Eve")
    assert eve.birth_date == datetime.date(1990, 5, 6) and eve.medical_record_number == "12345"


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("list.csv", xlsx_bytes([["FIRST", "LAST"], ["a", "b"]]), "type_mismatch"),
        ("list.xlsx", b"FIRST,LAST\na,b\n", "type_mismatch"),
        ("list.exe", b"FIRST,LAST\na,b\n", "type_mismatch"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "bad_type"),
        ("latin1.csv", "FIRST,LAST\nJosé,Núñez\n".encode("latin-1"), "bad_type"),
        ("list.xlsx", b"PK\x03\x04 not really a zip", "bad_type"),
        ("big.csv", b"FIRST,LAST\n" + b"a,b\n" * (importing.MAX_UPLOAD_BYTES // 4), "too_large"),
        ("empty.csv", b"", "invalid"),
    ],
)
def test_type_sniffing_and_size_limit(net, name, data, code):
    with pytest.raises(ValidationError) as exc:
        upload(net.user("staff_a"), net.xa, name, data)
    errors = exc.value.error_dict["file"]
    assert errors[0].code == code, errors
    assert ImportBatch.objects.count() == 0


def test_zip_that_is_not_a_workbook_is_refused(net):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(ValidationError) as exc:
        upload(net.user("staff_a"), net.xa, "list.xlsx", buf.getvalue())
    assert exc.value.error_dict["file"][0].code == "bad_type"


@pytest.mark.parametrize("who", ["monitor_xa", "finance", "qa", "qa_a", "admin", "ops", "nobody"])
def test_only_the_site_team_may_import(net, who):
    with pytest.raises(PermissionDenied):
        upload(net.user(who), net.xa, "prospects.csv", csv_bytes(GOOD))
    assert ImportBatch.objects.count() == 0


def test_mapping_errors_and_stale_version(net):
    user = net.user("staff_a")
    batch = upload(user, net.xa, "prospects.csv", csv_bytes(GOOD))
    with pytest.raises(ValidationError) as exc:
        services.validate_batch(batch, actor=user, mapping={"first_name": "Nope", "last_name": "Last Name"})
    assert exc.value.messages == ["first_name: the file has no column 'Nope'."]
    with pytest.raises(ValidationError) as exc:
        services.validate_batch(batch, actor=user, mapping={"first_name": "First Name", "last_name": "First Name"})
    assert "mapped to both" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.validate_batch(batch, actor=user, mapping={"last_name": "Last Name"})
    with pytest.raises(ValidationError) as exc:
        services.validate_batch(batch, actor=user, defaults={"referred_on": "2099-01-01"})
    assert "default_referred_on" in exc.value.error_dict
    with pytest.raises(ConflictError):
        services.commit_batch(batch, actor=user, expected_version=batch.version + 5)
    assert Participant.objects.count() == 0


def _api_upload(client, study_site, name, data):  # noqa: ANN001, ANN202
    return client.post(
        "/api/v1/prospect-imports/",
        {"study_site": study_site.pk, "file": SimpleUploadedFile(name, data)},
        format="multipart",
    )


def test_api_upload_validate_commit(net, api):
    client = api(net.user("staff_xa"))
    r = _api_upload(client, net.xa, "prospects.csv", csv_bytes(GOOD))
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "ready" and body["report"] == [] and "content" not in body
    pk, version = body["id"], body["version"]
    r = client.post(
        f"/api/v1/prospect-imports/{pk}/validate/",
        {"version": version, "mapping": {"first_name": "Last Name", "last_name": "First Name"}},
        format="json",
    )
    assert r.status_code == 200 and r.json()["mapping"] == {"first_name": "Last Name", "last_name": "First Name"}
    version = r.json()["version"]
    assert client.post(f"/api/v1/prospect-imports/{pk}/commit/", {"version": 1}, format="json").status_code == 409
    r = client.post(f"/api/v1/prospect-imports/{pk}/commit/", {"version": version}, format="json")
    assert r.status_code == 200 and r.json()["imported_count"] == 3
    assert sorted(Participant.objects.values_list("first_name", flat=True)) == ["Archer", "Baker", "Cole"]
    assert client.get(f"/api/v1/prospect-imports/{pk}/").json()["status"] == "committed"
    assert [b["id"] for b in client.get("/api/v1/prospect-imports/").json()["results"]] == [pk]


def test_api_refusals(net, api):
    bad = _api_upload(api(net.user("staff_a")), net.xa, "prospects.xlsx", csv_bytes(GOOD))
    assert bad.status_code == 400 and "file" in bad.json()
    assert _api_upload(api(net.user("staff_a")), net.xb, "p.csv", csv_bytes(GOOD)).status_code == 404
    assert _api_upload(api(net.user("staff_xa")), net.ya, "p.csv", csv_bytes(GOOD)).status_code == 404
    assert _api_upload(api(net.user("monitor_xa")), net.xa, "p.csv", csv_bytes(GOOD)).status_code == 403
    assert _api_upload(api(net.user("finance")), net.xa, "p.csv", csv_bytes(GOOD)).status_code == 403
    missing = api(net.user("staff_a")).post("/api/v1/prospect-imports/", {"study_site": "x"}, format="multipart")
    assert missing.status_code == 400
    batch = upload(net.user("manager_a"), net.ya, "p.csv", csv_bytes(GOOD))
    assert api(net.user("staff_xa")).get(f"/api/v1/prospect-imports/{batch.pk}/").status_code == 404
    assert api(net.user("staff_a")).get(f"/api/v1/prospect-imports/{batch.pk}/").status_code == 200
    bad_map = api(net.user("staff_a")).post(
        f"/api/v1/prospect-imports/{batch.pk}/validate/", {"mapping": ["x"]}, format="json"
    )
    assert bad_map.status_code == 400


def test_ui_upload_mapping_report_commit(net, web):
    client = web(net.user("staff_a"))
    assert client.get("/recruitment/imports/new/").status_code == 200
    r = client.post(
        "/recruitment/imports/new/",
        {"study_site": net.xa.pk, "file": SimpleUploadedFile("prospects.csv", csv_bytes(GOOD))},
    )
    assert r.status_code == 302, r.content.decode()[-2000:]
    batch = ImportBatch.objects.get()
    page = client.get(r["Location"]).content.decode()
    assert "No problems found." in page and batch.sha256 in page and "Import prospects" in page
    form = {f"map_{k}": v for k, v in batch.mapping.items()} | {"version": batch.version, "map_email": ""}
    form["default_campaign"] = "Spring 2026"
    r = client.post(f"/recruitment/imports/{batch.pk}/mapping/", form)
    assert r.status_code == 302
    batch.refresh_from_db()
    assert "email" not in batch.mapping and batch.defaults == {"campaign": "Spring 2026"}
    r = client.post(f"/recruitment/imports/{batch.pk}/commit/", {"version": batch.version})
    assert r.status_code == 302
    assert Participant.objects.filter(campaign="Spring 2026", email="").count() == 3
    listing = client.get("/recruitment/imports/").content.decode()
    assert "prospects.csv" in listing
    # A wrong file type is reported on the form, not a 500.
    r = client.post(
        "/recruitment/imports/new/",
        {"study_site": net.xa.pk, "file": SimpleUploadedFile("x.xlsx", b"FIRST,LAST\n")},
    )
    assert r.status_code == 200 and "ends in" in r.content.decode()
    assert web(net.user("monitor_xa")).get("/recruitment/imports/new/").status_code == 403


def test_import_list_query_count_is_constant(net, web):
    user = net.user("staff_a")
    client = web(user)
    client.get("/recruitment/imports/")

    def grow(n: int) -> None:
        for i in range(ImportBatch.objects.count(), n):
            services.upload_batch(actor=user, study_site=net.xa, file_name=f"f{i}.csv", data=csv_bytes(GOOD))

    from trialsite.accounts.scoping import forget_grants
    from trialsite.core.testing import assert_constant_queries

    def fetch():  # noqa: ANN202
        forget_grants(user)
        return client.get("/recruitment/imports/")

    n = assert_constant_queries(fetch, grow, expected=5)
    print(f"import list page: {n} queries at 5 and 50 batches")


def test_import_api_list_query_count_is_constant(net, api):
    user = net.user("staff_a")
    client = api(user)

    def grow(n: int) -> None:
        for i in range(ImportBatch.objects.count(), n):
            services.upload_batch(actor=user, study_site=net.xa, file_name=f"f{i}.csv", data=csv_bytes(GOOD))

    from trialsite.accounts.scoping import forget_grants
    from trialsite.core.testing import assert_constant_queries

    def fetch():  # noqa: ANN202
        forget_grants(user)
        return client.get("/api/v1/prospect-imports/")

    n = assert_constant_queries(fetch, grow, expected=3)
    print(f"import list API: {n} queries at 5 and 50 batches")


def test_mapping_is_remembered_for_the_same_layout_at_the_study_site(net):
    user = net.user("staff_a")
    rows = synthea_rows()
    first = upload(user, net.xa, "patients.csv", csv_bytes(rows))
    chosen = {"first_name": "FIRST", "last_name": "LAST", "birth_date": "BIRTHDATE"}  # sex left out on purpose
    services.validate_batch(
        first, actor=user, mapping=chosen, defaults={"referral_channel": "database", "campaign": "EHR sweep"}
    )
    again = upload(user, net.xa, "patients-march.csv", csv_bytes(rows[:5]))
    assert again.mapping == chosen and again.defaults == {"referral_channel": "database", "campaign": "EHR sweep"}
    elsewhere = upload(user, net.ya, "patients.csv", csv_bytes(rows[:5]))  # another study site: a fresh guess
    assert elsewhere.mapping["sex"] == "GENDER" and elsewhere.defaults == {}


def test_batch_audit_records_the_hash_not_the_bytes(net):
    batch = upload(net.user("staff_a"), net.xa, "prospects.csv", csv_bytes(GOOD))
    entry = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ImportBatch), object_id=str(batch.pk), action="create"
    ).get()
    assert "content" not in entry.changes and entry.changes["sha256"][1] == batch.sha256
    assert "Archer" not in entry.object_repr
