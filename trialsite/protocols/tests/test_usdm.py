import copy
import datetime
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from trialsite.audit.models import AuditEntry
from trialsite.core.context import acting_as
from trialsite.protocols.models import EligibilityCriterion, Procedure, ProtocolVersion, VisitDefinition, VisitProcedure
from trialsite.protocols.usdm import import_usdm, parse_duration

pytestmark = pytest.mark.django_db

PILOT = settings.SHARED_DATA_DIR / "usdm" / "CDISC_Pilot_Study.json"


@pytest.fixture(scope="module")
def pilot() -> dict:
    return json.loads(PILOT.read_text())


def counts() -> tuple[int, ...]:
    return (
        ProtocolVersion.objects.count(),
        VisitDefinition.objects.count(),
        Procedure.objects.count(),
        VisitProcedure.objects.count(),
        EligibilityCriterion.objects.count(),
    )


def test_parse_duration():
    assert parse_duration("P2W") == (14, True)
    assert parse_duration("P3D") == (3, True)
    assert parse_duration("PT4H") == (0, False)
    assert parse_duration("P1M") == (30, False)
    assert parse_duration("nonsense") == (None, True)
    assert parse_duration(None) == (None, True)


def test_command_imports_the_cdisc_pilot(net):
    out = io.StringIO()
    call_command("import_usdm", str(PILOT), "--study", net.study_x.protocol_number, stdout=out)
    pv = ProtocolVersion.objects.get(study=net.study_x)
    assert pv.label == "USDM 2" and pv.effective_on == datetime.date(2006, 6, 1)
    visits = list(pv.visit_definitions.order_by("order"))
    assert [v.code for v in visits] == ["E1", "E2", "E3", "E4", "E5", "E7", "E8", "E9", "E10", "E11", "E12", "E13"]
    by_code = {v.code: v for v in visits}
    assert (by_code["E1"].day_offset, by_code["E1"].visit_type) == (-14, "screening")
    assert (by_code["E3"].day_offset, by_code["E3"].name) == (0, "Baseline")
    assert (by_code["E4"].day_offset, by_code["E4"].window_before, by_code["E4"].window_after) == (14, 3, 3)
    assert (by_code["E9"].day_offset, by_code["E9"].window_before) == (84, 4)
    assert (by_code["E13"].day_offset, by_code["E13"].visit_type) == (182, "end_of_study")
    assert Procedure.objects.filter(study=net.study_x).count() == 36
    ecg = Procedure.objects.get(study=net.study_x, name="ECG")
    assert ecg.category == "ecg"
    assert VisitProcedure.objects.filter(visit_definition__protocol_version=pv).count() == 118
    assert VisitProcedure.objects.filter(visit_definition=by_code["E1"], procedure__name="Informed consent").exists()
    assert (pv.criteria.filter(kind="inclusion").count(), pv.criteria.filter(kind="exclusion").count()) == (8, 23)
    first = pv.criteria.get(kind="inclusion", number=1)
    assert first.text.startswith("Males and postmenopausal females at least 50 years of age")
    text = out.getvalue()
    assert "Imported" in text and "not mapped" in text  # sub-timelines are reported
    # Attributed to the command, one entry per written row.
    entries = AuditEntry.objects.filter(actor_label="command:import_usdm")
    assert entries.count() == sum(counts())


def test_trimmed_variant_tolerates_missing_fields(net, pilot):
    data = copy.deepcopy(pilot)
    version = data["study"]["versions"][0]
    design = version["studyDesigns"][0]
    for t in design["scheduleTimelines"]:
        t["timings"] = [x for x in t["timings"] if x["name"] not in ("TIM9", "TIM16")]
        for x in t["timings"]:
            x.pop("windowLower", None)
            x.pop("windowUpper", None)
    for e in design["encounters"]:
        e.pop("label", None)
    design["activities"][3].pop("label")
    design["activities"][3].pop("name")
    version.pop("eligibilityCriterionItems")
    version.pop("dictionaries")
    version.pop("dateValues")
    with acting_as(net.user("admin")):
        report = import_usdm(data, study=net.study_y, label="Trimmed", effective_on=datetime.date(2026, 2, 1))
    pv = report.version
    visits = {v.code: v for v in pv.visit_definitions.all()}
    assert len(visits) == 12 and visits["E4"].window_before == 0
    assert visits["E9"].visit_type == "unscheduled" and visits["E13"].visit_type == "unscheduled"
    assert report.procedures_created == 35
    # Criterion texts came from their labels (the items are gone).
    assert pv.criteria.count() == 31 and pv.criteria.get(kind="inclusion", number=1).text == "Age greater than 50"
    assert any("Visit E9: no timing" in line for line in report.unmapped)
    assert any("Activity_4 has no name" in line for line in report.unmapped)


def test_all_or_nothing(net, pilot, tmp_path):
    data = copy.deepcopy(pilot)
    # Week 4 before Week 2 in time but after it in order: the schedule is refused and nothing is kept.
    for t in data["study"]["versions"][0]["studyDesigns"][0]["scheduleTimelines"]:
        for x in t["timings"]:
            if x["name"] == "TIM5":
                x["value"] = "P1W"
    before, audit_before = counts(), AuditEntry.objects.count()
    with acting_as(net.user("admin")), pytest.raises(ValidationError) as exc:
        import_usdm(data, study=net.study_x)
    assert "schedule" in exc.value.error_dict
    assert counts() == before and AuditEntry.objects.count() == audit_before
    # The command says so and writes nothing either.
    bad = Path(tmp_path) / "bad_usdm.json"
    try:
        bad.write_text(json.dumps(data))
        with pytest.raises(CommandError, match="Nothing was imported"):
            call_command("import_usdm", str(bad), "--study", net.study_x.protocol_number)
    finally:
        bad.unlink(missing_ok=True)
    assert counts() == before


def test_refuses_non_usdm_and_unknown_study(net, tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text(json.dumps({"hello": 1}))
    with pytest.raises(CommandError, match="Not a USDM file"):
        call_command("import_usdm", str(junk), "--study", net.study_x.protocol_number)
    junk.write_text("{not json")
    with pytest.raises(CommandError, match="not JSON"):
        call_command("import_usdm", str(junk), "--study", net.study_x.protocol_number)
    with pytest.raises(CommandError, match="No study"):
        call_command("import_usdm", str(PILOT), "--study", "NOPE")


def test_user_import_is_scope_checked(net, pilot):
    from django.core.exceptions import PermissionDenied

    with acting_as(net.user("staff_a")), pytest.raises(PermissionDenied):
        import_usdm(pilot, study=net.study_x, actor=net.user("staff_a"))
    assert ProtocolVersion.objects.count() == 0
