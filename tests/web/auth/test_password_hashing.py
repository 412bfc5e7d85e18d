"""Passwords are hashed at werkzeug's full scrypt cost in production; only the test suite's
config (PASSWORD_HASH_METHOD, set in tests/conftest.py) makes them cheaper."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from werkzeug.security import check_password_hash

from app import create_app
from app.auth.service import hash_password
from tests.conftest import TEST_PASSWORD_HASH_METHOD

PRODUCTION = "scrypt:32768:8:1$"  # werkzeug 3.1's scrypt default: N=2**15, r=8, p=1


def test_a_production_app_hashes_passwords_at_full_scrypt_cost(database_url: str, instance_dir: Path) -> None:
    production = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "x", "INSTANCE_DIR": str(instance_dir)})
    assert "PASSWORD_HASH_METHOD" not in production.config
    with production.app_context():
        hashed = hash_password("correct horse battery")
    assert hashed.startswith(PRODUCTION) and check_password_hash(hashed, "correct horse battery")


def test_outside_any_app_passwords_are_hashed_at_full_scrypt_cost() -> None:
    assert hash_password("correct horse battery").startswith(PRODUCTION)


def test_the_suite_hashes_with_its_cheap_scrypt(app: Any) -> None:
    hashed = hash_password("correct horse battery")
    assert hashed.startswith(TEST_PASSWORD_HASH_METHOD + "$") and check_password_hash(hashed, "correct horse battery")
    assert not check_password_hash(hashed, "wrong horse battery")


@pytest.mark.production_password_hashing
def test_a_test_marked_for_it_hashes_at_production_cost(app: Any) -> None:
    assert hash_password("correct horse battery").startswith(PRODUCTION)
