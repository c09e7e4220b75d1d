// 新建变更申请: show only the fields of the chosen kind.  Without this script every fieldset is shown
// and the server uses the ones of the chosen kind.
(function () {
  "use strict";
  function setup(form) {
    var radios = form.querySelectorAll('input[name="kind"]');
    var groups = form.querySelectorAll("fieldset[data-kind]");
    function update() {
      var chosen = "";
      radios.forEach(function (r) { if (r.checked) { chosen = r.value; } });
      groups.forEach(function (g) {
        var on = g.getAttribute("data-kind") === chosen;
        g.hidden = !on;
        g.disabled = !on;
      });
    }
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-change-form]").forEach(setup);
  });
})();
