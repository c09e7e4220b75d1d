// 请假表单: count the days as the dates change (GET /api/v1/leave/count), and show the document field
// only for the types that need one.  Without this script the form still works; the server counts.
(function () {
  "use strict";
  function value(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var el = form.querySelector('[name="' + name + '"]');
    return el && el.type !== "radio" ? el.value : "";
  }
  function setup(form) {
    var out = form.querySelector("[data-leave-count]");
    var docField = form.querySelector("[data-document-field]");
    var maternityField = form.querySelector("[data-maternity-field]");
    var travelField = form.querySelector("[data-travel-field]");
    var travelTypes = (form.getAttribute("data-travel-types") || "").split(",");
    var docTypes = (form.getAttribute("data-document-types") || "").split(",");
    var timer = null;
    // Each count request gets a number; only the answer to the latest one is shown, so a slow answer to an
    // earlier state of the form (another type, other dates) never overwrites the count of the current one.
    var latest = 0;
    function update() {
      var ticket = ++latest;
      var type = value(form, "leave_type");
      if (docField) { docField.hidden = docTypes.indexOf(type) < 0; }
      if (maternityField) { maternityField.hidden = type !== "maternity"; }
      if (travelField) { travelField.hidden = travelTypes.indexOf(type) < 0; }
      var params = new URLSearchParams({
        leave_type: type,
        start_date: value(form, "start_date"),
        start_half: value(form, "start_half") || "am",
        end_date: value(form, "end_date") || value(form, "start_date"),
        end_half: value(form, "end_half") || "pm"
      });
      if (type === "maternity") {
        params.set("circumstance", value(form, "circumstance") || "birth");
        params.set("extra_babies", value(form, "extra_babies") || "0");
      }
      if (travelTypes.indexOf(type) >= 0) { params.set("travel_days", value(form, "travel_days") || "0"); }
      var user = value(form, "user");
      if (user) { params.set("user", user); }
      if (!type || !params.get("start_date")) { out.textContent = ""; return; }
      fetch(form.getAttribute("data-count-url") + "?" + params.toString(), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (ticket !== latest) { return; }
          if (!data.ok) { out.textContent = data.message || ""; out.className = "leave-count field-error"; return; }
          var text = data.text + "；审批：" + data.chain_title;
          if (data.available !== null && data.available !== undefined) { text += "；可用 " + data.available + " 天"; }
          if (data.warning) { text += "。" + data.warning; }
          out.textContent = text;
          out.className = "leave-count" + (data.warning ? " field-error" : "");
        })
        .catch(function () { if (ticket === latest) { out.textContent = ""; } });
    }
    form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(update, 150); });
    update();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-leave-form]").forEach(setup);
  });
})();
