"""Participants through every funnel stage, with consents, eligibility, contact attempts and visit histories.

Rows are written with the audited bulk_create (one audit entry per row, in bulk), in batches, so
the same code serves the demo (hundreds of participants) and the large network (200,000).
The data keeps the rules: consent on the ICF in force before any screening procedure, enrollment
after consent, visits on open clinic days inside their windows (planned with visits.planning),
except the deliberate deviations (out-of-window visits, flagged) and missed visits.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from trialsite.demo import catalog
from trialsite.demo.protocols import Schedule
from trialsite.participants.models import (
    Consent,
    ConsentFormVersion,
    ContactAttempt,
    EligibilityAssessment,
    Participant,
)
from trialsite.studies.models import StudySite
from trialsite.visits import planning
from trialsite.visits.models import Visit

P = Participant.Stage
V = Visit.Status
DAY = datetime.timedelta(days=1)
ENROLLED_GROUP = (P.ENROLLED, P.COMPLETED, P.WITHDRAWN, P.LOST_TO_FOLLOW_UP)
# Funnel mix per life-cycle status of the study at the site (weights).
MIX = {
    StudySite.Status.ACTIVE: {
        P.PROSPECT: 3,
        P.PRE_SCREENED: 2,
        P.PRE_SCREEN_FAILED: 2,
        P.SCREENING: 2,
        P.SCREEN_FAILED: 3,
        P.ENROLLED: 7,
        P.COMPLETED: 2,
        P.WITHDRAWN: 1,
        P.LOST_TO_FOLLOW_UP: 1,
    },
    StudySite.Status.ENROLLMENT_CLOSED: {
        P.PRE_SCREEN_FAILED: 2,
        P.SCREEN_FAILED: 3,
        P.ENROLLED: 8,
        P.COMPLETED: 4,
        P.WITHDRAWN: 1,
        P.LOST_TO_FOLLOW_UP: 1,
    },
    StudySite.Status.CLOSED: {
        P.PRE_SCREEN_FAILED: 2,
        P.SCREEN_FAILED: 3,
        P.COMPLETED: 10,
        P.WITHDRAWN: 2,
        P.LOST_TO_FOLLOW_UP: 1,
    },
}


@dataclass
class SiteContext:
    """Everything the generator needs about one study at a site, loaded once."""

    study_site: StudySite
    schedules: list[Schedule]
    icfs: list[ConsentFormVersion]
    open_days: planning.OpenDays
    coordinator_id: int | None
    investigator_id: int | None
    as_of: datetime.date  # today, or the close-out date of a closed study site
    tz: Any = None
    with_eligibility: bool = True
    seq: int = 0

    @property
    def start(self) -> datetime.date:
        ss = self.study_site
        return ss.first_participant_in_on or ss.activated_on

    def schedule_on(self, day: datetime.date) -> Schedule | None:
        found = [s for s in self.schedules if s.version.effective_on <= day]
        return found[-1] if found else (self.schedules[0] if self.schedules else None)

    def icf_on(self, day: datetime.date) -> ConsentFormVersion | None:
        found = [i for i in self.icfs if i.effective_on <= day and (i.retired_on is None or i.retired_on > day)]
        return found[-1] if found else None

    def open_on_or_before(self, day: datetime.date) -> datetime.date:
        for _ in range(30):
            if self.open_days.is_open(day):
                return day
            day -= DAY
        return day

    def open_on_or_after(self, day: datetime.date) -> datetime.date:
        for _ in range(30):
            if self.open_days.is_open(day):
                return day
            day += DAY
        return day

    def at(self, day: datetime.date, hour: int) -> datetime.datetime:
        """A site-local clock time on `day`, stored as UTC."""
        local = datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=self.tz)
        return local.astimezone(datetime.UTC)


@dataclass
class Planned:
    """One participant and the rows that hang off it, written after the participant has its key."""

    participant: Participant
    consents: list[Consent] = field(default_factory=list)
    contacts: list[ContactAttempt] = field(default_factory=list)
    eligibility: list[EligibilityAssessment] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)


def pick_stage(rng: random.Random, status: str) -> str:
    weights = MIX.get(status) or MIX[StudySite.Status.ACTIVE]
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def plan_participant(rng: random.Random, ctx: SiteContext, stage: str, near_today: bool = False) -> Planned | None:
    """Plan one participant at `stage` with consistent dates; None when the study site cannot have one."""
    ss = ctx.study_site
    start = ctx.start
    if start is None or not ctx.schedules or not ctx.icfs or ctx.coordinator_id is None:
        return None
    as_of = ctx.as_of
    sched_last = ctx.schedules[-1].last_offset
    # Downgrade stages the site's calendar cannot hold (e.g. completed when it activated recently).
    if stage == P.COMPLETED and (as_of - start).days < sched_last + 60:
        stage = P.SCREEN_FAILED if ss.status == StudySite.Status.CLOSED else P.ENROLLED
    if stage in (P.WITHDRAWN, P.LOST_TO_FOLLOW_UP) and (as_of - start).days < 90:
        stage = P.SCREEN_FAILED
    if stage == P.ENROLLED and (as_of - start).days < 45:
        stage = P.SCREENING
    ctx.seq += 1
    n = ctx.seq
    sex = rng.choice("FFMMO" if rng.random() < 0.05 else "FM")
    channel = rng.choice(list(catalog.REFERRAL_SOURCES))
    p = Participant(
        study_site=ss,
        stage=stage,
        first_name=rng.choice(catalog.FIRST_NAMES),
        last_name=rng.choice(catalog.LAST_NAMES),
        sex=sex,
        phone=f"+1 555 {rng.randint(1000000, 9999999)}",
        email=f"p{ss.site_number or ss.pk}-{n}@mail.example",
        medical_record_number=f"MRN{rng.randint(10000000, 99999999)}",
        referral_channel=channel,
        referral_source=rng.choice(catalog.REFERRAL_SOURCES[channel]),
        campaign="Spring outreach" if channel == "advertising" else "",
        referred_on=as_of,
    )
    plan = Planned(p)
    enrolled_on = consent_on = None
    if stage in ENROLLED_GROUP:
        if stage == P.COMPLETED:
            lo, hi = start + 30 * DAY, as_of - (sched_last + 10) * DAY
        elif stage == P.ENROLLED:
            lo, hi = max(start + 30 * DAY, as_of - (sched_last - 20) * DAY), as_of - DAY
        else:
            lo, hi = start + 30 * DAY, as_of - 60 * DAY
        if near_today and stage == P.ENROLLED:
            # Aim one visit of the schedule at today or this week so calendars show something.
            sched = ctx.schedule_on(as_of)
            offsets = [d.day_offset for d in sched.enrollment_defs if 0 < d.day_offset <= (as_of - lo).days]
            if offsets:
                hi = lo = as_of - rng.choice(offsets) * DAY + rng.choice([0, 0, 0, 1, 2, 3, 4, 5]) * DAY
        enrolled_on = ctx.open_on_or_before(_between(rng, lo, max(lo, hi)))
        consent_on = ctx.open_on_or_before(enrolled_on - rng.randint(5, 21) * DAY)
    elif stage in (P.SCREENING, P.SCREEN_FAILED):
        hi = as_of - (1 if stage == P.SCREENING else 20) * DAY
        lo = max(start, hi - 20 * DAY) if stage == P.SCREENING else start
        consent_on = ctx.open_on_or_before(_between(rng, lo, max(lo, hi)))
    if consent_on is not None and ctx.icf_on(consent_on) is None:
        consent_on = ctx.open_on_or_after(ctx.icfs[0].effective_on)
        if enrolled_on is not None and enrolled_on <= consent_on:
            enrolled_on = ctx.open_on_or_after(consent_on + 7 * DAY)
        if consent_on >= as_of or (enrolled_on and enrolled_on >= as_of):
            return None
    if consent_on is not None:
        p.pre_screened_on = consent_on - rng.randint(2, 10) * DAY
        p.referred_on = p.pre_screened_on - rng.randint(1, 14) * DAY
    elif stage in (P.PRE_SCREENED, P.PRE_SCREEN_FAILED):
        window = 40 if stage == P.PRE_SCREENED else max(40, (as_of - start).days)
        p.pre_screened_on = as_of - rng.randint(1, window) * DAY
        p.referred_on = p.pre_screened_on - rng.randint(1, 14) * DAY
        if stage == P.PRE_SCREEN_FAILED:
            p.pre_screen_outcome_reason = rng.choice(catalog.PRE_SCREEN_FAIL_REASONS)
    else:  # prospect
        p.referred_on = as_of - rng.randint(0, 30) * DAY
    p.birth_date = p.referred_on - datetime.timedelta(days=rng.randint(18 * 365 + 5, 80 * 365))
    _contacts(rng, ctx, plan, stage)
    if consent_on is None:
        return plan
    site_no = ss.site_number or str(ss.pk)
    p.screening_number = f"S{site_no}-{n:05d}"
    icf = ctx.icf_on(consent_on)
    plan.consents.append(
        Consent(form_version=icf, consented_at=ctx.at(consent_on, 9), obtained_by_id=ctx.coordinator_id)
    )
    sched = ctx.schedule_on(consent_on)
    end_on = None
    if stage == P.SCREEN_FAILED:
        p.screen_fail_reason = rng.choice(catalog.SCREEN_FAIL_REASONS)
        end_on = p.ended_on = ctx.open_on_or_after(consent_on + rng.randint(3, 14) * DAY)
    _visits(rng, ctx, plan, sched.consent_defs, sched, consent_on, end_on=end_on, stage=stage)
    if ctx.with_eligibility and stage != P.SCREENING:
        _eligibility(rng, ctx, plan, sched, consent_on, passed=stage != P.SCREEN_FAILED)
    if enrolled_on is None:
        return plan
    p.subject_id = f"{site_no}-{n:04d}"
    p.enrolled_on = p.day_1_on = enrolled_on
    p.arm = rng.choice(["Arm A", "Arm B"])
    esched = ctx.schedule_on(enrolled_on)
    if stage == P.COMPLETED:
        end_on = None  # the last visit's day, set below
    elif stage in (P.WITHDRAWN, P.LOST_TO_FOLLOW_UP):
        end_on = _between(rng, enrolled_on + 30 * DAY, min(as_of, enrolled_on + esched.last_offset * DAY))
        p.ended_on = end_on
        p.end_reason = (
            rng.choice(catalog.WITHDRAWAL_REASONS) if stage == P.WITHDRAWN else "Unreachable after 3 attempts"
        )
    until = end_on or (min(as_of, enrolled_on + esched.last_offset * DAY) if stage == P.COMPLETED else as_of)
    _reconsent(rng, ctx, plan, icf, consent_on, enrolled_on, until)
    _visits(rng, ctx, plan, esched.enrollment_defs, esched, enrolled_on, end_on=end_on, stage=stage)
    if stage == P.COMPLETED:
        done = [v.actual_on for v in plan.visits if v.actual_on]
        p.ended_on = max(done) if done else enrolled_on
        p.end_reason = "Completed the study"
    return plan


def _between(rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date:
    if hi <= lo:
        return lo
    return lo + rng.randint(0, (hi - lo).days) * DAY


def _contacts(rng: random.Random, ctx: SiteContext, plan: Planned, stage: str) -> None:
    p = plan.participant
    attempts = rng.randint(0, 3) if stage == P.PROSPECT else 1
    M, OUT = ContactAttempt.Method, ContactAttempt.Outcome
    for k in range(attempts):
        day = min(p.referred_on + (k * 3 + 1) * DAY, ctx.as_of)
        last = k == attempts - 1
        outcome = (
            OUT.REACHED
            if (last and stage != P.PROSPECT)
            else rng.choice([OUT.NO_ANSWER, OUT.LEFT_MESSAGE, OUT.REACHED])
        )
        plan.contacts.append(
            ContactAttempt(
                at=ctx.at(day, 10 + k), method=rng.choice([M.PHONE, M.PHONE, M.SMS, M.EMAIL]), outcome=outcome
            )
        )


def _reconsent(
    rng: random.Random,
    ctx: SiteContext,
    plan: Planned,
    icf: ConsentFormVersion,
    consent_on: datetime.date,
    enrolled_on: datetime.date,
    until: datetime.date,
) -> None:
    """A participant still on study when a new ICF takes effect signs it (re-consent), by enrollment at the latest."""
    for newer in ctx.icfs:
        if newer.effective_on > consent_on and newer.pk != icf.pk and newer.effective_on <= until:
            day = ctx.open_on_or_after(newer.effective_on + rng.randint(0, 10) * DAY)
            if newer.effective_on <= enrolled_on < day:
                day = enrolled_on
            if day <= until:
                plan.consents.append(
                    Consent(
                        form_version=newer,
                        consented_at=ctx.at(day, 11),
                        obtained_by_id=ctx.coordinator_id,
                        is_reconsent=True,
                    )
                )


def _eligibility(
    rng: random.Random, ctx: SiteContext, plan: Planned, sched: Schedule, day: datetime.date, passed: bool
) -> None:
    criteria = sched.criteria
    failing = None if passed or not criteria else rng.choice(criteria)
    for c in criteria:
        ok = c is not failing
        met = ok if c.kind == "inclusion" else not ok
        plan.eligibility.append(
            EligibilityAssessment(
                criterion=c,
                answer="met" if met else "not_met",
                assessed_by_id=ctx.investigator_id or ctx.coordinator_id,
                assessed_at=ctx.at(day, 14),
                note="" if ok else "See source document",
            )
        )


def _visits(
    rng: random.Random,
    ctx: SiteContext,
    plan: Planned,
    definitions: list,
    sched: Schedule,
    anchor: datetime.date,
    *,
    end_on: datetime.date | None,
    stage: str,
) -> None:
    """Visits of the schedule from `anchor`: done in the past (a few missed or out of window), planned ahead."""
    as_of = ctx.as_of
    for d in definitions:
        target = anchor + d.day_offset * DAY
        w_start, w_end = target - d.window_before * DAY, target + d.window_after * DAY
        proposal = planning.propose_date(target, w_start, w_end, ctx.open_days.is_open)
        v = Visit(
            study_site=ctx.study_site,
            definition=d,
            code=d.code,
            name=d.name,
            visit_type=d.visit_type,
            sequence=d.order,
            target_on=target,
            window_start=w_start,
            window_end=w_end,
            planned_on=proposal.day,
            planning_note=proposal.note[:300],
            coordinator_id=ctx.coordinator_id,
        )
        day = proposal.day
        ended = end_on is not None and day > end_on
        if ended or (stage == P.SCREEN_FAILED and d.anchor != "consent"):
            v.status = V.CANCELLED
            v.planning_note = "Participant left the study" if stage != P.SCREEN_FAILED else "Screen failure"
        elif day >= as_of:
            v.status = V.PLANNED
        else:
            roll = rng.random()
            late_limit = end_on or as_of
            lost_tail = stage == P.LOST_TO_FOLLOW_UP and end_on is not None and (end_on - day).days < 60
            if lost_tail or (roll < 0.05 and d.visit_type != "screening" and d.day_offset > 0):
                v.status = V.MISSED
                v.missed_reason = "No contact with the participant" if lost_tail else rng.choice(catalog.MISSED_REASONS)
            else:
                v.status = V.COMPLETED
                v.actual_on = day
                if roll > 0.97 and d.window_after > 0:
                    late = ctx.open_on_or_after(w_end + rng.randint(1, 4) * DAY)
                    if late < late_limit:  # a deliberate deviation: done after the window closed
                        v.actual_on = late
                        v.out_of_window = v.deviation_candidate = True
                v.procedures_done = {
                    code: not (roll < 0.08 and code == "PRO") for code in sched.procedures.get(d.pk, [])
                }
        plan.visits.append(v)


def write(plans: Iterable[Planned], batch: int = 2000) -> dict[str, int]:
    """Write planned participants and their rows with the audited bulk_create; returns row counts."""
    plans = [p for p in plans if p is not None]
    counts = {"participants": 0, "consents": 0, "contact attempts": 0, "eligibility assessments": 0, "visits": 0}
    for i in range(0, len(plans), batch):
        chunk = plans[i : i + batch]
        Participant.objects.bulk_create([p.participant for p in chunk], batch_size=batch)
        consents, contacts, elig, visits = [], [], [], []
        for plan in chunk:
            part = plan.participant
            for row in plan.consents:
                row.participant = part
            for row in plan.contacts:
                row.participant = part
            for row in plan.eligibility:
                row.participant = part
            for row in plan.visits:
                row.participant = part
            consents += plan.consents
            contacts += plan.contacts
            elig += plan.eligibility
            visits += plan.visits
        Consent.objects.bulk_create(consents, batch_size=5000)
        ContactAttempt.objects.bulk_create(contacts, batch_size=5000)
        EligibilityAssessment.objects.bulk_create(elig, batch_size=5000)
        Visit.objects.bulk_create(visits, batch_size=5000)
        counts["participants"] += len(chunk)
        counts["consents"] += len(consents)
        counts["contact attempts"] += len(contacts)
        counts["eligibility assessments"] += len(elig)
        counts["visits"] += len(visits)
    return counts


def populate(
    rng: random.Random,
    contexts: Iterable[SiteContext],
    per_site: Callable[[SiteContext], int],
    *,
    near_today: int = 3,
) -> list[Planned]:
    """Plan participants for each study at a site; the first `near_today` enrolled ones have a visit this week."""
    plans: list[Planned] = []
    for ctx in contexts:
        status = ctx.study_site.status
        aimed = 0
        for _ in range(per_site(ctx)):
            stage = pick_stage(rng, status)
            aim = stage == P.ENROLLED and status == StudySite.Status.ACTIVE and aimed < near_today
            plan = plan_participant(rng, ctx, stage, near_today=aim)
            aimed += int(aim)
            if plan is not None:
                plans.append(plan)
    return plans
