"""Query counts of every funnel list page and endpoint: constant in the number of rows, pinned."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest
from django.urls import reverse

from trialsite.accounts.scoping import forget_grants
from trialsite.core.testing import assert_constant_queries
from trialsite.participants.models import ConsentFormVersion, ContactAttempt, Participant
from trialsite.participants.tests import factories as f

D = datetime.date


def grower(net, stage: str, qs: Callable[[], int], each: Callable[[Participant], None] | None = None):  # noqa: ANN001, ANN201
    def grow(n: int) -> None:
        while qs() < n:
            p = f.participant(net.xa, stage)
            if each:
                each(p)

    return grow


def participants(stage: str) -> Callable[[], int]:
    return lambda: Participant.objects.filter(stage=stage).count()


def reconsent_setup(net) -> None:  # noqa: ANN001
    f.icf(net.xa)
    ConsentFormVersion.objects.create(
        study_site=net.xa, label="2.0", irb_approved_on=D(2026, 3, 20), effective_on=D(2026, 4, 1)
    )


def add_contact(p: Participant) -> None:
    ContactAttempt.objects.create(participant=p, at=f.at(D(2026, 3, 3)), method="phone", outcome="reached")


def grow_icfs(net):  # noqa: ANN001, ANN201
    def grow(n: int) -> None:
        while ConsentFormVersion.objects.count() < n:
            i = ConsentFormVersion.objects.count()
            ConsentFormVersion.objects.create(
                study_site=net.xa,
                label=f"{i}.0",
                irb_approved_on=D(2020, 1, 1) + datetime.timedelta(days=i),
                effective_on=D(2020, 1, 1) + datetime.timedelta(days=i),
            )

    return grow


# (name, kind, url, grow-factory, expected queries)
PAGES = [
    ("participant list", "ui", lambda: reverse("participants:participant_list"), "enrolled", 6),
    ("participant list csv", "ui", lambda: reverse("participants:participant_list") + "?format=csv", "enrolled", 7),
    (
        "participant list name search",
        "ui",
        lambda: reverse("participants:participant_list") + "?q=Lovelace",
        "enrolled",
        6,
    ),
    ("awaiting contact", "ui", lambda: reverse("participants:awaiting_contact"), "prospect", 6),
    ("reconsent due", "ui", lambda: reverse("participants:reconsent_due"), "reconsent", 6),
    ("icf list", "ui", lambda: reverse("participants:icf_list"), "icf", 6),
    ("api participants", "api", lambda: "/api/v1/participants/", "enrolled", 3),
    ("api awaiting contact", "api", lambda: "/api/v1/participants/awaiting-contact/", "prospect", 3),
    ("api reconsent due", "api", lambda: "/api/v1/participants/reconsent-due/", "reconsent", 3),
    ("api contact attempts", "api", lambda: "/api/v1/contact-attempts/", "contact", 3),
    ("api consents", "api", lambda: "/api/v1/consents/", "enrolled", 3),
    ("api icf versions", "api", lambda: "/api/v1/icf-versions/", "icf", 3),
    ("api eligibility answers", "api", lambda: "/api/v1/eligibility-answers/", "eligible", 3),
]


@pytest.mark.parametrize(("name", "kind", "url", "rows", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_list_query_count_is_constant(net, web, api, name, kind, url, rows, expected, capsys) -> None:  # noqa: ANN001
    user = net.user("staff_a")
    client = web(user) if kind == "ui" else api(user)
    if rows == "reconsent":
        reconsent_setup(net)
        grow = grower(net, "screening", participants("screening"))
    elif rows == "contact":
        grow = grower(net, "prospect", lambda: ContactAttempt.objects.count(), add_contact)
    elif rows == "icf":
        grow = grow_icfs(net)
    elif rows == "eligible":
        grow = grower(net, "eligible", participants("screening"))
    else:
        grow = grower(net, rows, participants(rows))

    def fetch():  # noqa: ANN202
        forget_grants(user)  # each request resolves the user's grants, as a real request does
        return client.get(url())

    fetch()  # warm-up: the session's first request does its own bookkeeping
    count = assert_constant_queries(fetch, grow, expected=expected)
    with capsys.disabled():
        print(f"\nqueries {name}: {count} at 5 and 50 rows")
