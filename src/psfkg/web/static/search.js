// Suggestions as one types in the header's search box: a listbox of links under it (ARIA
// combobox). The box is a plain GET form, so search works without this script.
(function () {
  "use strict";
  var input = document.getElementById("site-search");
  var list = document.getElementById("site-search-options");
  if (!input || !list || !window.fetch) return;
  var source = input.getAttribute("data-suggest");
  var timer = null, asked = "", active = -1;

  function options() { return list.querySelectorAll("[role=option]"); }

  function close() {
    list.hidden = true;
    list.textContent = "";
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function show(labels, descriptions, urls) {
    list.textContent = "";
    active = -1;
    labels.forEach(function (label, i) {
      if (!/^https?:\/\//.test(urls[i] || "")) return;
      var option = document.createElement("li");
      option.id = "site-search-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      var link = document.createElement("a");
      link.href = urls[i];
      link.tabIndex = -1;
      link.textContent = label;
      option.appendChild(link);
      if (descriptions[i]) {
        var detail = document.createElement("span");
        detail.textContent = descriptions[i];
        option.appendChild(detail);
      }
      list.appendChild(option);
    });
    var any = options().length > 0;
    list.hidden = !any;
    input.setAttribute("aria-expanded", any ? "true" : "false");
  }

  function ask() {
    var q = input.value.trim();
    if (q === asked) return;
    asked = q;
    if (!q) { close(); return; }
    fetch(source + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/x-suggestions+json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (answer && answer[0] === asked && input === document.activeElement) show(answer[1], answer[2], answer[3]);
      })
      .catch(close);
  }

  function move(step) {
    var all = options();
    if (!all.length) return;
    if (active >= 0) all[active].setAttribute("aria-selected", "false");
    active = (active + step + all.length) % all.length;
    all[active].setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", all[active].id);
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 120);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") { event.preventDefault(); move(1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); move(-1); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      window.location.href = options()[active].querySelector("a").href;
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 200); });
  list.addEventListener("mousedown", function (event) { event.preventDefault(); });
})();
