"""Fixtures of the tracking tests."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.tracking.world import load_world


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    return load_world(engine)
