"""The answer decision's precision–coverage curve of a run, drawn as a small inline SVG (no chart
library) with a table of its points as the text alternative: precision against the share of
answerable questions answered, one point per threshold (eval/glance.py writes the curve)."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH, HEIGHT, MARGIN = 320, 220, 36  # the drawing, in SVG units; the axes sit inside the margin
TABLE_ROWS = 12  # the table thins a long curve to at most this many thresholds, and the last


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    precision: float
    answered: float  # share of answerable questions answered at this threshold
    unanswerable_answered: float
    x: float  # where the point is drawn
    y: float


@dataclass(frozen=True)
class CurveChart:
    """The curve ready to draw: its points in SVG units, the polyline through them, and the rows of
    the table beside it (the first and last threshold always among them)."""

    points: tuple[CurvePoint, ...]
    rows: tuple[CurvePoint, ...]
    step: int = 1  # the table shows one threshold in ``step``
    width: int = WIDTH
    height: int = HEIGHT
    margin: int = MARGIN

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)

    def at(self, share: float) -> float:
        """The x of a share of questions answered (for the axis ticks)."""
        return self.margin + share * (self.width - 2 * self.margin)

    def up(self, precision: float) -> float:
        """The y of a precision (for the axis ticks)."""
        return self.height - self.margin - precision * (self.height - 2 * self.margin)


def _clamped(value: float) -> float:
    return min(1.0, max(0.0, value))


def curve_chart(curve: tuple[dict[str, float], ...]) -> CurveChart | None:
    """The chart of ``curve`` (a run summary's ``ask.curve``, highest threshold first), or None when
    it is empty (no question reached the model, or a run from before issue 20)."""
    if not curve:
        return None
    frame = CurveChart((), ())
    points = []
    for c in curve:
        precision, answered = _clamped(c.get("precision", 0.0)), _clamped(c.get("answered", 0.0))
        points.append(CurvePoint(c.get("threshold", 0.0), precision, answered, c.get("unanswerable_answered", 0.0),
                                 frame.at(answered), frame.up(precision)))
    step = -(-len(points) // TABLE_ROWS)  # at most TABLE_ROWS rows, and the last
    rows = points[::step]
    if rows[-1] is not points[-1]:
        rows.append(points[-1])
    return CurveChart(tuple(points), tuple(rows), step)
