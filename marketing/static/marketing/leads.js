// The leads page: when a lead's details open in the panel next to the list, move the keyboard focus
// to the panel's heading so keyboard and screen-reader users land on what they asked for.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "lead-panel") return;
    var heading = target.querySelector(".panel-title");
    if (heading && event.detail.requestConfig && event.detail.requestConfig.verb === "get") heading.focus();
  });
})();
