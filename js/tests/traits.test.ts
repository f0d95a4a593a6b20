// The model's traits are typed (js/src/traits.ts, @anywidget/types): `tsc --noEmit` checks the
// expected-error lines below (an unknown trait name, a wrongly typed value); vitest checks the list the Python test compares with the widget.
import type { AnyModel, AnyWidget } from "@anywidget/types";
import { describe, expect, it } from "vitest";
import widget from "../src/index";
import { TRAIT_NAMES, traitsComplete, type DashboardModel, type Traits } from "../src/traits";
import { FakeModel } from "./helpers";

function typeChecks(model: DashboardModel, full: AnyModel<Traits>): void {
  const height: number = model.get("height");
  const saved: string = model.get("_saved_curves");
  // @ts-expect-error: no such trait
  model.get("_snapshots");
  // @ts-expect-error: logdir is a string
  const wrong: number = model.get("logdir");
  // @ts-expect-error: set takes the trait's type
  full.set("height", "640");
  const entry: AnyWidget<Traits> = widget;
  void [height, saved, wrong, entry];
}

describe("model traits", () => {
  it("lists each synced trait once, and the entry points take a model of them", () => {
    expect(new Set(TRAIT_NAMES).size).toBe(TRAIT_NAMES.length);
    expect(traitsComplete).toBe(true);
    expect(typeof typeChecks).toBe("function");
    const model = new FakeModel({ logdir: "runs", height: 300, status: "ok", error: "", tag_filter: "", run_filter: "" });
    const el = document.createElement("div");
    const cleanupInit = widget.initialize({ model });
    const cleanup = widget.render({ model, el });
    expect(el.querySelector(".tbx-dashboard")).not.toBeNull();
    cleanup();
    cleanupInit();
  });
});
