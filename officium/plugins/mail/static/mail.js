// 电子邮件: draft autosave (the body editor is the core's, in officium.js).  The page works without it.
(function () {
  "use strict";

  function initAutosave(form) {
    var url = form.getAttribute("data-autosave");
    var draftField = form.querySelector("[data-draft-id]");
    var status = form.querySelector("[data-autosave-status]");
    if (!url || !draftField || !window.fetch || !window.FormData) return;
    var dirty = false;
    var busy = false;
    form.addEventListener("input", function () {
      dirty = true;
    });
    form.addEventListener("change", function () {
      dirty = true;
    });
    function save() {
      if (!dirty || busy) return;
      var data = new FormData(form);
      data.delete("attachments"); // files go with the explicit 发送 / 存草稿 only
      data.delete("action");
      busy = true;
      dirty = false;
      fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) {
            return { ok: response.ok, body: body };
          });
        })
        .then(function (result) {
          if (result.ok && result.body && result.body.id) {
            draftField.value = String(result.body.id);
            var now = new Date();
            status.textContent =
              "草稿已自动保存（" + now.getHours() + ":" + String(now.getMinutes()).padStart(2, "0") + "）";
          } else if (result.body && result.body.error) {
            status.textContent = "草稿未能自动保存：" + result.body.error.message;
          }
        })
        .catch(function () {
          status.textContent = "草稿未能自动保存，请稍后手动保存。";
          dirty = true;
        })
        .then(function () {
          busy = false;
        });
    }
    window.setInterval(save, 30000);
  }

  function init() {
    var form = document.querySelector("form.mail-compose");
    if (!form) return;
    initAutosave(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
