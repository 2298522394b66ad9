"""TrialSite: operations software for a clinical trial site network."""

__version__ = "0.1.0"
