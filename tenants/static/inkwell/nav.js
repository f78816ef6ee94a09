// On a phone the main navigation scrolls sideways: bring the current page's link into view, so the
// owner sees where they are (Settings is off-screen otherwise).
document.addEventListener("DOMContentLoaded", function () {
  var current = document.querySelector('nav[aria-label="Main"] [aria-current="page"]');
  if (current) current.scrollIntoView({ block: "nearest", inline: "center" });
});
