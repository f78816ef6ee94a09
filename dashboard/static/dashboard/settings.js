// The project's htmx config swaps 2xx and 400 answers only. The settings sections marked
// data-swap-conflicts answer 409 (a run already going, the last owner) and 429 (too many runs)
// with their own content and a message saying why: show it instead of dropping it.
document.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  const source = event.detail.requestConfig && event.detail.requestConfig.elt;
  if ((status === 409 || status === 429) && source && source.closest("[data-swap-conflicts]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
