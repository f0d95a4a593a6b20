// Shift + drag pans a uPlot chart's x range (plain drag zooms and double-click resets: uPlot's own).
import type uPlot from "uplot";

/** Let shift + drag move `u`'s x range; `full` gives the data's x extent (the fallback range). */
export function enablePan(u: uPlot, full: () => [number, number]): void {
  u.over.title = "drag to zoom, shift + drag to pan, double-click to reset";
  u.over.addEventListener(
    "mousedown",
    (e: MouseEvent) => {
      if (!e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      e.stopImmediatePropagation(); // not a zoom selection
      const [f0, f1] = full();
      const min0 = u.scales.x.min ?? f0;
      const max0 = u.scales.x.max ?? f1;
      const x0 = e.clientX;
      const width = u.over.getBoundingClientRect().width || 1;
      const move = (ev: MouseEvent) => {
        const dx = ((ev.clientX - x0) / width) * (max0 - min0);
        u.setScale("x", { min: min0 - dx, max: max0 - dx });
      };
      const up = () => {
        window.removeEventListener("mousemove", move);
        window.removeEventListener("mouseup", up);
      };
      window.addEventListener("mousemove", move);
      window.addEventListener("mouseup", up);
    },
    { capture: true },
  );
}
