"""Invented but plausible reference data for the demo network (no real companies or people)."""

from __future__ import annotations

# code, name, city, region, postal code, country, IANA zone, street
SITES: list[tuple[str, str, str, str, str, str, str, str]] = [
    ("BOS-01", "Harborview Clinical Research", "Boston", "MA", "02114", "US", "America/New_York", "41 Cambridge St"),
    ("ATL-01", "Peachtree Research Partners", "Atlanta", "GA", "30309", "US", "America/New_York", "1200 Spring St NW"),
    ("CHI-01", "Lakeshore Trials Center", "Chicago", "IL", "60611", "US", "America/Chicago", "330 E Ontario St"),
    ("DEN-01", "Front Range Clinical Studies", "Denver", "CO", "80218", "US", "America/Denver", "1850 Williams St"),
    ("SEA-01", "Puget Sound Research Clinic", "Seattle", "WA", "98104", "US", "America/Los_Angeles", "901 Boren Ave"),
    ("SDG-01", "Pacific Coast Trials", "San Diego", "CA", "92103", "US", "America/Los_Angeles", "3900 Fifth Ave"),
    ("BER-01", "Studienzentrum Spree", "Berlin", "BE", "10117", "DE", "Europe/Berlin", "Luisenstraße 12"),
    ("MUC-01", "Isar Klinische Forschung", "Munich", "BY", "80336", "DE", "Europe/Berlin", "Lindwurmstraße 30"),
    ("MAD-01", "Centro de Ensayos Retiro", "Madrid", "MD", "28009", "ES", "Europe/Madrid", "Calle de O'Donnell 48"),
    (
        "BCN-01",
        "Unitat d'Assajos Eixample",
        "Barcelona",
        "CT",
        "08036",
        "ES",
        "Europe/Madrid",
        "Carrer de Rosselló 161",
    ),
    ("MAN-01", "Northern Research Clinic", "Manchester", "", "M13 9WL", "GB", "Europe/London", "29 Grafton St"),
    ("WAW-01", "Ośrodek Badań Wisła", "Warsaw", "MZ", "02-097", "PL", "Europe/Warsaw", "ul. Banacha 7"),
]

CURRENCY_BY_COUNTRY = {"US": "USD", "DE": "EUR", "ES": "EUR", "GB": "GBP", "PL": "PLN"}

CLOSURE_REASONS = [
    "Public holiday",
    "Clinic renovation",
    "Staff training day",
    "Annual inventory and freezer maintenance",
    "Fire-safety inspection",
]

# kind, name, short name, country
ORGANIZATIONS: list[tuple[str, str, str, str]] = [
    ("sponsor", "Norvane Therapeutics Inc.", "Norvane", "US"),
    ("sponsor", "Halcyon Biopharma AG", "Halcyon", "DE"),
    ("sponsor", "Cedarbrook Pharmaceuticals", "Cedarbrook", "US"),
    ("sponsor", "Meridia Oncology Ltd", "Meridia", "GB"),
    ("sponsor", "Vantoris Biosciences S.L.", "Vantoris", "ES"),
    ("sponsor", "Quellis Medical Devices", "Quellis", "US"),
    ("cro", "Axiom Trial Services", "Axiom", "US"),
    ("cro", "Parallax Clinical GmbH", "Parallax", "DE"),
    ("cro", "BlueRidge Research Group", "BlueRidge", "US"),
    ("cro", "Iberia Clinical Operations", "IberiaCO", "ES"),
    ("irb", "Commonwealth Independent Review Board", "CIRB", "US"),
    ("irb", "Western Shore IRB", "WSIRB", "US"),
    ("irb", "Ethikkommission Spree-Havel", "EK Spree", "DE"),
    ("irb", "Comité de Ética de la Investigación Retiro", "CEIm Retiro", "ES"),
    ("irb", "Northern Research Ethics Committee", "NREC", "GB"),
]

# protocol number, short name, title, phase, therapeutic area, conditions, sponsor idx, cro idx or None, target
STUDIES: list[tuple[str, str, str, str, str, list[str], int, int | None, int]] = [
    (
        "NRV-CV-301",
        "HEARTWISE",
        "A Phase III, randomized, double-blind study of NRV-114 versus placebo in adults with heart failure "
        "with preserved ejection fraction",
        "3",
        "cardiology",
        ["Heart failure with preserved ejection fraction"],
        0,
        6,
        420,
    ),
    (
        "HLC-DM-205",
        "GLYCO-STEP",
        "A Phase II dose-ranging study of once-weekly HLC-88 in type 2 diabetes inadequately controlled on metformin",
        "2",
        "endocrinology",
        ["Type 2 diabetes mellitus"],
        1,
        7,
        240,
    ),
    (
        "CBK-NEU-210",
        "MIGRA-LESS",
        "A Phase II/III study of CBK-402 for the preventive treatment of episodic migraine",
        "2/3",
        "neurology",
        ["Episodic migraine"],
        2,
        8,
        300,
    ),
    (
        "VNT-RESP-120",
        "BREATHE-EASY",
        "A Phase I/II study of inhaled VNT-9 in moderate to severe asthma",
        "1/2",
        "respiratory",
        ["Asthma"],
        4,
        9,
        90,
    ),
    (
        "NRV-RH-310",
        "JOINT-ACT",
        "A Phase III study of NRV-221 in adults with active rheumatoid arthritis and inadequate response to TNF "
        "inhibitors",
        "3",
        "rheumatology",
        ["Rheumatoid arthritis"],
        0,
        6,
        360,
    ),
    (
        "CBK-PSY-201",
        "CALM-DAYS",
        "A Phase II study of CBK-517 as adjunctive treatment of major depressive disorder",
        "2",
        "psychiatry",
        ["Major depressive disorder"],
        2,
        None,
        150,
    ),
    (
        "QLS-DEV-01",
        "STEADY-FLOW",
        "A post-market observational registry of the Quellis implantable loop monitor",
        "na",
        "cardiology",
        ["Atrial fibrillation", "Syncope"],
        5,
        None,
        500,
    ),
    (
        "HLC-VAC-401",
        "SHIELD-60",
        "A Phase IV study of an adjuvanted influenza vaccine in adults aged 60 years and older",
        "4",
        "infectious",
        ["Influenza"],
        1,
        7,
        600,
    ),
    (
        "VNT-DERM-101",
        "CLEAR-SKIN",
        "An early phase I study of topical VNT-30 in mild to moderate plaque psoriasis",
        "early_1",
        "dermatology",
        ["Plaque psoriasis"],
        4,
        None,
        40,
    ),
]

FIRST_NAMES = [
    "Ana", "Ben", "Carla", "Daniel", "Elena", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Lukas",
    "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Samuel", "Tara", "Uma", "Viktor", "Wiebke", "Xavier",
    "Yara", "Zofia", "Amir", "Bianca", "Chidi", "Dorota", "Emil", "Fatima", "Gabriel", "Hanna", "Ivan",
    "Julia", "Kamil", "Lena", "Marco", "Nadia", "Oscar", "Priya", "Rafael", "Sofia", "Tomasz", "Valeria",
]  # fmt: skip
LAST_NAMES = [
    "Adler", "Barros", "Castillo", "Dąbrowski", "Eriksen", "Fischer", "García", "Hoffmann", "Ibáñez",
    "Jansen", "Kowalska", "López", "Müller", "Nowak", "Okafor", "Patel", "Quintero", "Richter", "Schmidt",
    "Torres", "Underwood", "Vogel", "Walsh", "Xu", "Young", "Zieliński", "Brennan", "Carter", "Doyle",
    "Evans", "Foster", "Gómez", "Hughes", "Iglesias", "Keller", "Lindqvist", "Moreno", "Nguyen", "Ortega",
]  # fmt: skip

# job role, credentials, share of the staff
JOB_MIX: list[tuple[str, str, int]] = [
    ("pi", "MD", 12),
    ("sub_investigator", "MD", 10),
    ("coordinator", "CCRC", 26),
    ("nurse", "RN", 10),
    ("recruiter", "", 7),
    ("regulatory", "", 6),
    ("pharmacist", "PharmD", 4),
    ("site_manager", "MBA", 3),
    ("finance", "", 1),
    ("qa", "", 1),
]

STUDY_ROLE_FOR_JOB = {
    "pi": "sub_investigator",
    "sub_investigator": "sub_investigator",
    "coordinator": "primary_crc",
    "nurse": "nurse",
    "recruiter": "recruiter",
    "regulatory": "regulatory",
    "pharmacist": "pharmacist",
}

REFERRAL_SOURCES = {
    "database": ["EHR query: active problem list", "Clinic patient database"],
    "physician": ["Dr. referral — community practice", "Internal referral — outpatient clinic"],
    "advertising": ["Local radio spot", "Social media campaign", "Waiting-room poster"],
    "registry": ["Patient registry export", "Disease foundation registry"],
    "other": ["Walk-in", "Word of mouth"],
}

PRE_SCREEN_FAIL_REASONS = [
    "Outside the age range",
    "Exclusionary concomitant medication",
    "Not interested after study explanation",
    "Lives too far from the site for the visit schedule",
]
SCREEN_FAIL_REASONS = [
    "Laboratory value outside the protocol range",
    "Did not meet inclusion criterion on disease severity",
    "Exclusionary finding on ECG",
    "Withdrew consent during screening",
]
WITHDRAWAL_REASONS = ["Adverse event", "Withdrew consent", "Relocated", "Investigator decision"]
MISSED_REASONS = ["Participant ill", "Transport problem", "Forgot appointment", "Family emergency"]
