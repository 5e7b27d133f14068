// The @mention suggestion list (ideas/web/mentions.py): a click on "@handle — Name" puts
// "@handle " in place of the "@word" being typed at the end of the text box the list belongs to
// (the list's data-mention-for names the box), then empties the list and gives the box the focus.
// No inline script and no eval: the page's CSP allows neither.
document.addEventListener("click", (event) => {
  const choice = event.target instanceof Element ? event.target.closest("[data-mention-handle]") : null;
  if (choice === null) return;
  const list = choice.closest("[data-mention-for]");
  const box = list === null ? null : document.getElementById(list.dataset.mentionFor);
  if (box === null) return;
  event.preventDefault();
  const handle = choice.dataset.mentionHandle;
  const typed = /(^|[^\p{L}\p{N}_@])@[A-Za-z0-9_]*$/u.exec(box.value);
  const start = typed === null ? box.value.length : typed.index + typed[1].length;
  const gap = typed === null && box.value !== "" && !/\s$/.test(box.value) ? " " : "";
  box.value = `${box.value.slice(0, start)}${gap}@${handle} `;
  list.replaceChildren();
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
  // The live character counter hears of the new text as of any typing.
  box.dispatchEvent(new Event("input", { bubbles: true }));
});
