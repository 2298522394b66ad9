import datetime

import pytest

from trialsite.participants.models import Participant


@pytest.fixture
def participant(net):  # noqa: ANN001, ANN201
    """A participant of study X at site A, created and then corrected (two audit entries)."""
    p = Participant.objects.create(
        study_site=net.xa,
        first_name="Jane",
        last_name="Roe",
        birth_date=datetime.date(1970, 3, 1),
        phone="555-0100",
        referred_on=datetime.date(2026, 3, 2),
    )
    p.phone = "555-0199"
    p.referral_source = "Dr. Who"
    p.save()
    return p
