// Entry point of the tbx_widget front end (anywidget ESM module).
// The dashboard views are added by later work; this renders the root the tests hook onto.
import "./style.css";

type Model = { get(name: string): unknown };

function render({ model, el }: { model: Model; el: HTMLElement }): () => void {
  const root = document.createElement("div");
  root.className = "tbx-dashboard";
  root.dataset.tbxEvents = "0";
  const empty = document.createElement("div");
  empty.className = "tbx-empty";
  empty.textContent = `Logdir: ${String(model.get("logdir") ?? "")}`;
  root.appendChild(empty);
  el.appendChild(root);
  return () => root.remove();
}

export default { render };
