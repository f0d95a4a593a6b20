import { afterEach, beforeEach, describe, expect, it } from "vitest";
import widget from "../src/index";
import { attach } from "../src/session";
import { renderMarkdown } from "../src/views/text";
import { BatchBuilder, FakeModel, stubObjectUrls } from "./helpers";

const XSS = 'hi <img src=x onerror="window.__tbxPwned=1"> <script>window.__tbxPwned=2</script> **bold** [l](javascript:window.__tbxPwned=3)';

function newModel() {
  return new FakeModel({ logdir: "runs/exp", height: 500, tag_filter: "", run_filter: "", status: "ok", error: "", _sent_seq: 0 });
}

function sendFirstBatch(model: FakeModel) {
  const { msg, buffers } = new BatchBuilder()
    .scalars("train", "loss", [0, 1, 2], [1, 0.5, 0.25])
    .scalars("eval", "loss", [0, 2], [1.1, 0.6])
    .scalars("train", "acc/top1", [0, 1], [0.1, 0.2])
    .histograms("train", "weights/w1", [{ step: 0, limits: [0, 1], counts: [1, 2], min: -1, max: 1 }])
    .images("train", "samples", 2, new Uint8Array([1, 2, 3]))
    .text("eval", "notes", 2, XSS)
    .build(1, true, ["train", "eval"]);
  model.emit("msg:custom", msg, buffers);
}

function cards(root: Element, kind: string): string[] {
  return [...root.querySelectorAll(`[data-tbx-kind="${kind}"]`)].map((c) => c.getAttribute("data-tbx-tag") ?? "");
}

beforeEach(stubObjectUrls);

afterEach(() => {
  document.body.textContent = "";
  delete (window as { __tbxPwned?: number }).__tbxPwned;
});

describe("render", () => {
  it("builds a card per tag and kind and tracks data-tbx-events", () => {
    const model = newModel();
    widget.initialize({ model });
    expect(model.sent).toEqual([{ type: "ready" }]);
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    const root = el.querySelector(".tbx-dashboard") as HTMLElement;
    expect(root).not.toBeNull();
    expect(root.dataset.tbxEvents).toBe("0");
    expect(root.style.height).toBe("500px");
    expect(root.textContent).toContain("runs/exp");
    expect(el.querySelector(".tbx-empty")?.textContent).toMatch(/Waiting for data/);

    sendFirstBatch(model);
    attach(model).store.flush();
    expect(root.dataset.tbxEvents).toBe(String(3 + 2 + 2 + 1 + 1 + 1));
    expect(cards(root, "scalars").sort()).toEqual(["acc/top1", "loss"]);
    expect(cards(root, "histograms")).toEqual(["weights/w1"]);
    expect(cards(root, "distributions")).toEqual(["weights/w1"]);
    expect(cards(root, "images")).toEqual(["samples"]);
    expect(cards(root, "text")).toEqual(["notes"]);
    // Tags are grouped by prefix.
    const groups = [...root.querySelectorAll('[data-tbx-section="scalars"] .tbx-group-title > span:first-child')].map((s) => s.textContent);
    expect(groups).toEqual(["acc", "loss"]);
    // Runs panel: a swatch and checkbox per run.
    expect([...root.querySelectorAll(".tbx-run-name")].map((s) => s.textContent)).toEqual(["train", "eval"]);
    expect(root.querySelectorAll('.tbx-run input[type="checkbox"]')).toHaveLength(2);
    // Images: object URL with alt text tag/step.
    const img = root.querySelector('[data-tbx-kind="images"] img') as HTMLImageElement;
    expect(img.alt).toBe("samples/2");
    expect(img.src).toBe("blob:test/1");

    // An appended batch updates the counter.
    const next = new BatchBuilder().scalars("train", "loss", [3, 4], [0.2, 0.1]).build(2, false, ["train", "eval"]);
    model.emit("msg:custom", next.msg, next.buffers);
    attach(model).store.flush();
    expect(root.dataset.tbxEvents).toBe("12");
    expect(model.sent).toEqual([{ type: "ready" }]);

    cleanup();
    expect(el.querySelector(".tbx-dashboard")).toBeNull();
    expect(model.listenerCount("change:error")).toBe(0);
    expect(model.listenerCount("change:height")).toBe(0);
    expect(URL.revokeObjectURL).toHaveBeenCalledWith("blob:test/1");
  });

  it("applies the initial tag and run filters and shows status and error", () => {
    const model = newModel();
    model.attrs.tag_filter = "^acc";
    model.attrs.run_filter = "ev";
    model.attrs.status = "no_runs";
    const el = document.createElement("div");
    const cleanup = widget.render({ model, el });
    expect(el.querySelector(".tbx-empty")?.textContent).toMatch(/No event files in runs\/exp/);
    model.set("error", "boom: cannot read");
    expect(el.querySelector(".tbx-error")?.textContent).toBe("boom: cannot read");
    model.set("height", 300);
    expect((el.querySelector(".tbx-dashboard") as HTMLElement).style.height).toBe("300px");

    sendFirstBatch(model);
    attach(model).store.flush();
    const root = el.querySelector(".tbx-dashboard") as HTMLElement;
    expect(cards(root, "scalars")).toEqual(["acc/top1"]);
    expect(cards(root, "text")).toEqual([]);
    expect([...root.querySelectorAll(".tbx-run-name")].map((s) => s.textContent)).toEqual(["eval"]);

    const tagInput = root.querySelector('input[aria-label="tag filter"]') as HTMLInputElement;
    tagInput.value = "nomatch";
    tagInput.dispatchEvent(new Event("input"));
    expect(root.querySelector(".tbx-empty")?.textContent).toMatch(/No tags match/);
    cleanup();
  });

  it("shares one store between two views of the same model", () => {
    const model = newModel();
    widget.initialize({ model });
    const a = document.createElement("div");
    const b = document.createElement("div");
    const c1 = widget.render({ model, el: a });
    sendFirstBatch(model);
    const c2 = widget.render({ model, el: b });
    attach(model).store.flush();
    expect((b.querySelector(".tbx-dashboard") as HTMLElement).dataset.tbxEvents).toBe("10");
    expect(cards(b, "scalars").sort()).toEqual(["acc/top1", "loss"]);
    c1();
    c2();
  });
});

describe("text is sanitised", () => {
  it("renders Markdown without scripts or event handlers", () => {
    const host = document.createElement("div");
    host.append(renderMarkdown(XSS));
    const html = host.innerHTML;
    expect(html).not.toMatch(/onerror/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/javascript:/i);
    expect(host.querySelector("strong")?.textContent).toBe("bold");
  });

  it("never runs logged text inside the dashboard", async () => {
    const model = newModel();
    const el = document.createElement("div");
    document.body.append(el);
    const cleanup = widget.render({ model, el });
    sendFirstBatch(model);
    attach(model).store.flush();
    await new Promise((r) => setTimeout(r, 20));
    const card = el.querySelector('[data-tbx-kind="text"]') as HTMLElement;
    expect(card.querySelector(".tbx-markdown strong")?.textContent).toBe("bold");
    expect(card.innerHTML).not.toMatch(/onerror|<script/i);
    expect((window as { __tbxPwned?: number }).__tbxPwned).toBeUndefined();
    cleanup();
  });

  it("shows run names and tags as text, not HTML", () => {
    const model = newModel();
    const el = document.createElement("div");
    const cleanup = widget.render({ model, el });
    const { msg, buffers } = new BatchBuilder().scalars("<b>r</b>", "<i>t</i>", [0], [1]).build(1, true, ["<b>r</b>"]);
    model.emit("msg:custom", msg, buffers);
    attach(model).store.flush();
    expect(el.querySelector("b")).toBeNull();
    expect(el.querySelector("i")).toBeNull();
    expect(el.querySelector(".tbx-run-name")?.textContent).toBe("<b>r</b>");
    expect(cards(el, "scalars")).toEqual(["<i>t</i>"]);
    cleanup();
  });
});

describe("images", () => {
  it("follows the newest step and revokes replaced object URLs", () => {
    const model = newModel();
    const el = document.createElement("div");
    const cleanup = widget.render({ model, el });
    const send = (seq: number, step: number) => {
      const { msg, buffers } = new BatchBuilder().images("r", "img", step, new Uint8Array([step])).build(seq, seq === 1, ["r"]);
      model.emit("msg:custom", msg, buffers);
      attach(model).store.flush();
    };
    send(1, 1);
    const img = () => el.querySelector('[data-tbx-kind="images"] img') as HTMLImageElement;
    expect(img().alt).toBe("img/1");
    const first = img().src;
    send(2, 2);
    expect(img().alt).toBe("img/2");
    expect(URL.revokeObjectURL).toHaveBeenCalledWith(first);
    cleanup();
  });
});
