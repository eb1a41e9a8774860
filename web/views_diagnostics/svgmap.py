"""A static map of a diagnostic as SVG, drawn on the server (the report's page and PDF): the QPV's
outline, the route, and each finding as a numbered dot. Presentation attributes only (no style
attribute: the Content-Security-Policy refuses inline styles)."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from directory import geo

WIDTH, HEIGHT, MARGIN = 640, 420, 24


def _rings(geometry):
    if not geometry:
        return []
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"][0]]
    if geometry["type"] == "MultiPolygon":
        return [polygon[0] for polygon in geometry["coordinates"]]
    return []


def render_map(diagnostic, points, title):
    outline = [
        [geo.point_lambert93(lon, lat) for lon, lat in ring]
        for ring in _rings(diagnostic.qpv and diagnostic.qpv.geometry)
    ]
    route = [geo.point_lambert93(lon, lat) for lon, lat in (diagnostic.route or {}).get("coordinates", [])]
    dots = [(p.number, geo.point_lambert93(p.finding.lon, p.finding.lat), p.finding.rating) for p in points]
    xy = [pt for ring in outline for pt in ring] + route + [pt for _n, pt, _r in dots]
    if not xy:
        return ""
    min_x, max_x = min(x for x, _y in xy), max(x for x, _y in xy)
    min_y, max_y = min(y for _x, y in xy), max(y for _x, y in xy)
    span = max(max_x - min_x, max_y - min_y, 50.0)
    scale = min((WIDTH - 2 * MARGIN) / span, (HEIGHT - 2 * MARGIN) / span)

    def at(point):
        x, y = point
        return round(MARGIN + (x - min_x) * scale, 1), round(HEIGHT - MARGIN - (y - min_y) * scale, 1)

    def path(points_):
        return " ".join(f"{x},{y}" for x, y in map(at, points_))

    low = diagnostic.grid_version.scale[0]["value"] if diagnostic.grid_version.scale else 0
    parts = [
        format_html('<polygon points="{}" fill="#fbe4e2" stroke="#b3261e" stroke-width="2"/>', path(ring))
        for ring in outline
    ]
    if route:
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="#00589b" stroke-width="3" '
                'stroke-dasharray="6 4"/>',
                path(route),
            )
        )
    parts.append(
        format_html_join(
            "",
            '<g><circle cx="{}" cy="{}" r="9" fill="{}" stroke="#fff" stroke-width="1.5"/>'
            '<text x="{}" y="{}" font-size="9" text-anchor="middle" fill="#fff" '
            'font-family="sans-serif">{}</text></g>',
            (
                (cx, cy, "#8c1d18" if rating <= low else "#00589b", cx, cy + 3, number)
                for number, pt, rating in dots
                for cx, cy in [at(pt)]
            ),
        )
    )
    # 100 m scale bar
    bar = round(100 * scale, 1)
    parts.append(
        format_html(
            '<g><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#1f2933" stroke-width="3"/>'
            '<text x="{}" y="{}" font-size="11" fill="#1f2933" font-family="sans-serif">100 m</text></g>',
            MARGIN,
            HEIGHT - 8,
            MARGIN + bar,
            HEIGHT - 8,
            MARGIN + bar + 6,
            HEIGHT - 4,
        )
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" width="100%" role="img" '
        'aria-labelledby="report-map-title">'
        '<title id="report-map-title">{}</title><rect width="100%" height="100%" fill="#eef1ea"/>{}</svg>',
        WIDTH,
        HEIGHT,
        title,
        mark_safe("".join(parts)),
    )
