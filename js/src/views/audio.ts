// Audio: a card per tag; for the selected step, a player for each clip of each visible run.
// Clips are served from object URLs made from the received bytes (revoked when replaced).
import type { AudioEntry } from "../protocol";
import { Memo } from "../chart/memo";
import { cardShell, fmtDuration, fmtNum, h, swatch, type CardView, type ViewContext } from "../ui";
import { StepSlider, stepData } from "./stepslider";

/** "1.5s · 16000 Hz · 1 channel" for a clip. */
export function describeClip(e: AudioEntry): string {
  const parts: string[] = [];
  if (e.sampleRate > 0 && e.lengthFrames > 0) parts.push(fmtDuration(e.lengthFrames / e.sampleRate));
  if (e.sampleRate > 0) parts.push(`${fmtNum(e.sampleRate)} Hz`);
  if (e.numChannels > 0) parts.push(`${e.numChannels} channel${e.numChannels === 1 ? "" : "s"}`);
  return parts.join(" · ");
}

export function audioCard(tag: string, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("audio", tag);
  const slider = new StepSlider(() => {
    memo.invalidate();
    update();
  });
  tools.append(slider.el);
  const memo = new Memo(); // what is shown: the data and the step
  const stepsMemo = new Memo(); // the data the slider's steps come from
  let urls: string[] = [];

  function revoke(): void {
    if (typeof URL.revokeObjectURL === "function") for (const u of urls) URL.revokeObjectURL(u);
    urls = [];
  }

  function update(): void {
    const { byRun, runs, sig: dataSig, steps } = stepData(ctx, "audio", tag);
    if (stepsMemo.changed(dataSig)) slider.setSteps(steps());
    const sig = `${dataSig};${slider.value}`;
    if (!memo.changed(sig)) return;
    revoke();
    body.textContent = "";
    if (runs.length === 0) {
      body.append(h("div", { class: "tbx-card-note", text: "No visible run has audio for this tag." }));
      return;
    }
    for (const run of runs) {
      const clips = (byRun.get(run.name)?.entries ?? []).filter((e) => e.step === slider.value);
      const block = h("div", { class: "tbx-audio-run" }, h("div", { class: "tbx-run-label" }, swatch(run.color), h("span", { text: ctx.ui.runLabel(ctx.store, run.name) })));
      if (clips.length === 0) block.append(h("div", { class: "tbx-card-note", text: "no audio at this step" }));
      // The last clip logged for each index at this step (a re-logged step replaces it).
      const byIndex = new Map<number, AudioEntry>();
      for (const c of clips) byIndex.set(c.index, c);
      for (const c of [...byIndex.values()].sort((a, b) => a.index - b.index)) {
        const player = h("audio", { controls: true, preload: "metadata", class: "tbx-audio" });
        player.dataset.tbxFrames = String(c.lengthFrames);
        player.dataset.tbxRate = String(c.sampleRate);
        if (typeof URL.createObjectURL === "function") {
          const url = URL.createObjectURL(new Blob([c.data as Uint8Array<ArrayBuffer>], { type: c.mime }));
          urls.push(url);
          player.src = url;
        }
        const caption = [c.label, describeClip(c)].filter(Boolean).join(" · ");
        block.append(h("figure", { class: "tbx-audio-clip" }, player, h("figcaption", { class: "tbx-card-note", text: caption })));
      }
      body.append(block);
    }
  }

  return { el, update, destroy: revoke };
}
