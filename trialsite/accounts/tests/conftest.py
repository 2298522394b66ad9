import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):  # noqa: ANN001, ANN202
    """The `net` fixture hashes ten passwords; a fast hasher keeps these tests quick (production is unchanged)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
