// The agent-access page: "Copy" buttons put the text of the element named by data-copy on the
// clipboard (the token and its client configuration are shown once). Listening on the document
// keeps working after htmx swaps the page's body.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  const label = button.textContent;
  navigator.clipboard.writeText(source.textContent.trim()).then(
    () => {
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 2000);
    },
    () => { button.textContent = "Select and copy by hand"; },
  );
});
