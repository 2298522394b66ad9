"""Access cases for recruitment: funnel metrics (every role in scope) and prospect imports (site team only).

Targets: the study site of the metrics filter or of the import batch — "own" X@A, "other_site" X@B,
"other_study" Y@A. Imports carry identity: roles without identity scope (network admin and ops,
finance, QA, monitors, nobody) are refused with 403 everywhere; site-team users outside the
batch's study site get 404, exactly like a missing batch.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from trialsite.core.context import acting_as
from trialsite.core.testing import Case
from trialsite.recruitment.importing import auto_mapping
from trialsite.recruitment.models import ImportBatch

ANON = "anonymous"
NETWORK = frozenset({"admin", "ops", "finance", "qa"})
SITE_A = frozenset({"manager_a", "staff_a", "qa_a"})
STUDY_XA = frozenset({"staff_xa", "monitor_xa"})
IMPORTERS = frozenset({"manager_a", "staff_a", "staff_xa"})  # identity roles in the fixture
ONE = ("own",)
FILE = b"First Name,Last Name,DOB\nAnn,Archer,1970-01-02\nBob,Baker,1965-07-30\n"


def study_site(net: Any, target: str) -> Any:
    return {"own": net.xa, "other_site": net.xb, "other_study": net.ya}[target]


def sees(user: str, target: str) -> bool:
    """Participants (so metrics) of a study at a site: network roles, site A, study X at A."""
    if user in NETWORK:
        return True
    if user in SITE_A:
        return target in ("own", "other_study")
    if user in STUDY_XA:
        return target == "own"
    return False


def imports_here(user: str, target: str) -> bool:
    return user in IMPORTERS and (target == "own" or (user != "staff_xa" and target == "other_study"))


def make_batch(net: Any, target: str) -> ImportBatch:
    """A validated, ready batch at the target study site (made directly: no importer exists at site B)."""
    with acting_as(process="test-setup"):
        batch = ImportBatch(
            study_site=study_site(net, target),
            uploaded_by=net.user("manager_a"),
            uploaded_at=timezone.now(),
            file_name="prospects.csv",
            kind="csv",
            size=len(FILE),
            sha256=hashlib.sha256(FILE).hexdigest(),
            content=FILE,
            headers=["First Name", "Last Name", "DOB"],
            mapping=auto_mapping(["First Name", "Last Name", "DOB"]),
            status=ImportBatch.Status.READY,
            row_count=2,
            valid_row_count=2,
            validated_at=timezone.now(),
        )
        batch.save()
        return batch


def latest_version(net: Any, target: str) -> int:
    return ImportBatch.objects.filter(study_site=study_site(net, target)).latest("pk").version


def metrics_page(u: str, t: str) -> int:
    if u == ANON:
        return 302
    if u == "nobody":
        return 403
    return 200 if sees(u, t) else 404


def metrics_api(u: str, t: str) -> int:
    if u in (ANON, "nobody"):
        return 403
    return 200 if sees(u, t) else 404


def importer_page(u: str, t: str) -> int:
    if u == ANON:
        return 302
    return 200 if u in IMPORTERS else 403


def upload_post(u: str, t: str) -> int:
    """Upload form: 302 to the report; an out-of-reach study site is an invalid choice (form again)."""
    if u == ANON:
        return 302
    if u not in IMPORTERS:
        return 403
    return 302 if imports_here(u, t) else 200


def batch_page(ok: int) -> Any:
    def expect(u: str, t: str) -> int:
        if u == ANON:
            return 302
        if u not in IMPORTERS:
            return 403
        return ok if imports_here(u, t) else 404

    return expect


def batch_api(ok: int) -> Any:
    def expect(u: str, t: str) -> int:
        if u == ANON or u not in IMPORTERS:
            return 403
        return ok if imports_here(u, t) else 404

    return expect


def api_list(u: str, t: str) -> int:
    return 200 if u in IMPORTERS else 403


def api_upload_without_file(u: str, t: str) -> int:
    return 400 if u in IMPORTERS else 403


def mapping_form(net: Any, t: str) -> dict[str, Any]:
    return {
        "version": latest_version(net, t),
        "map_first_name": "First Name",
        "map_last_name": "Last Name",
        "map_birth_date": "DOB",
        "default_referral_channel": "registry",
    }


def batch_url(name: str) -> Any:
    return lambda n, t: reverse(name, args=[make_batch(n, t).pk])


def api_batch_url(suffix: str = "") -> Any:
    return lambda n, t: f"/api/v1/prospect-imports/{make_batch(n, t).pk}/{suffix}"


CASES = [
    Case(
        "recruitment:metrics",
        "GET",
        lambda n, t: reverse("recruitment:metrics") + f"?study_site={study_site(n, t).pk}",
        metrics_page,
    ),
    Case(
        "recruitment:metrics",
        "GET",
        lambda n, t: reverse("recruitment:metrics"),
        lambda u, t: 302 if u == ANON else (403 if u == "nobody" else 200),
        targets=ONE,
        note="network",
    ),
    Case("recruitment:import_list", "GET", lambda n, t: reverse("recruitment:import_list"), importer_page, targets=ONE),
    Case(
        "recruitment:import_upload",
        "GET",
        lambda n, t: reverse("recruitment:import_upload"),
        importer_page,
        targets=ONE,
    ),
    Case(
        "recruitment:import_upload",
        "POST",
        lambda n, t: reverse("recruitment:import_upload"),
        upload_post,
        data=lambda n, t: {"study_site": study_site(n, t).pk, "file": SimpleUploadedFile("prospects.csv", FILE)},
    ),
    Case("recruitment:import_detail", "GET", batch_url("recruitment:import_detail"), batch_page(200)),
    Case(
        "recruitment:import_mapping",
        "POST",
        batch_url("recruitment:import_mapping"),
        batch_page(302),
        data=mapping_form,
    ),
    Case(
        "recruitment:import_commit",
        "POST",
        batch_url("recruitment:import_commit"),
        batch_page(302),
        data=lambda n, t: {"version": latest_version(n, t)},
    ),
    Case(
        "funnel-metrics-list",
        "GET",
        lambda n, t: f"/api/v1/funnel-metrics/?study_site={study_site(n, t).pk}",
        metrics_api,
        api=True,
    ),
    Case("prospect-imports-list", "GET", lambda n, t: "/api/v1/prospect-imports/", api_list, api=True, targets=ONE),
    Case(
        "prospect-imports-list",
        "POST",
        lambda n, t: "/api/v1/prospect-imports/",
        api_upload_without_file,
        data=lambda n, t: {"study_site": study_site(n, t).pk},
        api=True,
        targets=ONE,
        note="json-without-file",
    ),
    Case("prospect-imports-detail", "GET", api_batch_url(), batch_api(200), api=True),
    Case(
        "prospect-imports-validate",
        "POST",
        api_batch_url("validate/"),
        batch_api(200),
        data=lambda n, t: {"version": latest_version(n, t), "defaults": {"campaign": "Spring"}},
        api=True,
    ),
    Case(
        "prospect-imports-commit",
        "POST",
        api_batch_url("commit/"),
        batch_api(200),
        data=lambda n, t: {"version": latest_version(n, t)},
        api=True,
    ),
]
