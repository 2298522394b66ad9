"""The demo network's foundation: sites, organizations, studies, studies at sites, staff and logins.

Deterministic: every value comes from `random.Random(seed)` and the anchor date, drawn in the same
order whatever is already stored. Idempotent: rows are looked up by their natural key (site code,
organization kind+name, protocol number, study+site, e-mail, username) and only missing ones are
written, so a re-run tops up and never duplicates.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from typing import Any

from trialsite.accounts.models import RoleAssignment, User
from trialsite.accounts.roles import Role
from trialsite.demo import catalog, ctgov
from trialsite.network.models import Organization, Site, SiteClosure
from trialsite.network.vocab import Capability, TherapeuticArea
from trialsite.staff.models import Assignment, Person
from trialsite.studies.models import Study, StudySite
from trialsite.studies.services import transition_study_site

DEMO_PASSWORD = "TrialSite-demo-2026"
EMAIL_DOMAIN = "demo.trialsite.example"

S = StudySite.Status
# How far along its life cycle each of the 35 studies at sites is.
LIFE_CYCLE_MIX = (
    [S.FEASIBILITY] * 4
    + [S.SELECTED] * 3
    + [S.START_UP] * 4
    + [S.ACTIVE] * 14
    + [S.ENROLLMENT_CLOSED] * 4
    + [S.CLOSED] * 3
    + [S.NOT_SELECTED] * 2
    + [S.WITHDRAWN] * 1
)
PATH = {
    S.FEASIBILITY: [],
    S.SELECTED: [S.SELECTED],
    S.START_UP: [S.SELECTED, S.START_UP],
    S.ACTIVE: [S.SELECTED, S.START_UP, S.ACTIVE],
    S.ENROLLMENT_CLOSED: [S.SELECTED, S.START_UP, S.ACTIVE, S.ENROLLMENT_CLOSED],
    S.CLOSED: [S.SELECTED, S.START_UP, S.ACTIVE, S.ENROLLMENT_CLOSED, S.CLOSED],
    S.NOT_SELECTED: [S.NOT_SELECTED],
    S.WITHDRAWN: [S.SELECTED, S.WITHDRAWN],
}
# Typical days spent in each status before the next one (start-up cycle time ~ 3-5 months).
DWELL = {S.SELECTED: (20, 45), S.START_UP: (60, 120), S.ACTIVE: (150, 400), S.ENROLLMENT_CLOSED: (90, 240)}

# username, display name, role, scope ("network" | site code | (protocol, site code)), person job role
LOGINS: list[tuple[str, str, str, Any, str | None]] = [
    ("admin", "Nadia Adler", Role.NETWORK_ADMIN, "network", None),
    ("ops", "Oscar Ortega", Role.NETWORK_OPS, "network", None),
    ("manager", "Marco Moreno", Role.SITE_MANAGER, "BOS-01", "site_manager"),
    ("coordinator", "Carla Castillo", Role.SITE_STAFF, "BOS-01", "coordinator"),
    ("finance", "Fatima Foster", Role.FINANCE, "network", "finance"),
    ("qa", "Quinn Quintero", Role.QA, "network", "qa"),
    ("monitor", "Maya Lindqvist", Role.EXTERNAL_MONITOR, ("NRV-CV-301", "BOS-01"), None),
]


@dataclass
class Foundation:
    """What the later steps (participants, visits) need from the foundation."""

    today: datetime.date
    sites: dict[str, Site] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    studies: dict[str, Study] = field(default_factory=dict)
    study_sites: list[StudySite] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    users: dict[str, User] = field(default_factory=dict)
    created: dict[str, int] = field(default_factory=dict)

    def count(self, name: str, made: bool) -> None:
        self.created[name] = self.created.get(name, 0) + int(made)


def build_foundation(rng: random.Random, today: datetime.date) -> Foundation:
    """Write (or top up) the demo foundation; call inside acting_as(process="command:demo")."""
    f = Foundation(today=today)
    _sites(rng, f)
    _organizations(f)
    _studies(rng, f)
    _people(rng, f)
    _logins(f)
    _study_sites(rng, f)
    _assignments(rng, f)
    return f


def _sites(rng: random.Random, f: Foundation) -> None:
    caps = Capability.values
    areas = TherapeuticArea.values
    for i, (code, name, city, region, postal, country, tz, street) in enumerate(catalog.SITES):
        clinic_days = [0, 1, 2, 3, 4] + ([5] if i % 4 == 0 else [])
        spec = {
            "name": name,
            "legal_entity": f"{name} {'LLC' if country == 'US' else 'GmbH' if country == 'DE' else 'Ltd'}",
            "address_line": street,
            "city": city,
            "region": region,
            "postal_code": postal,
            "country": country,
            "time_zone": tz,
            "status": Site.Status.ACTIVE if i < 11 else Site.Status.ON_HOLD,
            "capabilities": sorted(rng.sample(caps, rng.randint(4, 9))),
            "therapeutic_areas": sorted(rng.sample(areas, rng.randint(3, 6))),
            "clinic_days": clinic_days,
            "daily_visit_capacity": rng.choice([8, 10, 12, 16, 20]),
            "phone": f"+{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
            "email": f"{code.lower()}@{EMAIL_DOMAIN}",
        }
        site = Site.objects.filter(code=code).first()
        f.count("sites", site is None)
        if site is None:
            site = Site.objects.create(code=code, **spec)
        f.sites[code] = site
        # A few closures: one past, one upcoming, on some sites.
        for k in range(rng.choice([0, 1, 2])):
            start = f.today + datetime.timedelta(days=rng.randint(-120, 60) + k * 70)
            end = start + datetime.timedelta(days=rng.choice([0, 0, 1, 4]))
            reason = rng.choice(catalog.CLOSURE_REASONS)
            _, made = SiteClosure.objects.get_or_create(
                site=site, starts_on=start, defaults={"ends_on": end, "reason": reason}
            )
            f.count("closures", made)


def _organizations(f: Foundation) -> None:
    for kind, name, short, country in catalog.ORGANIZATIONS:
        org, made = Organization.objects.get_or_create(
            kind=kind,
            name=name,
            defaults={
                "short_name": short,
                "country": country,
                "contact_name": "Study start-up team",
                "contact_email": f"startup@{short.lower().replace(' ', '')}.example",
                "website": f"https://{short.lower().replace(' ', '')}.example",
            },
        )
        f.count("organizations", made)
        f.orgs[name] = org


def _studies(rng: random.Random, f: Foundation) -> None:
    orgs = [f.orgs[o[1]] for o in catalog.ORGANIZATIONS]
    rows = list(catalog.STUDIES)
    record = ctgov.load()
    if record is not None:
        # One study from the real ClinicalTrials.gov record (title, phase, conditions, NCT id, eligibility);
        # sponsored in the demo by an invented company.
        rows.insert(
            0,
            (
                record.org_study_id if len(record.org_study_id) >= 3 else record.nct_id,
                record.short_name,
                record.title,
                record.phase,
                "oncology",
                record.conditions,
                3,
                7,
                min(record.enrollment or 400, 600),
            ),
        )
    for number, short, title, phase, area, conditions, sponsor_i, cro_i, target in rows:
        start = f.today - datetime.timedelta(days=rng.randint(200, 800))
        registry = (
            record.nct_id
            if record is not None and number == record.org_study_id
            else f"NCT0{rng.randint(1000000, 9999999)}"
        )
        study, made = Study.objects.get_or_create(
            protocol_number=number,
            defaults={
                "short_name": short,
                "title": title,
                "sponsor": orgs[sponsor_i],
                "cro": orgs[cro_i] if cro_i is not None else None,
                "phase": phase,
                "therapeutic_area": area,
                "conditions": conditions,
                "registry_id": registry,
                "status": Study.Status.PLANNED,
                "enrollment_target": target,
                "planned_start": start,
                "planned_end": start + datetime.timedelta(days=rng.randint(700, 1400)),
            },
        )
        f.count("studies", made)
        f.studies[number] = study


def _people(rng: random.Random, f: Foundation) -> None:
    site_codes = list(f.sites)
    jobs: list[tuple[str, str, str | None]] = []
    for code in site_codes:  # every site: a PI, a sub-I, two coordinators, a research nurse
        jobs += [("pi", "MD", code), ("sub_investigator", "MD", code), ("coordinator", "CCRC", code)]
        jobs += [("coordinator", "CRC", code), ("nurse", "RN", code)]
    extra = [("recruiter", ""), ("regulatory", ""), ("pharmacist", "PharmD"), ("coordinator", "CCRC")] * 4
    jobs += [(job, cred, site_codes[i % len(site_codes)]) for i, (job, cred) in enumerate(extra)]
    jobs += [("site_manager", "MBA", "BOS-01"), ("site_manager", "MBA", "BER-01"), ("finance", "", None)]
    jobs += [("qa", "", None)]
    used: set[str] = set()
    for n, (job, cred, code) in enumerate(jobs[:76]):
        first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        while f"{first} {last}" in used:
            first, last = rng.choice(catalog.FIRST_NAMES), rng.choice(catalog.LAST_NAMES)
        used.add(f"{first} {last}")
        email = f"staff{n + 1:03d}@{EMAIL_DOMAIN}"
        person, made = Person.objects.get_or_create(
            email=email,
            defaults={
                "first_name": first,
                "last_name": last,
                "job_role": job,
                "credentials": cred,
                "home_site": f.sites[code] if code else None,
                "phone": f"+1 555 {rng.randint(1000, 9999)}",
            },
        )
        f.count("people", made)
        f.people.append(person)


def _logins(f: Foundation) -> None:
    for username, display, role, scope, job in LOGINS:
        first, last = display.split(" ", 1)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                first_name=first,
                last_name=last,
                display_name=display,
                email=f"{username}@{EMAIL_DOMAIN}",
                is_staff=role == Role.NETWORK_ADMIN,
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            f.count("users", True)
        f.users[username] = user
        site = study_site = None
        if isinstance(scope, str) and scope != "network":
            site = f.sites[scope]
        elif isinstance(scope, tuple):
            study_site = _ensure_study_site(f, f.studies[scope[0]], f.sites[scope[1]])
        _, made = RoleAssignment.objects.get_or_create(user=user, role=role, site=site, study_site=study_site)
        f.count("role assignments", made)
        if job:
            home = site or (study_site.site if study_site else None)
            person, made = Person.objects.get_or_create(
                user=user,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": user.email,
                    "job_role": job,
                    "home_site": home,
                },
            )
            f.count("people", made)
            if person not in f.people:
                f.people.append(person)


def _ensure_study_site(f: Foundation, study: Study, site: Site) -> StudySite:
    ss = StudySite.objects.filter(study=study, site=site).first()
    if ss is None:
        ss = StudySite.objects.create(study=study, site=site)
        f.count("studies at sites", True)
    return ss


def _study_sites(rng: random.Random, f: Foundation) -> None:
    """35 studies at sites spread over the life cycle, moved there through the real transition service."""
    actor = f.users["ops"]
    irbs = {o.country: o for o in f.orgs.values() if o.kind == Organization.Kind.IRB}
    pairs: list[tuple[Study, Site]] = [(f.studies["NRV-CV-301"], f.sites["BOS-01"])]  # the monitor's study site
    studies = list(f.studies.values())
    sites = list(f.sites.values())
    while len(pairs) < 35:
        pair = (rng.choice(studies), rng.choice(sites))
        if pair not in pairs:
            pairs.append(pair)
    mix = list(LIFE_CYCLE_MIX)
    rng.shuffle(mix)
    mix.remove(S.ACTIVE)
    mix.insert(0, S.ACTIVE)  # the monitor's and coordinator's study at BOS-01 is enrolling
    for n, ((study, site), target_status) in enumerate(zip(pairs, mix, strict=True)):
        pis = [p for p in f.people if p.home_site_id == site.pk and p.job_role == "pi"]
        target = rng.choice([8, 10, 12, 15, 20, 25, 30])  # drawn on every run, so re-runs stay in step
        ss = StudySite.objects.filter(study=study, site=site).first()
        if ss is None:
            ss = StudySite.objects.create(
                study=study,
                site=site,
                site_number=f"{100 + n}",
                principal_investigator=pis[0] if pis else None,
                irb=irbs.get(site.country) or irbs.get("US"),
                enrollment_target=target,
            )
            f.count("studies at sites", True)
        elif ss.principal_investigator_id is None and pis:
            ss.principal_investigator = pis[0]
            ss.irb = ss.irb or irbs.get(site.country) or irbs.get("US")
            ss.site_number = ss.site_number or f"{100 + n}"
            ss.enrollment_target = ss.enrollment_target or 20
            ss.save()
        # Dates walk forward from the past to (at most) today; drawn whether or not they are still needed.
        steps = PATH[target_status]
        dwell = [rng.randint(*DWELL.get(s, (10, 30))) for s in steps]
        day = f.today - datetime.timedelta(days=sum(dwell) + rng.randint(5, 40))
        fpi_after = rng.randint(7, 30)
        if ss.status == S.FEASIBILITY:
            for step, days in zip(steps, dwell, strict=True):
                reason = "Site withdrew: competing study for the same patients" if step == S.WITHDRAWN else ""
                ss = transition_study_site(ss, to=step, actor=actor, on=min(day, f.today), reason=reason)
                day += datetime.timedelta(days=days)
        if ss.status in (S.ACTIVE, S.ENROLLMENT_CLOSED, S.CLOSED) and ss.first_participant_in_on is None:
            ss.first_participant_in_on = min(ss.activated_on + datetime.timedelta(days=fpi_after), f.today)
            ss.save()
        f.study_sites.append(ss)
    _study_statuses(f)


def _study_statuses(f: Foundation) -> None:
    """A study's status follows its sites: enrolling while any site enrolls."""
    for study in f.studies.values():
        statuses = {ss.status for ss in f.study_sites if ss.study_id == study.pk}
        if S.ACTIVE in statuses:
            status = Study.Status.ENROLLING
        elif S.ENROLLMENT_CLOSED in statuses:
            status = Study.Status.ENROLLMENT_CLOSED
        elif S.START_UP in statuses or S.SELECTED in statuses:
            status = Study.Status.START_UP
        elif statuses and statuses <= {S.CLOSED, S.NOT_SELECTED, S.WITHDRAWN} and S.CLOSED in statuses:
            status = Study.Status.COMPLETED
        else:
            status = Study.Status.PLANNED
        if study.status != status:
            study.status = status
            study.save()


def _assignments(rng: random.Random, f: Foundation) -> None:
    """The team of each study at a site past feasibility: PI, coordinators, nurse, others of the site."""
    for ss in f.study_sites:
        if ss.status in (S.FEASIBILITY, S.NOT_SELECTED):
            continue
        start = ss.selected_on or f.today
        end = ss.closed_on
        local = [p for p in f.people if p.home_site_id == ss.site_id]
        team: list[tuple[Person, str]] = []
        if ss.principal_investigator_id:
            team.append((next(p for p in f.people if p.pk == ss.principal_investigator_id), "pi"))
        crcs = [p for p in local if p.job_role == "coordinator"]
        if ss.site.code == "BOS-01":  # the demo coordinator login works on every study at the site
            crcs.sort(key=lambda p: p.user_id is None)
        for i, crc in enumerate(crcs[:2]):
            team.append((crc, "primary_crc" if i == 0 else "backup_crc"))
        for p in local:
            joins = rng.random() < 0.7
            if joins and p.job_role in ("sub_investigator", "nurse", "recruiter", "regulatory", "pharmacist"):
                team.append((p, catalog.STUDY_ROLE_FOR_JOB[p.job_role]))
        for person, role in team:
            effort = rng.choice([10, 20, 25, 40, 50]) if role != "pi" else 10
            _, made = Assignment.objects.get_or_create(
                person=person,
                study_site=ss,
                study_role=role,
                defaults={"starts_on": start, "ends_on": end, "effort_percent": effort},
            )
            f.count("assignments", made)
