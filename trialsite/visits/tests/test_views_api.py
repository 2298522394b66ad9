import datetime

import icalendar
import pytest

from trialsite.visits import services
from trialsite.visits.models import CalendarFeed, Visit
from trialsite.visits.tests.conftest import ANCHOR, make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture
def planned(net, schedule):
    """An enrolled participant at study X / site A with visits, and one at site B."""
    p = make_participant(net.xa, subject_id="X-A-001")
    p.stage = "enrolled"
    p.save()
    q = make_participant(net.xb, n=2, subject_id="X-B-001")
    q.stage = "enrolled"
    q.save()
    a = services.generate_visits(p, anchor="enrollment", anchor_date=ANCHOR, actor=net.user("staff_a"))
    from trialsite.conftest import make_user

    staff_b = make_user("staff_b", ("site_staff", net.site_b, None))
    b = services.generate_visits(q, anchor="enrollment", anchor_date=ANCHOR, actor=staff_b)
    return a, b


def test_calendar_week_shows_labels_and_names_only_to_identity_roles(net, web, planned):
    url = f"/visits/calendar/{net.site_a.pk}/week/?date=2026-03-09"
    staff = web(net.user("staff_a")).get(url)
    assert staff.status_code == 200
    body = staff.content.decode()
    assert "X-A-001" in body and "Alice1 Secretname" in body
    assert "not a clinic day" in body  # the weekend
    monitor = web(net.user("monitor_xa")).get(url).content.decode()
    assert "X-A-001" in monitor and "Secretname" not in monitor
    assert web(net.user("staff_a")).get(f"/visits/calendar/{net.site_b.pk}/week/").status_code == 404


def test_calendar_day_and_bad_date(net, web, planned):
    c = web(net.user("staff_a"))
    r = c.get(f"/visits/calendar/{net.site_a.pk}/day/?date=2026-03-09")
    assert r.status_code == 200 and "V2" in r.content.decode()
    assert c.get(f"/visits/calendar/{net.site_a.pk}/day/?date=garbage").status_code == 200
    assert c.get(f"/visits/calendar/{net.site_a.pk}/day/?date=99999-01-01").status_code == 200


def test_visit_detail_and_actions_via_ui(net, web, planned):
    v2 = planned[0][1]
    c = web(net.user("staff_a"))
    r = c.get(f"/visits/{v2.pk}/")
    assert r.status_code == 200 and "Safety labs" in r.content.decode()
    r = c.post(
        f"/visits/{v2.pk}/complete/",
        {"actual_on": "2026-03-14", "proc_LAB": "1", "proc_ECG": "0", "version": v2.version},
    )
    assert r.status_code == 302
    v2.refresh_from_db()
    assert v2.status == "completed" and v2.out_of_window and v2.procedures_done == {"ECG": False, "LAB": True}
    # stale version on another visit: a clear form error, no change
    v3 = planned[0][2]
    r = c.post(f"/visits/{v3.pk}/miss/", {"reason": "Away", "version": v3.version + 1})
    assert r.status_code == 200 and "changed by someone else" in r.content.decode()
    assert web(net.user("monitor_xa")).post(f"/visits/{v3.pk}/miss/", {"reason": "x", "version": 1}).status_code == 403
    assert web(net.user("staff_a")).get(f"/visits/{planned[1][0].pk}/").status_code == 404


def test_api_list_filters_and_identity(net, api, planned):
    r = api(net.user("staff_a")).get("/api/v1/visits/", {"status": "planned", "date_from": "2026-03-05"})
    assert r.status_code == 200
    rows = r.json()["results"]
    assert {row["code"] for row in rows} == {"V2", "V3"}
    assert rows[0]["participant_name"] == "Alice1 Secretname"
    m = api(net.user("monitor_xa")).get("/api/v1/visits/").json()["results"]
    assert m and all(row["participant_name"] is None for row in m)
    assert api(net.user("staff_a")).get("/api/v1/visits/", {"site": net.site_b.pk}).status_code == 400


def test_api_actions(net, api, planned):
    c = api(net.user("staff_a"))
    v2, v3 = planned[0][1], planned[0][2]
    r = c.post(
        f"/api/v1/visits/{v2.pk}/reschedule/", {"planned_on": "2026-03-07", "version": v2.version}, format="json"
    )
    assert r.status_code == 400 and "planned_on" in r.json()
    r = c.post(
        f"/api/v1/visits/{v2.pk}/reschedule/", {"planned_on": "2026-03-10", "version": v2.version}, format="json"
    )
    assert r.status_code == 200 and r.json()["planned_on"] == "2026-03-10"
    r = c.post(f"/api/v1/visits/{v2.pk}/miss/", {"reason": "Sick", "version": v2.version}, format="json")
    assert r.status_code == 409
    r = c.post(
        f"/api/v1/visits/{v3.pk}/complete/",
        {"actual_on": "2026-03-30", "procedures": {"LAB": True}, "version": v3.version},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "completed"
    r = c.post(
        "/api/v1/visits/unscheduled/", {"participant": v2.participant_id, "planned_on": "2026-03-11"}, format="json"
    )
    assert r.status_code == 201 and r.json()["code"] == "UNS"
    r = c.post(
        "/api/v1/visits/unscheduled/",
        {"participant": planned[1][0].participant_id, "planned_on": "2026-03-11"},
        format="json",
    )
    assert r.status_code == 400 and "participant" in r.json()
    assert (
        c.post(f"/api/v1/visits/{planned[1][0].pk}/miss/", {"reason": "x", "version": 1}, format="json").status_code
        == 404
    )


def test_ical_feed_parses_carries_no_identity_and_revokes(net, web, api, planned, monkeypatch):
    from trialsite.visits import feeds

    monkeypatch.setattr(feeds, "FUTURE_DAYS", 100000)
    monkeypatch.setattr(feeds, "PAST_DAYS", 100000)
    r = api(net.user("staff_a")).post(
        "/api/v1/calendar-feeds/", {"site": net.site_a.pk, "label": "Alpha"}, format="json"
    )
    assert r.status_code == 201
    url = r.json()["url"]
    assert url and "/visits/feeds/" in url
    path = url.split("testserver", 1)[1]
    anon = web(None)
    resp = anon.get(path)
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(resp.content)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 3
    summaries = {str(e["summary"]) for e in events}
    assert summaries == {"ACME-001 X-A-001 V1", "ACME-001 X-A-001 V2", "ACME-001 X-A-001 V3"}
    assert str(cal["x-wr-timezone"]) == "America/New_York"
    text = resp.content.decode()
    for secret in ("Alice", "Secretname", "X-B-001"):
        assert secret not in text
    assert {e.decoded("dtstart") for e in events} == {v.planned_on for v in planned[0]}
    feed = CalendarFeed.objects.get()
    r = api(net.user("staff_a")).post(f"/api/v1/calendar-feeds/{feed.pk}/revoke/", {}, format="json")
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert anon.get(path).status_code == 404
    assert anon.get("/visits/feeds/not-a-token.ics").status_code == 404


def test_coordinator_feed_and_ui_management(net, web, planned, monkeypatch):
    from trialsite.visits import feeds

    monkeypatch.setattr(feeds, "PAST_DAYS", 100000)
    c = web(net.user("manager_a"))
    r = c.post("/visits/feeds/", {"coordinator": net.crc_a.pk, "label": "Carl"})
    assert r.status_code == 302
    feed = CalendarFeed.objects.get()
    assert feed.site_id == net.site_a.pk and feed.coordinator_id == net.crc_a.pk
    page = c.get("/visits/feeds/").content.decode()
    assert feed.token in page
    assert feed.token not in web(net.user("staff_a")).get("/visits/feeds/").content.decode()
    ics = web(None).get(f"/visits/feeds/{feed.token}.ics")
    assert len(icalendar.Calendar.from_ical(ics.content).walk("VEVENT")) == 3
    assert web(net.user("staff_a")).post(f"/visits/feeds/{feed.pk}/revoke/").status_code == 302  # same site team
    assert web(None).get(f"/visits/feeds/{feed.token}.ics").status_code == 404
    assert web(net.user("monitor_xa")).post("/visits/feeds/", {"site": net.site_a.pk}).status_code == 200
    assert CalendarFeed.objects.count() == 1


def test_my_today_overdue_missed_and_home_panels(net, web, planned):
    c = web(net.user("staff_a"))
    assert "V2" in c.get("/visits/overdue/").content.decode()
    services.miss_visit(planned[0][2], reason="Moved away", actor=net.user("staff_a"))
    assert "V3" in c.get("/visits/missed/").content.decode()
    today = datetime.date.today()
    v = services.add_unscheduled_visit(planned[0][0].participant, planned_on=today, actor=net.user("staff_a"))
    Visit.objects.filter(pk=v.pk).update(planned_on=today)  # whatever the weekday
    assert "UNS" in c.get("/visits/today/").content.decode()
    home = c.get("/").content.decode()
    assert "My visits today" in home and "Overdue visits" in home
    assert "My visits today" not in web(net.user("finance")).get("/").content.decode()


def test_visit_list_links_and_csv_without_html_or_identity_for_monitor(net, web, planned):
    page = web(net.user("staff_a")).get("/visits/").content.decode()
    assert f'href="/visits/{planned[0][0].pk}/"' in page
    csv = web(net.user("monitor_xa")).get("/visits/?format=csv")
    text = csv.content.decode()
    assert csv["Content-Type"] == "text/csv"
    assert "X-A-001" in text and "Secretname" not in text and "<span" not in text
    assert "X-B-001" not in text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2026-02-29", "not a date"])
def test_absurd_dates_get_a_400_naming_the_field(net, api, web, planned, day):
    v = planned[0][1]
    c = api(net.user("staff_a"))
    r = c.post(f"/api/v1/visits/{v.pk}/reschedule/", {"planned_on": day, "version": v.version}, format="json")
    assert r.status_code == 400 and "planned_on" in r.json()
    r = c.post(
        f"/api/v1/visits/{v.pk}/complete/",
        {"actual_on": day, "procedures": {"LAB": True, "ECG": True}, "version": v.version},
        format="json",
    )
    assert r.status_code == 400 and "actual_on" in r.json()
    r = c.post("/api/v1/visits/unscheduled/", {"participant": v.participant_id, "planned_on": day}, format="json")
    assert r.status_code == 400 and "planned_on" in r.json()
    assert c.get("/api/v1/visits/", {"date_from": day}).status_code in (200, 400)
    w = web(net.user("staff_a"))
    assert w.get(f"/visits/calendar/{net.site_a.pk}/week/?date={day}").status_code == 200


def test_filter_by_participant(net, web, api, planned):
    p = planned[0][0].participant_id
    rows = api(net.user("staff_a")).get("/api/v1/visits/", {"participant": p}).json()["results"]
    assert len(rows) == 3 and {r["participant"] for r in rows} == {p}
    assert (
        api(net.user("staff_a")).get("/api/v1/visits/", {"participant": planned[1][0].participant_id}).status_code
        == 400
    )
    page = web(net.user("staff_a")).get(f"/visits/?participant={p}")
    assert page.status_code == 200 and "X-A-001" in page.content.decode()
