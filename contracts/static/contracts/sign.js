// The drawn signature on the customer's contract page. Without JavaScript the pad stays hidden and
// the typed name alone is the signature; with it, a drawing is asked for and sent as a PNG data URL.
(function () {
  "use strict";
  var form = document.getElementById("sign-form");
  if (!form || typeof window.SignaturePad === "undefined") {
    return;
  }
  var wrapper = form.querySelector("[data-pad]");
  var canvas = wrapper.querySelector("canvas");
  var field = form.querySelector("input[name=signature]");
  var message = wrapper.querySelector("[data-pad-message]");
  wrapper.hidden = false;
  var pad = new window.SignaturePad(canvas);

  // Size the drawing surface to the canvas's displayed size at the screen's pixel density, so
  // strokes land under the finger and stay sharp; redraw what was there after a rotation.
  function resize() {
    var ratio = Math.max(window.devicePixelRatio || 1, 1);
    var strokes = pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    pad.fromData(strokes);
  }
  window.addEventListener("resize", resize);
  resize();

  pad.addEventListener("endStroke", function () {
    message.hidden = true;
  });
  wrapper.querySelector("[data-pad-clear]").addEventListener("click", function () {
    pad.clear();
    field.value = "";
  });
  form.addEventListener("submit", function (event) {
    if (pad.isEmpty()) {
      event.preventDefault();
      message.hidden = false;
      canvas.scrollIntoView({ block: "center" });
      return;
    }
    field.value = pad.toDataURL("image/png");
  });
})();
