"""Diagrams of a procedure version: Mermaid text (to copy into any Mermaid tool) and a server-side SVG.

The SVG needs no JavaScript and no CDN: states are laid out in columns by their distance from the
initial state, transitions are arrows labelled with their label in the page's language (the code
when the definition gives none).
"""

from collections import deque
from html import escape


def _label(spec, language):
    label = spec.get("label") or {}
    return label.get(language) or label.get("en") or ""


def mermaid(definition, language="fr"):
    lines = ["stateDiagram-v2"]
    for name, spec in definition["states"].items():
        text = _label(spec, language) or name
        lines.append(f'    state "{text.replace(chr(34), "")}" as {name}')
    initial = definition.get("initial")
    if initial:
        lines.append(f"    [*] --> {initial}")
    for code, spec in definition["transitions"].items():
        roles = ", ".join(spec["roles"])
        for source in spec["from"]:
            text = (_label(spec, language) or code).replace(":", " ")
            lines.append(f"    {source} --> {spec['to']}: {text} ({roles})")
    for name, spec in definition["states"].items():
        if spec["final"]:
            lines.append(f"    {name} --> [*]")
    return "\n".join(lines) + "\n"


def _levels(definition):
    states = list(definition["states"])
    initial = definition.get("initial") or (states[0] if states else None)
    level = {initial: 0} if initial else {}
    queue = deque([initial] if initial else [])
    exits = {name: [] for name in states}
    for spec in definition["transitions"].values():
        for source in spec["from"]:
            exits.setdefault(source, []).append(spec["to"])
    while queue:
        current = queue.popleft()
        for target in exits.get(current, []):
            if target not in level:
                level[target] = level[current] + 1
                queue.append(target)
    deepest = max(level.values(), default=0)
    for name in states:
        level.setdefault(name, deepest + 1)
    return level


PHASE_COLOURS = {"open": "#e8f0fe", "waiting": "#fff4e0", "closed": "#e6f4ea"}


def svg(definition, language="fr"):
    level = _levels(definition)
    columns = {}
    for name in definition["states"]:
        columns.setdefault(level[name], []).append(name)
    box_w, box_h, gap_x, gap_y, margin = 170, 44, 110, 46, 30
    position = {}
    for col, names in columns.items():
        for row, name in enumerate(names):
            position[name] = (margin + col * (box_w + gap_x), margin + row * (box_h + gap_y))
    width = margin * 2 + (max(columns) + 1) * (box_w + gap_x) - gap_x if columns else 200
    height = margin * 2 + max((len(n) for n in columns.values()), default=1) * (box_h + gap_y) - gap_y + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(_title(definition, language))}" '
        'font-family="sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>',
    ]
    seen_pairs = {}
    for code, spec in definition["transitions"].items():
        for source in spec["from"]:
            target = spec["to"]
            if source not in position or target not in position:
                continue
            pair = (source, target)
            bend = seen_pairs.get(pair, 0)
            seen_pairs[pair] = bend + 1
            text = _label(spec, language) or code
            parts.append(_edge(position[source], position[target], box_w, box_h, text, bend))
    for name, spec in definition["states"].items():
        x, y = position[name]
        stroke = 3 if spec["final"] or spec["initial"] else 1
        fill = PHASE_COLOURS.get(spec["phase"], "#fff")
        parts.append(
            f'<g><rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="8" fill="{fill}" '
            f'stroke="#333" stroke-width="{stroke}"/>'
            f'<text x="{x + box_w / 2}" y="{y + 18}" text-anchor="middle" font-weight="bold">'
            f"{escape(_label(spec, language) or name)}</text>"
            f'<text x="{x + box_w / 2}" y="{y + 34}" text-anchor="middle" fill="#555">'
            f"{escape(name)} · {escape(spec['phase'])}</text></g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _title(definition, language):
    title = definition.get("title") or {}
    return title.get(language) or title.get("en") or definition.get("procedure", "")


def _edge(source, target, box_w, box_h, text, bend):
    (sx, sy), (tx, ty) = source, target
    if source == target:
        x, y = sx + box_w / 2, sy
        return (
            f'<path d="M {x - 20} {y} C {x - 40} {y - 40}, {x + 40} {y - 40}, {x + 20} {y}" fill="none" '
            f'stroke="#444" marker-end="url(#arrow)"/><text x="{x}" y="{y - 32}" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    forward = tx > sx
    x1 = sx + (box_w if forward else 0) if tx != sx else sx + box_w / 2
    x2 = tx + (0 if forward else box_w) if tx != sx else tx + box_w / 2
    y1 = sy + box_h / 2 if tx != sx else sy + (box_h if ty > sy else 0)
    y2 = ty + box_h / 2 if tx != sx else ty + (0 if ty > sy else box_h)
    offset = (0 if forward else 40) + 18 * bend
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2 - offset
    return (
        f'<path d="M {x1} {y1} Q {mx} {my} {x2} {y2}" fill="none" stroke="#444" marker-end="url(#arrow)"/>'
        f'<text x="{mx}" y="{(y1 + y2) / 4 + my / 2 - 4}" text-anchor="middle" fill="#1a4d8f">'
        f"{escape(text)}</text>"
    )
