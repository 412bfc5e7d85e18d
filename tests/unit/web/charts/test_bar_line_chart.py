import xml.etree.ElementTree as ET

import pytest

from app.web.charts import bar_line_chart, nice_max

NS = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize(("value", "expected"), [(0, 4), (3, 4), (7, 8), (12, 20), (230, 400), (4100, 8000),
                                               (150, 200)])
def test_nice_max_rounds_up_to_a_readable_axis(value: float, expected: float) -> None:
    assert nice_max(value) == expected


def test_chart_is_valid_svg_with_one_bar_and_point_per_label_and_escaped_text() -> None:
    svg = bar_line_chart(["Jan", "Feb", "<Mar>"], [10, 20, 5], [100, 80, 90], bar_name="Demand",
                         line_name="Stock", title="Demand & stock")
    root = ET.fromstring(svg)
    assert len(root.findall(f"{NS}rect")) == 3 and len(root.findall(f"{NS}circle")) == 3
    assert "&lt;Mar&gt;" in svg and "<Mar>" not in svg
    heights = [float(r.get("height")) for r in root.findall(f"{NS}rect")]
    assert heights[1] > heights[0] > heights[2]


def test_chart_refuses_series_of_different_lengths() -> None:
    with pytest.raises(ValueError):
        bar_line_chart(["a"], [1, 2], [1], bar_name="b", line_name="l", title="t")
