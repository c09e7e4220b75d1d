// 公告板: a small rich-text editor over the body textarea (headings, emphasis, lists, links; pasted Word or
// web content keeps its structure and is cleaned on the server).  Without JavaScript the textarea is used.
(function () {
  "use strict";

  function init(form) {
    var textarea = form.querySelector("textarea[data-rich]");
    var bar = form.querySelector("[data-editor-bar]");
    if (!textarea || !bar || typeof document.execCommand !== "function") return;
    var editor = document.createElement("div");
    editor.className = "bulletin-editor rich-text";
    editor.contentEditable = "true";
    editor.setAttribute("role", "textbox");
    editor.setAttribute("aria-multiline", "true");
    editor.setAttribute("aria-label", "正文");
    var value = textarea.value;
    if (value.indexOf("<") === -1) {
      editor.textContent = value;
    } else {
      // the server sanitised this HTML before showing it; parse it inertly and copy the nodes
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
    function sync() {
      textarea.value = editor.innerHTML;
    }
    Array.prototype.forEach.call(bar.querySelectorAll("[data-cmd]"), function (button) {
      button.addEventListener("click", function () {
        var cmd = button.getAttribute("data-cmd");
        var arg = button.getAttribute("data-arg");
        editor.focus();
        if (cmd === "createLink") {
          arg = window.prompt("链接地址（http:// 或 https:// 开头）", "https://");
          if (!arg) return;
        }
        document.execCommand(cmd, false, arg);
        sync();
      });
    });
    editor.addEventListener("input", sync);
    form.addEventListener("submit", sync);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-bulletin-form]"), init);
  });
})();
