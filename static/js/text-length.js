// The live counter's verdict on the field it counts (ideas/web/text_length.py): each count says
// in an HX-Trigger event whether the text is over its limit, and the field's input is marked
// aria-invalid while it is, as the server's 422 marks it. htmx swaps only the note's words: it
// cannot set an attribute on another element, and swapping the input itself would lose what is
// typed while the count is on its way. The input is the one the note describes.
document.addEventListener("textCounted", (event) => {
  const note = event.target;
  const input = document.querySelector(`[aria-describedby~="${CSS.escape(note.id)}"]`);
  if (input === null) return;
  // Once the text has changed, the count judges it: an older 422 spoke of the text before.
  if (event.detail.tooLong) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
});
