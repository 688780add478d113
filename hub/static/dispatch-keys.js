// Keyboard shortcuts of the dispatch screen. They act on the selected alarm, never while the
// dispatcher is typing (inputs, selects, text areas) or while a dialog is open (there Escape
// closes the dialog, as browsers do for <dialog>).

const STEP_KEYS = { a: "acknowledged", d: "dispatched", o: "on_site", r: "resolved", n: "note" };
const MOVE_KEYS = { j: 1, ArrowDown: 1, k: -1, ArrowUp: -1 };

function typing(target) {
  if (!(target instanceof Element)) return false;
  if (target.isContentEditable) return true;
  return Boolean(target.closest("input, textarea, select, [contenteditable='true']"));
}

/** `step(name)` for A/D/O/R/N, `move(+1 | -1)` for J/K and the arrow keys. */
export function setUpKeys({ step, move }) {
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key in STEP_KEYS) {
      if (event.repeat) return; // a held key must not take two steps
      event.preventDefault();
      step(STEP_KEYS[key]);
    } else if (key in MOVE_KEYS) {
      event.preventDefault();
      move(MOVE_KEYS[key]);
    }
  });
}
