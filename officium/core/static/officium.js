// Officium's one script.  Every page works without it; it only enhances what the server rendered:
// the navigation toggle on narrow screens, the confirmation dialog before destructive actions, the person
// picker (search over /api/v1/core/people), the file field's name/size/type feedback and the small
// rich-text editor over a body textarea (``textarea[data-rich]`` with a ``[data-editor-bar]`` of buttons).
// Loaded in <head> without defer so that the "js" class is set before the page is painted.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // ------------------------------------------------------------------------------------ navigation
  function initNavToggle() {
    var button = document.querySelector(".nav-toggle");
    var nav = document.getElementById("sidenav");
    if (!button || !nav) return;
    function setOpen(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
    }
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      setOpen(open);
      if (open) {
        var first = nav.querySelector("a");
        if (first) first.focus();
      }
    });
    nav.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && nav.classList.contains("open")) {
        setOpen(false);
        button.focus();
      }
    });
  }

  // --------------------------------------------------------------------------- confirmation dialog
  var confirmed = typeof WeakSet === "function" ? new WeakSet() : null;
  var dialog = null;

  function buildDialog() {
    var d = document.createElement("dialog");
    d.className = "confirm-dialog";
    d.setAttribute("aria-labelledby", "confirm-dialog-title");
    d.setAttribute("aria-describedby", "confirm-dialog-text");
    d.innerHTML =
      '<h2 id="confirm-dialog-title">请确认</h2><p id="confirm-dialog-text"></p>' +
      '<div class="dialog-actions"><button type="button" class="secondary" data-answer="no">取消</button>' +
      '<button type="button" class="danger" data-answer="yes"></button></div>';
    document.body.appendChild(d);
    return d;
  }

  function ask(question, action, done) {
    if (!dialog) dialog = buildDialog();
    dialog.querySelector("#confirm-dialog-text").textContent = question;
    dialog.querySelector('[data-answer="yes"]').textContent = "确定" + (action || "");
    var answered = false;
    function finish(yes) {
      if (answered) return;
      answered = true;
      dialog.removeEventListener("click", onClick);
      dialog.removeEventListener("close", onClose);
      if (dialog.open) dialog.close();
      done(yes);
    }
    function onClick(event) {
      var answer = event.target.getAttribute && event.target.getAttribute("data-answer");
      if (answer) finish(answer === "yes");
    }
    function onClose() {
      finish(false); // Escape, or closed some other way
    }
    dialog.addEventListener("click", onClick);
    dialog.addEventListener("close", onClose);
    dialog.showModal();
    dialog.querySelector('[data-answer="no"]').focus(); // the safe answer has the focus
  }

  function submitAgain(form, submitter) {
    if (confirmed) confirmed.add(form);
    if (form.requestSubmit) form.requestSubmit(submitter || undefined);
    else form.submit();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (!question) return;
    if (confirmed && confirmed.has(form)) {
      confirmed.delete(form);
      return;
    }
    event.preventDefault();
    var submitter = event.submitter || form.querySelector("[type=submit]");
    var supported = typeof HTMLDialogElement === "function" && confirmed;
    if (!supported) {
      if (window.confirm(question)) submitAgain(form, submitter);
      return;
    }
    ask(question, submitter ? submitter.textContent.trim() : "", function (yes) {
      if (yes) submitAgain(form, submitter);
      else if (submitter) submitter.focus();
    });
  });

  // -------------------------------------------------------------------------------- person picker
  var SEPARATORS = /[\s,，、;；]+/;

  function initPicker(root) {
    var input = root.querySelector("input[type=text]");
    if (!input || root.getAttribute("data-enhanced")) return;
    root.setAttribute("data-enhanced", "true");
    var multiple = root.getAttribute("data-multiple") === "true";
    var source = root.getAttribute("data-source");
    var labels = {};
    try {
      labels = JSON.parse(root.getAttribute("data-labels") || "{}") || {};
    } catch (e) {
      labels = {};
    }
    var chosen = input.value
      .split(SEPARATORS)
      .filter(Boolean)
      .map(function (u) {
        return { username: u, label: labels[u] || u };
      });
    var listId = input.id + "-listbox";
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = input.name;
    input.removeAttribute("name");
    input.value = "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.removeAttribute("required"); // the hidden field carries the value; the server checks it

    var chips = document.createElement("ul");
    chips.className = "chips";
    chips.setAttribute("aria-label", "已选择");
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "查找结果");
    list.hidden = true;
    var status = document.createElement("p");
    status.className = "sr-only";
    status.setAttribute("aria-live", "polite");
    input.parentNode.insertBefore(chips, input);
    input.parentNode.insertBefore(hidden, input.nextSibling);
    hidden.parentNode.insertBefore(list, hidden.nextSibling);
    list.parentNode.insertBefore(status, list.nextSibling);
    var hint = root.querySelector(".hint");
    if (hint) {
      hint.textContent =
        "输入姓名、拼音首字母（如 wjg）或单位查找，用 ↑↓ 键选择，回车确认" +
        (multiple ? "，可选多人；按退格键可移除最后一人。" : "。");
    }

    var results = [];
    var active = -1;
    var timer = null;
    var sequence = 0;

    function sync() {
      hidden.value = chosen
        .map(function (p) {
          return p.username;
        })
        .join(",");
      chips.textContent = "";
      chosen.forEach(function (person, index) {
        var chip = document.createElement("li");
        chip.className = "chip";
        var text = document.createElement("span");
        text.textContent = person.label;
        var remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", "移除 " + person.label);
        remove.addEventListener("click", function () {
          chosen.splice(index, 1);
          sync();
          status.textContent = "已移除 " + person.label;
          input.focus();
        });
        chip.appendChild(text);
        chip.appendChild(remove);
        chips.appendChild(chip);
      });
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      results = [];
      active = -1;
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      if (!options.length) return;
      active = (index + options.length) % options.length;
      Array.prototype.forEach.call(options, function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function choose(person) {
      var label = person.name + (person.unit ? "（" + person.unit + "）" : "");
      var already = chosen.some(function (p) {
        return p.username === person.username;
      });
      if (!multiple) chosen = [];
      if (!already || !multiple) chosen.push({ username: person.username, label: label });
      input.value = "";
      close();
      sync();
      status.textContent = "已选择 " + label;
      input.focus();
    }

    function show(items) {
      list.textContent = "";
      results = items;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      if (!items.length) {
        var none = document.createElement("li");
        none.className = "none";
        none.textContent = "没有找到匹配的人员";
        list.appendChild(none);
      }
      items.forEach(function (person, i) {
        var option = document.createElement("li");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = person.name;
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = [person.unit, person.position, person.username].filter(Boolean).join(" · ");
        option.appendChild(meta);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the input
          choose(person);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = items.length ? "找到 " + items.length + " 人，用上下键选择" : "没有找到匹配的人员";
    }

    function search() {
      var q = input.value.trim();
      if (!q) {
        close();
        return;
      }
      var mine = ++sequence;
      fetch(source + "?per_page=10&q=" + encodeURIComponent(q), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : { items: [] };
        })
        .then(function (body) {
          if (mine === sequence && document.activeElement === input) show(body.items || []);
        })
        .catch(function () {
          status.textContent = "查找失败，请稍后重试，或直接输入用户名。";
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 200);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && results.length > 0;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (open) highlight(active + (event.key === "ArrowDown" ? 1 : -1));
        else search();
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(results[active]);
        } else if (open && results.length === 1) {
          event.preventDefault();
          choose(results[0]);
        } else if (!list.hidden) {
          event.preventDefault();
        }
      } else if (event.key === "Escape") {
        if (!list.hidden) {
          event.preventDefault();
          close();
        }
      } else if (event.key === "Backspace" && input.value === "" && chosen.length) {
        var removed = chosen.pop();
        sync();
        status.textContent = "已移除 " + removed.label;
      }
    });
    input.addEventListener("blur", close);
    sync();
  }

  // ----------------------------------------------------------------------------------- file field
  function formatSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function accepted(file, patterns) {
    var name = file.name.toLowerCase();
    var type = (file.type || "").toLowerCase();
    return patterns.some(function (p) {
      if (p.charAt(0) === ".") return name.slice(-p.length) === p;
      if (p.slice(-2) === "/*") return type.indexOf(p.slice(0, -1)) === 0;
      return type === p;
    });
  }

  function initFileField(root) {
    var input = root.querySelector("input[type=file]");
    var list = root.querySelector(".file-list");
    if (!input || !list) return;
    var max = parseInt(root.getAttribute("data-max-bytes") || "0", 10);
    var patterns = (input.getAttribute("accept") || "")
      .split(",")
      .map(function (s) {
        return s.trim().toLowerCase();
      })
      .filter(Boolean);
    input.addEventListener("change", function () {
      list.textContent = "";
      var problems = 0;
      Array.prototype.forEach.call(input.files, function (file) {
        var item = document.createElement("li");
        var problem = "";
        if (patterns.length && !accepted(file, patterns)) problem = "不允许的文件类型";
        else if (max && file.size > max) problem = "超过 " + formatSize(max) + " 的大小限制";
        item.textContent = file.name + "（" + formatSize(file.size) + "）" + (problem ? "：" + problem : "");
        if (problem) {
          item.className = "field-error";
          problems += 1;
        }
        list.appendChild(item);
      });
      root.setAttribute("data-invalid", problems ? "true" : "false");
      input.setAttribute("aria-invalid", problems ? "true" : "false");
      root.classList.toggle("has-error", problems > 0);
    });
  }

  // A form holding a refused file is not sent: the user sees why beside the field.  Listening in the
  // capture phase runs this before the confirmation handler, so no dialog asks about a form that cannot go.
  document.addEventListener(
    "submit",
    function (event) {
      var bad = event.target.querySelector && event.target.querySelector('[data-file-field][data-invalid="true"]');
      if (bad) {
        event.preventDefault();
        event.stopImmediatePropagation();
        bad.querySelector("input[type=file]").focus();
      }
    },
    true
  );

  // ------------------------------------------------------------------------------- rich-text editor
  // Headings, emphasis, lists and links over a form's ``textarea[data-rich]``; the toolbar is the form's
  // ``[data-editor-bar]`` with ``data-cmd`` (and ``data-arg``) buttons.  The HTML goes back in the
  // textarea and is sanitised on the server; without JavaScript the plain textarea is used.  The value of
  // ``data-rich`` adds the module's own classes to the editing area.
  function initRichEditor(textarea) {
    var form = textarea.form;
    var bar = form && form.querySelector("[data-editor-bar]");
    if (!bar || typeof document.execCommand !== "function") return;
    var editor = document.createElement("div");
    editor.className = ("rich-editor " + (textarea.getAttribute("data-rich") || "")).trim();
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
    var label = textarea.id && form.querySelector('label[for="' + textarea.id + '"]');
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
    initNavToggle();
    Array.prototype.forEach.call(document.querySelectorAll("[data-picker]"), initPicker);
    Array.prototype.forEach.call(document.querySelectorAll("[data-file-field]"), initFileField);
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-rich]"), initRichEditor);
  });
})();
