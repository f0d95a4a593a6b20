"""Chart defects of issue 14 in a real JupyterLab 4 and Notebook 7: bell-shaped histograms,
readable ticks after theme switches both ways, stable run colours, the ordered scalar tooltip and
sensible axes. Screenshots of each view in light and dark go to test-artifacts/."""
from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

LOG = """
import numpy as np
from tbx_widget import Dashboard, SummaryWriter
rng = np.random.default_rng(0)
for i in range(12):
    with SummaryWriter(f"runs/charts/run_{i:02d}") as w:
        for s in range(20):
            w.add_scalar("loss", 1.0 / (s + 1) + ((i * 7) % 12) / 10, s)
        if i == 0:
            for s in range(3):
                w.add_scalar("epoch_acc", 0.5 + 0.1 * s, s)
            for s in range(30):
                w.add_scalar("lr", 0.001, s)
            for s in range(5):
                w.add_histogram("weights", rng.normal(0.0, 1.0, 20000), s)
            w.add_custom_scalars({"cat": {"losses": ["Multiline", ["loss"]]}})
Dashboard("runs/charts", height=1600)
"""

MORE = """
for name in ["aaa_new", "run_03b", "zzz_new"]:
    with SummaryWriter(f"runs/charts/{name}") as w:
        w.add_scalar("loss", 0.1, 0)
"""

# Per card of a kind and tag: helpers reading canvases. `contrast` is the WCAG contrast between the
# average colour of a region's opaque pixels (text) and the card's background.
HELPERS = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
const card = (kind, tag) => root && root.querySelector(`[data-tbx-kind="${kind}"][data-tbx-tag="${tag}"]`);
const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return m.slice(0, 3); };
const lum = (rgb) => { const l = rgb.map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
  return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]; };
const bgOf = (el) => { let e = el; while (e) { const c = getComputedStyle(e).backgroundColor;
  if (c && !/rgba\\(.*,\\s*0\\)$/.test(c) && c !== 'transparent') return parse(c); e = e.parentElement; } return [255, 255, 255]; };
const contrast = (canvas, x0, y0, x1, y1) => {
  const shown = canvas.getBoundingClientRect().width;
  if (!shown || !canvas.width || !Number.isFinite(x1)) return 0; // detached or being rebuilt: not yet
  const r = canvas.width / shown;
  const g = canvas.getContext('2d');
  const d = g.getImageData(Math.round(x0 * r), Math.round(y0 * r), Math.max(1, Math.round((x1 - x0) * r)), Math.max(1, Math.round((y1 - y0) * r))).data;
  // The most opaque third of the inked pixels (glyph cores), each composited over the background.
  const bg = bgOf(canvas), ink = [];
  for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 60) ink.push(i);
  if (ink.length < 10) return 0;
  ink.sort((p, q) => d[q + 3] - d[p + 3]);
  const core = ink.slice(0, Math.max(5, Math.floor(ink.length / 3)));
  const s = [0, 0, 0];
  for (const i of core) for (let k = 0; k < 3; k++) s[k] += (d[i + k] * d[i + 3] + bg[k] * (255 - d[i + 3])) / 255;
  const a = lum(s.map(v => v / core.length)), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
};
"""

READ = HELPERS + """
if (!root) return null;
const loss = card('scalars', 'loss'), hist = card('histograms', 'weights'), dist = card('distributions', 'weights');
const lr = card('scalars', 'lr'), epoch = card('scalars', 'epoch_acc'), custom = card('custom_scalars', 'losses');
const u = (c) => c && c.tbxChart;
const ucanvas = (c) => u(c) && u(c).ctx.canvas;
const hc = hist && hist.querySelector('canvas');
const dc = dist && dist.querySelector('canvas');
const cc = custom && custom.tbxChart && custom.tbxChart.ctx.canvas;
// The y axis: left of the plot area (uPlot's bbox is in canvas pixels).
const axisWidth = (p) => p.bbox.left / (p.ctx.canvas.width / p.ctx.canvas.getBoundingClientRect().width) - 2;
return {
  light: document.body.dataset.jpThemeLight,
  colors: loss ? Object.fromEntries(Array.from(loss.querySelectorAll('.tbx-legend-item')).map(e => [e.title, e.querySelector('.tbx-swatch').style.background])) : {},
  ready: !!(u(loss) && u(lr) && u(epoch) && hc && dc && cc),
  contrast: u(loss) && hc && dc && cc ? {
    scalars: contrast(ucanvas(loss), 0, 0, axisWidth(u(loss)), 200),
    custom: contrast(cc, 0, 0, axisWidth(custom.tbxChart), 200),
    histograms: contrast(hc, 0, 180, hc.getBoundingClientRect().width - 64, 200),
    distributions: contrast(dc, 0, 0, 50, 160),
  } : null,
  lrTicks: u(lr) ? u(lr).axes[1]._values : null,
  epochTicks: u(epoch) ? u(epoch).axes[0]._values : null,
  lossTicks: u(loss) ? u(loss).axes[1]._values : null,
  bins: hc ? JSON.parse(hc.dataset.tbxBins) : null,
  uplotLegends: root.querySelectorAll('.u-legend').length,
};
"""

# The outline of the newest-and-oldest ridges: for each column of the plot area, the topmost drawn
# pixel; returns the column of the highest ridge point and where 0 is.
RIDGE = HELPERS + """
const hc = card('histograms', 'weights').querySelector('canvas');
const w = hc.getBoundingClientRect().width, r = hc.width / w;
const g = hc.getContext('2d');
const d = g.getImageData(0, 0, hc.width, hc.height).data;
const left = 8, right = w - 64, bottom = hc.height / r - 22;
const tops = [];
for (let x = left + 2; x < right - 2; x++) {
  const px = Math.round(x * r);
  let top = bottom;
  for (let y = 0; y < Math.round(bottom * r); y++) if (d[(y * hc.width + px) * 4 + 3] > 40) { top = y / r; break; }
  tops.push(bottom - top);
}
const bins = JSON.parse(hc.dataset.tbxBins);
const zero = left + ((0 - bins.lo) / (bins.hi - bins.lo)) * (right - left);
const peak = tops.indexOf(Math.max(...tops)) + left + 2;
const base = Math.min(...tops); // the oldest ridge's baseline, where the stack starts
const heights = tops.map(t => t - base);
return { peak, zero, width: right - left, heights, max: Math.max(...heights) };
"""

TIP = """
const root = nb().content.widgets[0].node.querySelector('.tbx-dashboard');
const loss = root.querySelector('[data-tbx-kind="scalars"][data-tbx-tag="loss"]');
const tip = loss.querySelector('.tbx-chart-tip');
if (!tip || tip.hidden) return null;
const rows = Array.from(tip.querySelectorAll('tr[data-tbx-run]'));
const cr = loss.getBoundingClientRect(), tr = tip.getBoundingClientRect();
return {
  order: tip.dataset.tbxOrder,
  runs: rows.map(r => r.dataset.tbxRun),
  values: rows.map(r => Number(r.querySelector('.tbx-tip-num').textContent)),
  hovered: rows.filter(r => r.classList.contains('tbx-tip-hover')).map(r => r.dataset.tbxRun),
  inside: tr.left >= cr.left - 1 && tr.right <= cr.right + 1 && tr.top >= cr.top - 1 && tr.bottom <= cr.bottom + 1,
};
"""


def _card_shots(jupyter: Any, theme: str) -> None:
    artifacts = jupyter.screenshot(f"charts-{theme}").parent
    for kind, tag in [("scalars", "loss"), ("scalars", "lr"), ("scalars", "epoch_acc"), ("histograms", "weights"),
                      ("distributions", "weights"), ("custom_scalars", "losses")]:
        card = jupyter.page.locator(f'[data-tbx-kind="{kind}"][data-tbx-tag="{tag}"]').first
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(artifacts / f"chart-{kind}-{tag}-{jupyter.server.app}-{theme}.png"))


def _readable(state: dict | None) -> dict | None:
    """The state once every chart's tick labels contrast with its background (>= 3:1)."""
    if not state or not state["contrast"]:
        return None
    return state if all(v >= 3 for v in state["contrast"].values()) else None


def test_chart_defects(jupyter: Any) -> None:
    name = jupyter.server.write_notebook([LOG, MORE])
    # A page tall enough to show every card at once: the checks below read all the charts in one
    # state, and a scalar card is drawn only while it is in view (views/visibility.ts).
    jupyter.page.set_viewport_size({"width": 1400, "height": 2400})
    jupyter.open(name)
    jupyter.set_theme(dark=False)
    jupyter.run_cell(0)
    jupyter.wait_cell_done(0)
    assert not jupyter.cell_errors(), jupyter.cell_errors()
    state = jupyter.poll(lambda: (lambda s: s if s and s["ready"] and len(s["colors"]) == 12 else None)(jupyter.js(READ)),
                         90, "every chart drawn with 12 runs")

    # 4. No chart carries uPlot's legend (every run twice, overflowing the card with 12 runs).
    assert state["uplotLegends"] == 0

    # 5. Axes: a constant 0.001 keeps its magnitude; integer steps get integer ticks.
    lr_ticks = [float(t) for t in state["lrTicks"] if t]
    assert lr_ticks and all(0.0008 <= t <= 0.0012 for t in lr_ticks), state["lrTicks"]
    assert all(t == "" or float(t).is_integer() for t in state["epochTicks"]), state["epochTicks"]

    # Log scale: the ticks uPlot leaves out are blank, not "–"; the others read as numbers.
    jupyter.page.locator('[data-tbx-kind="scalars"][data-tbx-tag="loss"] button', has_text="log y").first.click()
    log_ticks = jupyter.poll(lambda: (lambda s: s["lossTicks"] if s and s["lossTicks"] and s["lossTicks"] != state["lossTicks"] else None)(jupyter.js(READ)),
                             10, "log-scale ticks")
    assert "–" not in log_ticks and len([t for t in log_ticks if t]) >= 2, log_ticks
    assert all(float(t) > 0 for t in log_ticks if t), log_ticks
    jupyter.page.locator('[data-tbx-kind="scalars"][data-tbx-tag="loss"] button', has_text="log y").first.click()

    # 1. Histogram: the drawn ridge is a bell, highest near 0, low at the edges.
    ridge = jupyter.js(RIDGE)
    assert abs(ridge["peak"] - ridge["zero"]) < 0.1 * ridge["width"], ridge
    assert ridge["heights"][0] < 0.25 * ridge["max"] and ridge["heights"][-1] < 0.25 * ridge["max"], ridge["heights"]
    counts = state["bins"]["counts"]
    top = counts.index(max(counts))
    assert 10 <= top <= 20 and counts[0] < 0.05 * max(counts) and counts[-1] < 0.05 * max(counts), counts

    # 3. Colours: 12 distinct, and each keeps its colour while more runs appear.
    before = state["colors"]
    assert len(set(before.values())) == 12, before
    jupyter.run_cell(1)
    jupyter.wait_cell_done(1)
    after = jupyter.poll(lambda: (lambda s: s if s and len(s["colors"]) == 15 else None)(jupyter.js(READ)), 60, "15 runs")["colors"]
    assert {k: after[k] for k in before} == before

    # 4. Tooltip: hover the loss chart; runs listed nearest first, by value, by name; it stays in the card.
    over = jupyter.page.locator('[data-tbx-kind="scalars"][data-tbx-tag="loss"] .u-over').first
    over.scroll_into_view_if_needed()
    box = over.bounding_box()
    jupyter.page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.4)
    tip = jupyter.poll(lambda: jupyter.js(TIP), 10, "the tooltip")
    assert tip["order"] == "nearest" and len(tip["runs"]) == 15 and tip["inside"], tip
    assert tip["hovered"] == [tip["runs"][0]]
    jupyter.screenshot("tooltip-light")
    select = jupyter.page.locator('[data-tbx-kind="scalars"][data-tbx-tag="loss"] select.tbx-tip-order').first
    for order in ("value", "name"):
        select.select_option(order)
        jupyter.page.mouse.move(box["x"] + box["width"] * 0.5 + 1, box["y"] + box["height"] * 0.4)
        tip = jupyter.poll(lambda: (lambda t: t if t and t["order"] == order else None)(jupyter.js(TIP)), 10, f"the tooltip by {order}")
        if order == "value":
            assert tip["values"] == sorted(tip["values"], reverse=True), tip
        else:
            assert tip["runs"] == sorted(tip["runs"]), tip
        assert tip["inside"], tip
    jupyter.page.mouse.move(0, 0)

    # Hover readout of a histogram bin.
    hist = jupyter.page.locator('[data-tbx-kind="histograms"][data-tbx-tag="weights"] canvas').first
    hist.scroll_into_view_if_needed()
    hb = hist.bounding_box()
    jupyter.page.mouse.move(hb["x"] + (hb["width"] - 64) * 0.5, hb["y"] + hb["height"] - 30)
    readout = jupyter.poll(lambda: jupyter.js(
        "const t = document.querySelector('[data-tbx-kind=\"histograms\"] .tbx-tip'); return t && !t.hidden ? t.textContent : null;"),
        10, "the histogram readout")
    assert readout.startswith("step ") and "count" in readout, readout
    jupyter.page.mouse.move(0, 0)

    # 2. Theme: tick labels readable in light, after switching to dark, and after switching back.
    _card_shots(jupyter, "light")
    assert _readable(state := jupyter.js(READ)), state["contrast"]
    jupyter.set_theme(dark=True)
    jupyter.poll(lambda: _readable(jupyter.js(READ)), 20, "readable tick labels in Dark")
    _card_shots(jupyter, "dark")
    jupyter.page.locator('[data-tbx-kind="histograms"] select.tbx-select').first.select_option("overlay")
    # Overlay mode draws the same bell: every step on one baseline, highest near 0.
    ridge = jupyter.poll(lambda: (lambda r: r if r["max"] > 100 else None)(jupyter.js(RIDGE)), 10, "the overlay ridges")
    assert abs(ridge["peak"] - ridge["zero"]) < 0.1 * ridge["width"], ridge
    assert ridge["heights"][0] < 0.1 * ridge["max"] and ridge["heights"][-1] < 0.1 * ridge["max"], ridge["heights"]
    jupyter.page.locator('[data-tbx-kind="histograms"]').first.screenshot(
        path=str(jupyter.screenshot("overlay-dark").parent / f"chart-histograms-overlay-{jupyter.server.app}-dark.png"))
    jupyter.set_theme(dark=False)
    jupyter.poll(lambda: _readable(jupyter.js(READ)), 20, "readable tick labels back in Light")
    jupyter.page.locator('[data-tbx-kind="histograms"]').first.screenshot(
        path=str(jupyter.screenshot("overlay-light").parent / f"chart-histograms-overlay-{jupyter.server.app}-light.png"))
