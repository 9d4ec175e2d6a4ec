// The query page: load an example into the editor, and run queries in place with fetch().
// No library and no network beyond this site. Without JavaScript the form still works (GET).
"use strict";
(function () {
  const form = document.getElementById("query-form");
  const textarea = document.getElementById("query");
  const select = document.querySelector("[data-examples]");
  const status = document.getElementById("status");
  const results = document.getElementById("results");
  if (!form || !textarea) return;

  select.addEventListener("change", function () {
    const template = document.getElementById("example-" + select.value);
    if (template) textarea.value = template.content ? template.content.textContent : template.textContent;
  });

  const base = form.dataset.base || "";
  // The path prefix the site is served under (behind a proxy, say): every link starts with it.
  const meta = document.querySelector('meta[name="psfkg-root"]');
  const site = location.origin + (meta ? meta.content : "");

  function link(text, href) {
    const a = document.createElement("a");
    a.textContent = text;
    // IRIs the graph mints link to this site, wherever it is served.
    if (base && href.startsWith(base)) href = site + "/" + href.slice(base.length);
    // Only links to this site or to http(s) IRIs: never javascript: or data:.
    if (/^https?:\/\//.test(href)) a.href = href;
    return a;
  }

  function render(data) {
    results.replaceChildren();
    const h = document.createElement("h2");
    h.id = "results-h";
    h.textContent = "Results";
    results.append(h);
    const query = encodeURIComponent(textarea.value);
    const p = document.createElement("p");
    p.append("Download: ", link("CSV", site + "/sparql?format=csv&query=" + query), " · ",
             link("JSON", site + "/sparql?format=json&query=" + query), " · share: ",
             link("this query's URL", site + "/query?query=" + query));
    results.append(p);
    if (typeof data.boolean === "boolean") {
      const answer = document.createElement("p");
      answer.textContent = "Answer: " + (data.boolean ? "yes" : "no");
      results.append(answer);
      return;
    }
    const vars = data.head.vars;
    const table = document.createElement("table");
    const caption = table.createCaption();
    caption.textContent = data.results.bindings.length + " row(s)";
    const head = table.createTHead().insertRow();
    vars.forEach(function (v) { const th = document.createElement("th"); th.scope = "col"; th.textContent = v; head.append(th); });
    const body = table.createTBody();
    data.results.bindings.forEach(function (b) {
      const row = body.insertRow();
      vars.forEach(function (v) {
        const cell = row.insertCell();
        const term = b[v];
        if (!term) return;
        cell.append(term.type === "uri" ? link(term.value, term.value) : document.createTextNode(term.value));
      });
    });
    results.append(table);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    status.textContent = "Running…";
    history.replaceState(null, "", site + "/query?query=" + encodeURIComponent(textarea.value));
    fetch(site + "/sparql", {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json" },
      body: textarea.value,
    }).then(function (response) {
      if (!response.ok) return response.text().then(function (text) { throw new Error(text); });
      return response.json();
    }).then(function (data) {
      status.textContent = "Done.";
      render(data);
    }).catch(function (error) {
      status.textContent = "";
      results.replaceChildren();
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = error.message;
      results.append(p);
    });
  });
})();
