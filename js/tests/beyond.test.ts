// Past TensorBoard's front end (issue 14): pinned cards.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import widget from "../src/index";
import { attach } from "../src/session";
import { SAVE_DELAY_MS, applySettings, parseSettings, settingsOf } from "../src/settings";
import { UiState } from "../src/ui";
import { BatchBuilder, FakeModel, stubObjectUrls } from "./helpers";

class SavingModel extends FakeModel {
  saved = 0;
  save_changes(): void {
    this.saved++;
  }
}

function data(): BatchBuilder {
  return new BatchBuilder()
    .scalars("a", "loss", [0, 1, 2], [1, 0.5, 0.25])
    .scalars("a", "acc", [0, 1, 2], [0.1, 0.5, 0.9])
    .scalars("a", "train/lr", [0, 1, 2], [0.1, 0.1, 0.1])
    .text("a", "notes", 0, "hello");
}

function render(model: SavingModel): HTMLElement {
  const el = document.createElement("div");
  document.body.append(el);
  widget.render({ model, el });
  return el.querySelector(".tbx-dashboard") as HTMLElement;
}

function mount(): { model: SavingModel; root: HTMLElement } {
  const model = new SavingModel({ logdir: "runs/x", height: 500, tag_filter: "", run_filter: "", status: "ok", error: "", _sent_seq: 0 });
  widget.initialize({ model });
  const root = render(model);
  const { msg, buffers } = data().build(1, true, ["a"]);
  model.emit("msg:custom", msg, buffers);
  attach(model).store.flush();
  return { model, root };
}

const card = (root: HTMLElement, kind: string, tag: string) =>
  root.querySelector(`.tbx-card[data-tbx-kind="${kind}"][data-tbx-tag="${tag}"]`) as HTMLElement;
const pinOf = (c: HTMLElement) => c.querySelector(".tbx-card-pin") as HTMLButtonElement;
const pinnedTags = (root: HTMLElement) =>
  [...root.querySelectorAll('[data-tbx-section="pinned"] .tbx-card')].map((c) => (c as HTMLElement).dataset.tbxTag);

beforeEach(stubObjectUrls);
afterEach(() => {
  document.body.textContent = "";
});

describe("pinned cards", () => {
  it("settings keep the pins in order and leave them out when there are none", () => {
    expect(parseSettings({ pinned: ["scalars/loss", "text/notes", "scalars/loss"] }).pinned).toEqual(["scalars/loss", "text/notes"]);
    expect(parseSettings({ pinned: [1] }).pinned).toBeUndefined();
    const ui = new UiState();
    expect("pinned" in settingsOf(ui)).toBe(false);
    applySettings(ui, { pinned: ["text/notes", "scalars/acc"] });
    expect(settingsOf(ui).pinned).toEqual(["text/notes", "scalars/acc"]);
    applySettings(ui, {});
    expect(ui.pinned).toEqual([]);
  });

  it("a pinned card moves to a Pinned section on top, in pin order, and back when unpinned", () => {
    vi.useFakeTimers();
    try {
      const { model, root } = mount();
      const board = root.querySelector('[data-tbx-section="pinned"]') as HTMLDetailsElement;
      expect(board.hidden).toBe(true);
      // The board comes before every other section.
      expect((root.querySelector(".tbx-main > .tbx-section") as HTMLElement).dataset.tbxSection).toBe("pinned");
      expect(pinOf(card(root, "scalars", "loss")).hidden).toBe(false);
      pinOf(card(root, "text", "notes")).click();
      pinOf(card(root, "scalars", "acc")).click();
      expect(board.hidden).toBe(false);
      expect(pinnedTags(root)).toEqual(["notes", "acc"]);
      expect(pinOf(card(root, "scalars", "acc")).getAttribute("aria-pressed")).toBe("true");
      expect(card(root, "scalars", "acc").closest('[data-tbx-section="scalars"]')).toBeNull();
      // The scalars section still counts the pinned card among its shown tags.
      expect((root.querySelector('[data-tbx-section="scalars"] .tbx-count') as HTMLElement).textContent).toBe("3");
      // Pinned cards stay whatever the tag filter says.
      const tags = root.querySelector('input[aria-label="tag filter"]') as HTMLInputElement;
      tags.value = "^loss$";
      tags.dispatchEvent(new Event("input"));
      expect(pinnedTags(root)).toEqual(["notes", "acc"]);
      expect(card(root, "scalars", "train/lr")).toBeNull();
      tags.value = "";
      tags.dispatchEvent(new Event("input"));

      vi.advanceTimersByTime(SAVE_DELAY_MS + 1);
      expect(model.get("view_settings").pinned).toEqual(["text/notes", "scalars/acc"]);

      // A re-rendered view keeps them (same order); unpinning there puts the card back in its group.
      const root2 = render(model);
      expect(pinnedTags(root2)).toEqual(["notes", "acc"]);
      pinOf(card(root2, "text", "notes")).click();
      expect(pinnedTags(root2)).toEqual(["acc"]);
      expect(card(root2, "text", "notes").closest('[data-tbx-section="text"]')).not.toBeNull();
      expect(pinOf(card(root2, "text", "notes")).getAttribute("aria-pressed")).toBe("false");
      vi.advanceTimersByTime(SAVE_DELAY_MS + 1);
      expect(model.get("view_settings").pinned).toEqual(["scalars/acc"]);
      // ...and the first view follows.
      expect(pinnedTags(root)).toEqual(["acc"]);
      pinOf(card(root, "scalars", "acc")).click();
      expect(board.hidden).toBe(true);
      expect(card(root, "scalars", "acc").closest('[data-tbx-section="scalars"]')).not.toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
