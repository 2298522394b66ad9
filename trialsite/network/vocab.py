"""Controlled vocabularies for the network: site capabilities, therapeutic areas, countries."""

from django.db import models


class Capability(models.TextChoices):
    FREEZER_80 = "freezer_-80", "-80 °C freezer"
    FREEZER_20 = "freezer_-20", "-20 °C freezer"
    CENTRIFUGE = "centrifuge", "Refrigerated centrifuge"
    INFUSION_CHAIRS = "infusion_chairs", "Infusion chairs"
    PHARMACY = "pharmacy", "Investigational pharmacy"
    ECG = "ecg", "12-lead ECG"
    IMAGING_MRI = "mri", "MRI"
    IMAGING_CT = "ct", "CT"
    SPIROMETRY = "spirometry", "Spirometry"
    OVERNIGHT_BEDS = "overnight_beds", "Overnight beds (phase I)"
    LAB_ONSITE = "lab", "On-site laboratory"
    DEXA = "dexa", "DEXA scanner"
    PEDIATRIC = "pediatric", "Pediatric facilities"
    EMERGENCY = "emergency", "Emergency cart and resuscitation"


class TherapeuticArea(models.TextChoices):
    ONCOLOGY = "oncology", "Oncology"
    CARDIOLOGY = "cardiology", "Cardiology"
    ENDOCRINOLOGY = "endocrinology", "Endocrinology and metabolism"
    NEUROLOGY = "neurology", "Neurology"
    PSYCHIATRY = "psychiatry", "Psychiatry"
    RESPIRATORY = "respiratory", "Respiratory"
    RHEUMATOLOGY = "rheumatology", "Rheumatology"
    INFECTIOUS = "infectious", "Infectious disease and vaccines"
    DERMATOLOGY = "dermatology", "Dermatology"
    GASTRO = "gastroenterology", "Gastroenterology"
    NEPHROLOGY = "nephrology", "Nephrology"
    OPHTHALMOLOGY = "ophthalmology", "Ophthalmology"
    WOMENS_HEALTH = "womens_health", "Women's health"
    PEDIATRICS = "pediatrics", "Pediatrics"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"
