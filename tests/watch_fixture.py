"""The background watch, kept out of the tests that do not ask for it.

Every test shares one Agent Server, which holds every test's threads: an app under test that
watched would import the threads other tests made on its assistant into its sidebar. Tests of
the watch in the app are marked `watch` (their module's `pytestmark`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_background_watch(request: pytest.FixtureRequest) -> Iterator[None]:
    if request.node.get_closest_marker("watch") is not None:
        yield
        return
    from fleet_tui.tui.inbox_watching import Watching

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Watching, "start", lambda self: None)
        yield
