"""The footer's last cell belongs to "^p palette": nothing of the scrolling keys behind it shows
through after it ("palettea", "palette0", "paletteo" at 100-120 columns)."""

from __future__ import annotations

import pytest
from pilot_helpers import settle


def footer_line(app) -> str:
    footer = app.screen.query_one("Footer")
    return app.screen._compositor.render_strips()[footer.region.y].text


@pytest.mark.parametrize("size", [(120, 35), (110, 30), (100, 30), (80, 24)])
async def test_footer_ends_with_palette(make_app, size):
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        line = footer_line(app)
        assert len(line) == size[0]
        assert line.endswith("^p palette"), repr(line)
