// Text: a card per tag; for the selected step each visible run's entry rendered as Markdown
// (marked) and sanitised (DOMPurify). Logged text is untrusted: raw text never reaches innerHTML.
import DOMPurify from "dompurify";
import { Marked } from "marked";
import { Memo } from "../chart/memo";
import { cardShell, h, swatch, type CardView, type ViewContext } from "../ui";
import { StepSlider, stepData } from "./stepslider";

const markdown = new Marked({ gfm: true, breaks: false, async: false });

/** Markdown → sanitised DOM fragment (no scripts, no event handlers, no javascript: URLs). */
export function renderMarkdown(text: string): DocumentFragment {
  const html = markdown.parse(text, { async: false }) as string;
  return DOMPurify.sanitize(html, { RETURN_DOM_FRAGMENT: true, FORBID_TAGS: ["style", "form", "input", "button"] });
}

export function textCard(tag: string, ctx: ViewContext): CardView {
  const { el, tools, body } = cardShell("text", tag);
  const slider = new StepSlider(() => {
    memo.invalidate();
    update();
  });
  tools.append(slider.el);
  const memo = new Memo(); // what is shown: the data and the step
  const stepsMemo = new Memo(); // the data the slider's steps come from

  function update(): void {
    const { byRun, runs, sig: sigData, steps } = stepData(ctx, "text", tag);
    if (stepsMemo.changed(sigData)) slider.setSteps(steps());
    const step = slider.value;
    const sig = `${sigData};${step}`;
    if (!memo.changed(sig)) return;
    body.textContent = "";
    if (runs.length === 0) {
      body.append(h("div", { class: "tbx-card-note", text: "No visible run has text for this tag." }));
      return;
    }
    for (const run of runs) {
      const entries = (byRun.get(run.name)?.entries ?? []).filter((e) => e.step === step);
      const block = h("div", { class: "tbx-text-entry" }, h("div", { class: "tbx-run-label" }, swatch(run.color), h("span", { text: ctx.ui.runLabel(ctx.store, run.name) })));
      if (entries.length === 0) block.append(h("div", { class: "tbx-card-note", text: "no text at this step" }));
      const e = entries[entries.length - 1];
      if (e) {
        const md = h("div", { class: "tbx-markdown" });
        md.append(renderMarkdown(e.text));
        block.append(md);
        if (e.note) block.append(h("div", { class: "tbx-card-note", text: e.note }));
      }
      body.append(block);
    }
  }

  return { el, update, destroy() {} };
}
