"""A constructed funnel with known answers, and helpers to build prospect files."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings

from trialsite.participants.models import Consent, ConsentFormVersion, ContactAttempt, Participant

UTC = datetime.UTC
TODAY = datetime.date(2026, 3, 20)
SYNTHEA = settings.SHARED_DATA_DIR / "synthea" / "patients.csv"


def at(y: int, m: int, d: int, h: int = 12) -> datetime.datetime:
    return datetime.datetime(y, m, d, h, tzinfo=UTC)


def make(study_site: Any, n: int = 0, **kw: Any) -> Participant:
    values = {
        "first_name": f"Pat{n}",
        "last_name": "Example",
        "referral_channel": "database",
        "referred_on": datetime.date(2026, 1, 5),
        **kw,
    }
    return Participant.objects.create(study_site=study_site, **values)


@dataclass
class Funnel:
    participants: dict[int, Participant]


def build_funnel(net: Any) -> Funnel:
    """14 participants at X@A (the expected figures are in test_metrics.py), 3 at X@B, 1 at Y@A."""
    xa = net.xa
    icf = ConsentFormVersion.objects.create(
        study_site=xa, label="1.0", irb_approved_on=datetime.date(2025, 12, 1), effective_on=datetime.date(2025, 12, 1)
    )
    P = Participant.Stage
    spec: dict[int, dict[str, Any]] = {
        1: {"stage": P.PROSPECT, "referral_channel": "database", "referred_on": datetime.date(2026, 1, 5)},
        2: {"stage": P.PROSPECT, "referral_channel": "physician", "referred_on": datetime.date(2026, 1, 10)},
        3: {"stage": P.PRE_SCREEN_FAILED, "referral_channel": "advertising", "referred_on": datetime.date(2026, 1, 10)},
        4: {"stage": P.PRE_SCREENED, "referral_channel": "database", "referred_on": datetime.date(2026, 2, 1)},
        5: {"stage": P.SCREENING, "referral_channel": "database", "referred_on": datetime.date(2026, 2, 1)},
        6: {"stage": P.SCREEN_FAILED, "referral_channel": "physician", "screen_fail_reason": "HbA1c out of range"},
        7: {"stage": P.SCREEN_FAILED, "referral_channel": "database", "screen_fail_reason": "HbA1c out of range"},
        8: {"stage": P.SCREEN_FAILED, "referral_channel": "advertising", "screen_fail_reason": "BMI above limit"},
        9: {"stage": P.ENROLLED, "referral_channel": "database", "enrolled_on": datetime.date(2026, 2, 3)},
        10: {"stage": P.ENROLLED, "referral_channel": "physician", "enrolled_on": datetime.date(2026, 3, 1)},
        11: {"stage": P.COMPLETED, "referral_channel": "database", "enrolled_on": datetime.date(2026, 1, 12)},
        12: {"stage": P.WITHDRAWN, "referral_channel": "physician", "enrolled_on": datetime.date(2026, 3, 10)},
        13: {"stage": P.WITHDRAWN, "referral_channel": "advertising"},
        14: {"stage": P.LOST_TO_FOLLOW_UP, "referral_channel": "registry", "enrolled_on": datetime.date(2026, 3, 15)},
    }
    ps = {n: make(xa, n, **kw) for n, kw in spec.items()}
    # First contacts (site A is America/New_York): 2, 6 and 0 days (late evening local; 2 and 3 share
    # a referral date), 4 days.
    contacts = [
        (1, at(2026, 1, 7, 15)),
        (2, at(2026, 1, 16)),
        (3, at(2026, 1, 11, 3)),
        (3, at(2026, 1, 15)),
        (4, at(2026, 2, 5)),
    ]
    for n, when in contacts:
        ContactAttempt.objects.create(participant=ps[n], at=when, method="phone", outcome="reached")
    # Consents: 14, 28, 10 and 9 days before enrollment (the re-consent of 9 is later and ignored).
    consents = [
        (9, at(2026, 1, 20, 14)),
        (9, at(2026, 2, 20, 14)),
        (10, at(2026, 2, 1, 14)),
        (11, at(2026, 1, 2, 14)),
        (12, at(2026, 3, 1, 14)),
        (5, at(2026, 2, 10, 14)),
    ]
    for n, when in consents:
        Consent.objects.create(participant=ps[n], form_version=icf, consented_at=when, obtained_by=net.crc_a)
    # Site B and study Y: must never show in X@A figures.
    make(net.xb, 101, stage=P.ENROLLED, enrolled_on=datetime.date(2026, 2, 10), referral_channel="other")
    make(net.xb, 102)
    make(net.xb, 103, stage=P.SCREEN_FAILED, screen_fail_reason="Site B reason")
    make(net.ya, 201)
    return Funnel(ps)


@pytest.fixture
def funnel(net: Any) -> Funnel:
    return build_funnel(net)


def csv_bytes(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def synthea_rows(drop: tuple[str, ...] = ()) -> list[list[str]]:
    """patients.csv as Synthea wrote it (real column names), optionally without some columns."""
    with SYNTHEA.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    keep = [i for i, h in enumerate(rows[0]) if h not in drop]
    return [[r[i] for i in keep] for r in rows]
