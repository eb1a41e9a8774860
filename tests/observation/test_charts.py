"""Chart SVGs are kept in the cache under the digest of their data: drawn once per set of numbers."""

from django.core.cache import cache

from observation import charts

MONTHS = [{"label": "01/2026", "share": 0.5}, {"label": "02/2026", "share": 0.75}]


def test_the_same_numbers_are_drawn_once_and_other_numbers_drawn_again(monkeypatch):
    cache.clear()
    drawn = []
    real = charts._svg
    monkeypatch.setattr(charts, "_svg", lambda figure: drawn.append(1) or real(figure))
    first = charts.render(charts.draw_on_time_by_month, MONTHS, {"unit": "%"})
    again = charts.render(charts.draw_on_time_by_month, [dict(m) for m in MONTHS], {"unit": "%"})
    assert (again, len(drawn)) == (first, 1)
    other = charts.render(charts.draw_on_time_by_month, [*MONTHS[:1], {"label": "02/2026", "share": 0.8}],
                          {"unit": "%"})  # fmt: skip
    assert other != first and len(drawn) == 2
    charts.render(charts.draw_on_time_by_month, MONTHS, {"unit": "% à l'heure"})  # another label
    charts.render(charts.draw_on_time_by_month, MONTHS, {"unit": "%"}, width=3.0)  # another size
    assert len(drawn) == 4
    assert "<svg" in first and "02/2026" in first
