"""Small server-rendered SVG bar charts (no script, no third-party code)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, LABEL = 320, 120, 18


def bar_chart(points: Sequence[tuple[str, int]], label: str) -> Markup:
    """One bar per (day label, value); the figures are also in the accessible name."""
    top = max((value for _, value in points), default=0) or 1
    slot = WIDTH / max(len(points), 1)
    bars = []
    for index, (day, value) in enumerate(points):
        height = (HEIGHT - LABEL - 14) * value / top
        x = index * slot + slot * 0.15
        y = HEIGHT - LABEL - height
        bars.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}">'
            f"<title>{escape(day)}: {value}</title></rect>"
        )
        if value:
            bars.append(f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" class="v">{value}</text>')
        if index % max(len(points) // 7, 1) == 0:
            bars.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - 4}" class="d">{escape(day)}</text>'
            )
    summary = ", ".join(f"{day}: {value}" for day, value in points)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(label)}. {escape(summary)}">{"".join(bars)}</svg>'
    )


def capacity_bar(taken: int, capacity: int) -> Markup:
    """A horizontal bar of seats taken out of the capacity."""
    share = min(taken / capacity, 1.0) if capacity else 1.0
    state = "full" if taken >= capacity else "ok"
    return Markup(
        f'<svg class="capacity {state}" viewBox="0 0 100 10" preserveAspectRatio="none" '
        f'role="img" aria-label="{taken} trên {capacity} chỗ">'
        f'<rect class="track" width="100" height="10"></rect>'
        f'<rect class="fill" width="{share * 100:.1f}" height="10"></rect></svg>'
    )
