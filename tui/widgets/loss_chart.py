"""Train and validation loss drawn in the terminal (plotext, through textual-plotext).

The x axis spans the whole run (0 to its total steps) so the curve grows across the chart as
the run goes on, and the remaining width shows how far it has to go.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from afina.engine.training.trace import Point

# A long run logs thousands of losses; more points than the chart has dots only cost time.
MAX_POINTS = 400
TRAIN_COLOR = "cyan+"
VAL_COLOR = "orange+"


def thin(points: Sequence[Point], most: int = MAX_POINTS) -> list[Point]:
    """At most ``most`` points: the mean loss of consecutive buckets, at each bucket's end."""
    if len(points) <= most:
        return list(points)
    size = len(points) / most
    out: list[Point] = []
    for i in range(most):
        bucket = points[int(i * size) : int((i + 1) * size)]
        if bucket:
            out.append((bucket[-1][0], sum(p[1] for p in bucket) / len(bucket)))
    return out


class LossChart(PlotextPlot):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.shown: tuple[tuple[Point, ...], tuple[Point, ...], int] = ((), (), 0)

    def show(self, train: Sequence[Point], val: Sequence[Point], total: int) -> None:
        key = (tuple(train), tuple(val), total)
        if key == self.shown:
            return  # a heartbeat changed nothing drawn here
        self.shown = key
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel("step")
        if not train and not val:
            plt.title("loss: no steps yet")
        else:
            plt.title("loss")
            if train:
                xs, ys = zip(*thin(train), strict=True)
                plt.plot(xs, ys, label="train", marker="braille", color=TRAIN_COLOR)
            if val:
                xs, ys = zip(*val, strict=True)
                plt.plot(xs, ys, label="validation", marker="hd", color=VAL_COLOR)
            last = max(p[0] for p in (*train, *val))
            plt.xlim(0, max(total, last, 1))
        self.refresh()
