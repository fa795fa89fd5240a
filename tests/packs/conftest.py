"""Fixtures for the compliance pack tests: a small region with accepted returns, and private media in a
temporary directory so built packs never land in the working tree."""

import pytest

from tests.packs.pack_data import pack_world


@pytest.fixture
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private-media"
    return settings.MEDIA_ROOT


@pytest.fixture
def data(world):
    return pack_world(world)
