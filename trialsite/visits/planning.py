"""Pure planning rules: which days a site is open, and which day a visit is proposed on.

Kept free of the ORM (except `site_calendar`, which loads a site's closures in one query) so the
rules can be tested exhaustively, including with hypothesis over random windows and closures.

Rule for a visit whose target day is closed (or full): the nearest open day with room inside the
window; when two are equally near, the EARLIER one wins — it leaves the rest of the window free
for a reschedule if the participant cannot come. When no open day exists in the window, the
target is planned and the note says so; when every open day is full, the nearest open day is
planned (over capacity) and the note says so.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import holidays as holidays_lib

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class OpenDays:
    """A site's opening rule: clinic weekdays minus closures minus public holidays.

    An empty `clinic_days` means the site has not restricted its weekdays: every weekday is open.
    """

    clinic_days: frozenset[int] = frozenset()
    closures: tuple[tuple[datetime.date, datetime.date], ...] = ()
    holidays: Mapping[datetime.date, str] = field(default_factory=dict)

    def is_open(self, day: datetime.date) -> bool:
        return not self.closed_because(day)

    def closed_because(self, day: datetime.date) -> str:
        """Why the site is closed on `day` ("" when it is open)."""
        if self.clinic_days and day.weekday() not in self.clinic_days:
            return "not a clinic day"
        for start, end in self.closures:
            if start <= day <= end:
                return "site closure"
        name = self.holidays.get(day)
        if name:
            return f"public holiday ({name})"
        return ""


def public_holidays(country: str, subdivision: str, years: Iterable[int]) -> Mapping[datetime.date, str]:
    """Public holidays of the site's country (and subdivision when the library knows it)."""
    return _public_holidays((country or "").upper(), subdivision or "", tuple(sorted(set(years))))


@functools.lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str, years: tuple[int, ...]) -> Mapping[datetime.date, str]:
    """Cached per (country, subdivision, years): planning thousands of participants builds it once."""
    if not country:
        return MappingProxyType({})
    for subdiv in [subdivision, None] if subdivision else [None]:
        try:
            found = holidays_lib.country_holidays(country, subdiv=subdiv, years=list(years))
        except NotImplementedError:  # unknown country, or subdivision: try the national calendar
            continue
        return MappingProxyType(dict(found.items()))
    return MappingProxyType({})


@functools.lru_cache(maxsize=256)
def subdivision_for(country: str, region: str) -> str:
    """The holidays-library subdivision code for a site's region, when it is one ("" otherwise)."""
    if not country or not region:
        return ""
    try:
        known = holidays_lib.country_holidays(country.upper()).subdivisions
    except NotImplementedError:
        return ""
    code = region.strip().upper()
    return code if code in known else ""


def site_calendar(site: object, start: datetime.date, end: datetime.date) -> OpenDays:
    """The opening rule of `site` between two dates: one query for its closures."""
    from trialsite.network.models import SiteClosure

    closures = tuple(
        SiteClosure.objects.filter(site_id=site.pk, starts_on__lte=end, ends_on__gte=start)
        .order_by("starts_on")
        .values_list("starts_on", "ends_on")
    )
    years = range(start.year, end.year + 1)
    return OpenDays(
        clinic_days=frozenset(int(d) for d in (site.clinic_days or [])),
        closures=closures,
        holidays=public_holidays(site.country, subdivision_for(site.country, site.region), years),
    )


@dataclass(frozen=True)
class Proposal:
    day: datetime.date
    note: str = ""


def candidates(target: datetime.date, start: datetime.date, end: datetime.date) -> Iterable[datetime.date]:
    """Days of the window by distance from the target; at equal distance the earlier day first."""
    if start <= target <= end:
        yield target
    span = max((target - start).days, (end - target).days)
    for d in range(1, span + 1):
        for day in (target - d * ONE_DAY, target + d * ONE_DAY):
            if start <= day <= end:
                yield day


def propose_date(
    target: datetime.date,
    window_start: datetime.date,
    window_end: datetime.date,
    is_open: Callable[[datetime.date], bool],
    load: Mapping[datetime.date, int] | None = None,
    capacity: int | None = None,
) -> Proposal:
    """The day to plan a visit on: nearest open day with room in the window (see module docstring)."""
    if window_start > window_end:
        window_start, window_end = window_end, window_start
    load = load or {}
    first_open = None
    for day in candidates(target, window_start, window_end):
        if not is_open(day):
            continue
        if first_open is None:
            first_open = day
        if capacity is None or load.get(day, 0) < capacity:
            note = "" if day == target else f"Moved from {target.isoformat()}: target day closed or full."
            return Proposal(day, note)
    if first_open is not None:
        return Proposal(
            first_open,
            f"Over capacity: every open day in the window already has {capacity} visit(s); "
            f"planned on the nearest open day.",
        )
    return Proposal(
        target,
        f"No open clinic day in the window {window_start.isoformat()}–{window_end.isoformat()}; planned on the target.",
    )


def plan_many(
    requests: Iterable[tuple[datetime.date, datetime.date, datetime.date]],
    is_open: Callable[[datetime.date], bool],
    load: dict[datetime.date, int],
    capacity: int | None,
) -> list[Proposal]:
    """Plan several visits in order, counting each planned one against the day's capacity.

    `load` (visits already planned per day, from one query) is updated in place.
    """
    out = []
    for target, start, end in requests:
        proposal = propose_date(target, start, end, is_open, load, capacity)
        load[proposal.day] = load.get(proposal.day, 0) + 1
        out.append(proposal)
    return out
