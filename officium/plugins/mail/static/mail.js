// 电子邮件: a small rich-text editor over the body textarea, and draft autosave.  The page works without it.
(function () {
  "use strict";

  function initEditor(form) {
    var textarea = form.querySelector("textarea[data-rich]");
    var bar = form.querySelector("[data-editor-bar]");
    if (!textarea || !bar || typeof document.execCommand !== "function") return null;
    var editor = document.createElement("div");
    editor.className = "mail-editor";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.setAttribute("aria-label", "正文");
    var value = textarea.value;
    if (value.indexOf("<") === -1) {
      editor.textContent = value;
    } else {
      // the server sanitised this HTML before storing it; parse it inertly and copy the nodes
      var parsed = new DOMParser().parseFromString(value, "text/html");
      Array.prototype.forEach.call(parsed.body.childNodes, function (node) {
        editor.appendChild(document.importNode(node, true));
      });
    }
    textarea.hidden = true;
    textarea.parentNode.insertBefore(editor, textarea);
    var label = form.querySelector("label[for=f-body]");
    if (label) label.removeAttribute("for");
    bar.hidden = false;
    Array.prototype.forEach.call(bar.querySelectorAll("[data-cmd]"), function (button) {
      button.addEventListener("click", function () {
        editor.focus();
        document.execCommand(button.getAttribute("data-cmd"), false, null);
        sync();
      });
    });
    function sync() {
      textarea.value = editor.innerHTML;
    }
    editor.addEventListener("input", sync);
    form.addEventListener("submit", sync);
    return sync;
  }

  function initAutosave(form, sync) {
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
      if (sync) sync();
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
    var sync = initEditor(form);
    initAutosave(form, sync);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
