// The workflow panel's one enhancement: picking a 常用意见 copies it into the opinion box (appended when
// something is typed there already).  Without JavaScript the chosen phrase is sent as `phrase` and the
// server uses it when the opinion box is empty.
(function () {
  "use strict";

  function init(select) {
    var target = document.getElementById(select.getAttribute("data-target"));
    if (!target || select.getAttribute("data-enhanced")) return;
    select.setAttribute("data-enhanced", "true");
    select.removeAttribute("name"); // the opinion box carries the text now
    select.addEventListener("change", function () {
      var phrase = select.value;
      if (!phrase) return;
      var current = target.value.replace(/\s+$/, "");
      target.value = current ? current + "\n" + phrase : phrase;
      select.value = "";
      target.focus();
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("select.wf-phrases[data-target]"), init);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
