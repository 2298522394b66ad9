"""Standards A1/A3: exactly one audit entry per write, through every write path, and a replayable trail.

Each path test asserts the exact entries it caused; `test_every_path_figure` runs them all in a row
and reports the figure "audit entries / writes".
"""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models
from django.db.models import F

from trialsite.accounts.models import User
from trialsite.audit.models import AuditEntry
from trialsite.core.context import AuditContextMissing, _current, acting_as
from trialsite.core.exceptions import ConflictError
from trialsite.core.models import REDACTED, AuditedModel, check_no_many_to_many
from trialsite.core.services import save_record
from trialsite.network.models import Organization, Site, SiteClosure
from trialsite.studies.models import Study, StudySite
from trialsite.studies.services import transition_study_site

pytestmark = pytest.mark.django_db


def entries_for(obj_or_model: object, **filters: object) -> models.QuerySet:
    model = obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)
    ct = ContentType.objects.get_for_model(model, for_concrete_model=False)
    qs = AuditEntry.objects.filter(content_type=ct, **filters)
    if not isinstance(obj_or_model, type):
        qs = qs.filter(object_id=str(obj_or_model.pk))
    return qs.order_by("id")


class Tally:
    """Counts writes made and entries written, for the A1 figure."""

    def __init__(self) -> None:
        self.writes = 0
        self.entries = 0
        self.start = AuditEntry.objects.count()

    def expect(self, writes: int) -> int:
        now = AuditEntry.objects.count()
        new = now - self.start
        self.start = now
        self.writes += writes
        self.entries += new
        return new


def site_form_data(site: Site, **overrides: object) -> dict[str, object]:
    data = {
        "code": site.code,
        "name": site.name,
        "city": site.city,
        "country": site.country,
        "time_zone": site.time_zone,
        "status": site.status,
        "clinic_days": [str(d) for d in site.clinic_days],
        "version": site.version,
    }
    data.update(overrides)
    return data


# -- the paths, each returning (writes made, entries written) -----------------------------------------


def ui_edit(net, web, tally: Tally) -> None:  # noqa: ANN001
    site = net.site_a
    r = web(net.user("admin")).post(f"/network/sites/{site.pk}/edit/", site_form_data(site, name="Alpha Clinic 2"))
    assert r.status_code == 302, r.content[:500]
    assert tally.expect(1) == 1
    e = entries_for(site).last()
    assert (e.action, e.actor_label, e.changes) == ("update", "admin", {"name": ["Alpha Clinic", "Alpha Clinic 2"]})
    assert e.request_id and e.site_id == site.pk


def api_create_update(net, api, tally: Tally) -> None:  # noqa: ANN001
    c = api(net.user("admin"))
    r = c.post("/api/v1/organizations/", {"kind": "cro", "name": "New CRO"}, format="json")
    assert r.status_code == 201, r.content
    org = Organization.objects.get(pk=r.json()["id"])
    assert tally.expect(1) == 1
    assert entries_for(org).get().action == "create"
    r = c.patch(f"/api/v1/organizations/{org.pk}/", {"short_name": "NC", "version": 1}, format="json")
    assert r.status_code == 200, r.content
    assert tally.expect(1) == 1
    e = entries_for(org).last()
    assert (e.action, e.actor_label, e.changes) == ("update", "admin", {"short_name": ["", "NC"]})


def admin_change(net, web, tally: Tally) -> None:  # noqa: ANN001
    root = User.objects.create_superuser("root", "root@example.org", "a long admin passphrase 77")
    tally.expect(1)  # the superuser itself is an audited record
    org = net.irb
    r = web(root).post(
        f"/admin/network/organization/{org.pk}/change/",
        {"kind": org.kind, "name": "Central IRB (renamed)", "is_active": "on", "_save": "Save"},
    )
    assert r.status_code == 302, r.content[:1000]
    assert tally.expect(1) == 1
    e = entries_for(org).last()
    assert (e.actor_label, e.changes["name"]) == ("root", ["Central IRB", "Central IRB (renamed)"])


def service_transition(net, tally: Tally) -> None:  # noqa: ANN001
    ss = transition_study_site(net.xa, to="selected", actor=net.user("admin"), reason="Feasibility passed")
    assert tally.expect(1) == 1
    e = entries_for(ss).last()
    assert (e.event, e.reason, e.actor_label) == ("studysite.transition", "Feasibility passed", "admin")
    assert e.changes["status"] == ["feasibility", "selected"]
    assert e.site_id == net.site_a.pk and e.study_site_id == ss.pk


def command(net, tally: Tally) -> None:  # noqa: ANN001
    out = StringIO()
    call_command("deactivate_user", "nobody", reason="Left the network", stdout=out)
    assert "Deactivated nobody" in out.getvalue()
    assert tally.expect(1) == 1
    e = entries_for(net.user("nobody")).last()
    assert (e.actor_id, e.actor_label, e.event, e.reason) == (
        None,
        "command:deactivate_user",
        "user.deactivate",
        "Left the network",
    )
    assert e.changes == {"is_active": [True, False]}


def queryset_update(net, tally: Tally) -> None:  # noqa: ANN001
    n = Study.objects.update(enrollment_target=F("enrollment_target") + 5)
    assert n == 2 and tally.expect(2) == 2
    assert entries_for(net.study_x).last().changes == {"enrollment_target": [100, 105]}
    assert entries_for(net.study_y).last().changes == {"enrollment_target": [40, 45]}
    net.study_x.refresh_from_db()
    assert net.study_x.version == 2  # refresh_from_db picks up the bumped version


def bulk_paths(net, tally: Tally) -> None:  # noqa: ANN001
    day = datetime.date(2026, 12, 24)
    closures = SiteClosure.objects.bulk_create(
        [SiteClosure(site=net.site_b, starts_on=day, ends_on=day, reason=f"Holiday {i}") for i in range(3)]
    )
    assert tally.expect(3) == 3
    assert {e.action for e in entries_for(SiteClosure)} == {"create"}
    for c in closures:
        c.reason += " (moved)"
    assert SiteClosure.objects.bulk_update(closures, ["reason"]) == 3
    assert tally.expect(3) == 3
    assert entries_for(closures[0]).last().changes == {"reason": ["Holiday 0", "Holiday 0 (moved)"]}
    closures[0].ends_on = day + datetime.timedelta(days=1)
    closures[0].save()  # bulk_update kept the in-memory version current
    assert tally.expect(1) == 1
    deleted, _ = SiteClosure.objects.filter(pk=closures[2].pk).delete()
    assert deleted == 1 and tally.expect(1) == 1
    e = entries_for(SiteClosure, action="delete").get()
    assert e.object_id == str(closures[2].pk) and e.changes["reason"] == ["Holiday 2 (moved)", None]
    assert e.site_id == net.site_b.pk


def cascade_delete(net, tally: Tally) -> None:  # noqa: ANN001
    site = Site.objects.create(code="TMP-01", name="Temp", city="Oslo", country="NO")
    day = datetime.date(2026, 5, 17)
    SiteClosure.objects.create(site=site, starts_on=day, ends_on=day, reason="National day")
    SiteClosure.objects.create(site=site, starts_on=day, ends_on=day, reason="Second")
    assert tally.expect(3) == 3
    total, per_model = Site.objects.filter(pk=site.pk).delete()
    assert total == 3 and per_model == {"network.Site": 1, "network.SiteClosure": 2}
    assert tally.expect(3) == 3
    deletes = AuditEntry.objects.filter(action="delete", site_id=site.pk)
    assert sorted(e.content_type.model for e in deletes) == ["site", "siteclosure", "siteclosure"]


def failed_writes(net, tally: Tally) -> None:  # noqa: ANN001
    admin = net.user("admin")
    site = Site.objects.get(pk=net.site_b.pk)
    before = Site.objects.filter(pk=site.pk).values().get()
    site.country = "Germany"
    with pytest.raises(ValidationError) as exc:
        save_record(site, actor=admin)
    assert "country" in exc.value.message_dict
    stale = Site.objects.get(pk=site.pk)
    stale.version -= 1
    stale.name = "Lost update"
    with pytest.raises(ConflictError):
        save_record(stale, actor=admin)
    with pytest.raises(ValidationError):
        transition_study_site(net.xb, to="closed", actor=admin)
    assert tally.expect(0) == 0
    assert Site.objects.filter(pk=site.pk).values().get() == before


PATHS = [
    ("UI form edit", lambda net, web, api, t: ui_edit(net, web, t)),
    ("API create + update", lambda net, web, api, t: api_create_update(net, api, t)),
    ("admin change", lambda net, web, api, t: admin_change(net, web, t)),
    ("service with reason", lambda net, web, api, t: service_transition(net, t)),
    ("management command", lambda net, web, api, t: command(net, t)),
    ("QuerySet.update with F()", lambda net, web, api, t: queryset_update(net, t)),
    ("bulk_create / bulk_update / delete", lambda net, web, api, t: bulk_paths(net, t)),
    ("cascade delete", lambda net, web, api, t: cascade_delete(net, t)),
    ("failed writes", lambda net, web, api, t: failed_writes(net, t)),
]


@pytest.mark.parametrize("name,run", PATHS, ids=[p[0] for p in PATHS])
def test_path_writes_one_entry_per_write(net, web, api, name, run) -> None:  # noqa: ANN001
    tally = Tally()
    run(net, web, api, tally)
    assert tally.entries == tally.writes


def test_every_path_figure(net, web, api, capsys) -> None:  # noqa: ANN001
    tally = Tally()
    for _, run in PATHS:
        run(net, web, api, tally)
    call_command("audit_verify", stdout=StringIO())
    with capsys.disabled():
        pct = 100 * tally.entries / tally.writes
        print(f"\nA1 audit entries / writes = {tally.entries}/{tally.writes} = {pct:.0f} % over {len(PATHS)} paths")
    assert tally.entries == tally.writes


# -- the holes of the base model ---------------------------------------------------------------------


def test_create_get_or_create_update_or_create(net) -> None:  # noqa: ANN001
    org, created = Organization.objects.get_or_create(kind="sponsor", name="Beta Bio")
    assert created and entries_for(org).count() == 1
    again, created = Organization.objects.get_or_create(kind="sponsor", name="Beta Bio")
    assert not created and entries_for(org).count() == 1
    org, created = Organization.objects.update_or_create(kind="sponsor", name="Beta Bio", defaults={"country": "CH"})
    assert not created and org.version == 2
    assert entries_for(org).last().changes == {"country": ["", "CH"]}


def test_update_fields_records_only_saved_fields(net) -> None:  # noqa: ANN001
    site = Site.objects.get(pk=net.site_a.pk)
    site.name = "Saved"
    site.city = "Not saved"
    site.save(update_fields=["name"])
    assert entries_for(site).last().changes == {"name": ["Alpha Clinic", "Saved"]}
    site.refresh_from_db()
    assert (site.city, site.version) == ("Boston", 2)


def test_deferred_fields_save(net) -> None:  # noqa: ANN001
    site = Site.objects.only("name", "version").get(pk=net.site_a.pk)
    site.name = "Deferred"
    site.save()
    assert entries_for(site).last().changes == {"name": ["Alpha Clinic", "Deferred"]}


def test_partial_refresh_keeps_stale_version_refused(net) -> None:  # noqa: ANN001
    mine = Site.objects.get(pk=net.site_a.pk)
    Site.objects.filter(pk=mine.pk).update(city="Cambridge")
    mine.refresh_from_db(fields=["name"])  # the rest of the object is still stale: so is its version
    mine.phone = "123"
    with pytest.raises(ConflictError):
        mine.save()
    mine.refresh_from_db()
    assert mine.version == 2 and mine.city == "Cambridge"
    mine.phone = "123"
    mine.save()
    assert mine.version == 3


def test_explicit_id_cannot_overwrite(net) -> None:  # noqa: ANN001
    before = entries_for(net.site_a).count()
    clash = Site(pk=net.site_a.pk, code="ZZZ-01", name="Impostor", city="X", country="US")
    with pytest.raises(Exception):  # noqa: B017, PT011  IntegrityError; save_record turns it into a conflict
        clash.save()
    assert Site.objects.get(pk=net.site_a.pk).name == "Alpha Clinic"
    assert entries_for(net.site_a).count() == before


def test_moved_pk_is_refused(net) -> None:  # noqa: ANN001
    org = Organization.objects.get(pk=net.cro.pk)
    org.pk = 987654
    with pytest.raises(ConflictError):
        org.save()
    assert not Organization.objects.filter(pk=987654).exists()


def test_instance_delete_and_its_pk(net) -> None:  # noqa: ANN001
    closure = SiteClosure.objects.create(
        site=net.site_a, starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 1, 1), reason="New year"
    )
    pk = closure.pk
    closure.delete()
    e = entries_for(SiteClosure, action="delete").get()
    assert e.object_id == str(pk) and e.site_id == net.site_a.pk


def test_bulk_update_refuses_stale_objects(net) -> None:  # noqa: ANN001
    stale = list(Study.objects.order_by("pk"))
    Study.objects.filter(pk=stale[0].pk).update(title="Changed meanwhile")
    before = AuditEntry.objects.count()
    for s in stale:
        s.title = "Overwrite"
    with pytest.raises(ConflictError):
        Study.objects.bulk_update(stale, ["title"])
    assert AuditEntry.objects.count() == before
    assert Study.objects.get(pk=stale[0].pk).title == "Changed meanwhile"


def test_upserts_are_refused(net) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="ignore_conflicts"):
        Organization.objects.bulk_create([Organization(kind="irb", name="X")], ignore_conflicts=True)


def test_no_actor_no_write(net) -> None:  # noqa: ANN001
    token = _current.set(None)
    try:
        with pytest.raises(AuditContextMissing):
            Organization.objects.create(kind="irb", name="Anonymous IRB")
        with pytest.raises(AuditContextMissing):
            Study.objects.update(title="Nobody")
    finally:
        _current.reset(token)
    assert not Organization.objects.filter(name="Anonymous IRB").exists()
    assert not Study.objects.filter(title="Nobody").exists()


def test_password_is_redacted(net) -> None:  # noqa: ANN001
    user = net.user("staff_a")
    user.set_password("another long passphrase 99")
    user.save()
    assert entries_for(user).last().changes == {"password": [REDACTED, REDACTED]}


def test_fixture_load_is_audited(net, tmp_path) -> None:  # noqa: ANN001
    fixture = tmp_path / "orgs.json"
    fixture.write_text(
        '[{"model": "network.organization", "pk": 4242, "fields": {"kind": "irb", "name": "Loaded IRB",'
        ' "version": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}}]'
    )
    call_command("loaddata", str(fixture), verbosity=0)
    e = entries_for(Organization, object_id="4242").get()
    assert (e.action, e.event, e.changes["name"]) == ("create", "fixture.load", [None, "Loaded IRB"])


def test_many_to_many_on_audited_model_fails_the_check() -> None:
    assert check_no_many_to_many() == []  # the project as it is: none (User's auth m2m are exempt)

    class Tagged(AuditedModel):
        tags = models.ManyToManyField("network.Organization", related_name="+")

        class Meta:
            app_label = "network"

    from django.apps import apps

    try:
        errors = check_no_many_to_many()
        assert [e.id for e in errors] == ["trialsite.E001"]
        assert "Tagged.tags" in errors[0].msg
    finally:
        del apps.all_models["network"]["tagged"]
        apps.clear_cache()


def test_audit_verify_rebuilds_every_object(net) -> None:  # noqa: ANN001
    with acting_as(process="test"):
        Study.objects.update(enrollment_target=F("enrollment_target") * 2)
        SiteClosure.objects.create(
            site=net.site_a, starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 1, 2), reason="x"
        )
    out = StringIO()
    call_command("audit_verify", stdout=out)
    line = out.getvalue().strip().splitlines()[-1]
    k, n = line.removeprefix("objects rebuilt ").split("/")
    assert k == n and int(n) > 20
    print(f"\nA3 {line}")


def test_audit_verify_fails_on_a_write_that_escaped(net) -> None:  # noqa: ANN001
    models.QuerySet(Site).filter(pk=net.site_a.pk).update(name="Changed behind the trail")  # plain QuerySet
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("audit_verify", stdout=out, stderr=err)
    assert exc.value.returncode == 1
    assert f"network.Site #{net.site_a.pk}: name" in err.getvalue()
    assert "objects rebuilt" in out.getvalue()


def test_studysite_status_is_rebuilt_after_transitions(net) -> None:  # noqa: ANN001
    admin = net.user("admin")
    ss = transition_study_site(net.ya, to="selected", actor=admin, on=datetime.date(2026, 2, 1))
    ss = transition_study_site(ss, to="withdrawn", actor=admin, reason="Sponsor stopped")
    out = StringIO()
    call_command("audit_verify", "--model", "studies.StudySite", stdout=out)
    assert out.getvalue().strip() == f"objects rebuilt {StudySite.objects.count()}/{StudySite.objects.count()}"


def test_values_are_recorded_as_stored() -> None:
    """Text typed into a typed field, and equal amounts or instants, get one spelling in the trail (A3)."""
    import decimal
    import zoneinfo

    from trialsite.core.models import jsonable, snapshot
    from trialsite.protocols.models import VisitDefinition

    typed = snapshot(VisitDefinition(stipend_amount="75.00"), ["stipend_amount"])
    stored = snapshot(VisitDefinition(stipend_amount=decimal.Decimal("75")), ["stipend_amount"])
    assert typed == stored == {"stipend_amount": "75"}
    berlin = datetime.datetime(2026, 3, 1, 10, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert jsonable(berlin) == "2026-03-01T09:00:00+00:00"
    assert jsonable(decimal.Decimal("1E+2")) == "100"


def test_user_group_membership_is_audited(net) -> None:  # noqa: ANN001
    """User's auth groups are the one many-to-many allowed on an audited model; both sides are audited."""
    from django.contrib.auth.models import Group

    g1 = Group.objects.create(name="g1")
    g2 = Group.objects.create(name="g2")
    user = net.user("staff_a")
    user.groups.add(g1, g2)
    assert entries_for(user).last().changes == {"groups": [[], sorted([g1.pk, g2.pk])]}
    user.groups.remove(g1)
    assert entries_for(user).last().changes == {"groups": [sorted([g1.pk, g2.pk]), [g2.pk]]}
    g2.user_set.remove(user)
    assert entries_for(user).last().changes == {"groups": [[g2.pk], []]}
    g1.user_set.add(user)
    assert entries_for(user).last().changes == {"groups": [[], [g1.pk]]}
    before = entries_for(user).count()
    g1.user_set.clear()
    assert entries_for(user).count() == before + 1
    assert entries_for(user).last().changes == {"groups": [[g1.pk], []]}
