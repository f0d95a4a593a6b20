// Driving a card's or the toolbar's form controls in tests as a user would.

/** Set the control `selector` under `root`: its value (a string) or, for a checkbox, its checked
 *  state (a boolean); then send the `event` the page listens for. Returns the control. */
export function setControl<E extends HTMLInputElement | HTMLSelectElement = HTMLInputElement>(
  root: ParentNode,
  selector: string,
  value: string | boolean,
  event: "change" | "input" = "change",
): E {
  const el = root.querySelector(selector) as E | null;
  if (!el) throw new Error(`setControl: nothing matches ${selector}`);
  if (typeof value === "boolean") (el as HTMLInputElement).checked = value;
  else el.value = value;
  el.dispatchEvent(new Event(event));
  return el;
}
