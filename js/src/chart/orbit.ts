// Drag to rotate a 3-D view: one helper for the mesh, surface and embedding cards.
import type { Camera } from "../math/surface";

export interface OrbitOptions {
  /** Lowest and highest pitch in radians (default ±1.5: almost straight down or up). */
  minPitch?: number;
  maxPitch?: number;
  /** Whether a drag may start now (e.g. only while the 3-D mode is shown). */
  enabled?: () => boolean;
}

/** Rotate `cam` while the left button drags on `target` (0.01 rad per pixel; yaw follows x, pitch
 * y, clamped) and call `changed` after each move. Returns a function that removes the listener. */
export function dragOrbit(target: HTMLElement, cam: Camera, changed: () => void, opts: OrbitOptions = {}): () => void {
  const minPitch = opts.minPitch ?? -1.5;
  const maxPitch = opts.maxPitch ?? 1.5;
  const down = (ev: MouseEvent) => {
    if (ev.button !== 0 || (opts.enabled && !opts.enabled())) return;
    ev.preventDefault();
    const x0 = ev.clientX, y0 = ev.clientY, yaw0 = cam.yaw, pitch0 = cam.pitch;
    const move = (mv: MouseEvent) => {
      cam.yaw = yaw0 + (mv.clientX - x0) * 0.01;
      cam.pitch = Math.max(minPitch, Math.min(maxPitch, pitch0 + (mv.clientY - y0) * 0.01));
      changed();
    };
    const up = () => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", up);
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", up);
  };
  target.addEventListener("mousedown", down);
  return () => target.removeEventListener("mousedown", down);
}
