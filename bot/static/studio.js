// The flow editor's tabs (Form / YAML). Without this script both show, one after the other.
(function () {
  "use strict";
  var bar = document.querySelector(".tabs");
  if (!bar) return;
  var buttons = bar.querySelectorAll("[data-tab]");
  function show(name) {
    buttons.forEach(function (button) {
      var on = button.getAttribute("data-tab") === name;
      button.setAttribute("aria-selected", on ? "true" : "false");
      button.tabIndex = on ? 0 : -1;
      document.getElementById("tab-" + name).hidden = false;
      document.getElementById("tab-" + button.getAttribute("data-tab")).hidden = !on;
    });
  }
  buttons.forEach(function (button, index) {
    button.addEventListener("click", function () { show(button.getAttribute("data-tab")); });
    button.addEventListener("keydown", function (event) {
      if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
      var next = buttons[(index + (event.key === "ArrowRight" ? 1 : buttons.length - 1)) % buttons.length];
      next.focus();
      show(next.getAttribute("data-tab"));
    });
  });
  bar.hidden = false;
  var active = bar.querySelector('[aria-selected="true"]') || buttons[0];
  show(active.getAttribute("data-tab"));
})();
