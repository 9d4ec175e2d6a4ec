// The query page: YASGUI (vendored, served by this site) set up for psfkg from the settings the
// page embeds (psfkg.web.editor.settings). Nothing here reaches beyond this site: prefixes come
// from the page, classes and properties from /query/terms.json, resources from /search.json.
// Without JavaScript, or if YASGUI fails to load, the GET form below it does the work.
"use strict";
(function () {
  const holder = document.getElementById("editor");
  const form = document.getElementById("query-form");
  const data = document.getElementById("editor-settings");
  if (!holder || !form || !data || typeof Yasgui === "undefined") return;
  const settings = JSON.parse(data.textContent);
  const endpoint = new URL(settings.endpoint, location.href).href;
  const Yasqe = Yasgui.Yasqe;

  // Labels of the terms offered, by IRI, to show beside each suggestion.
  const labels = new Map();
  let terms = null;
  function loadTerms() {
    if (!terms) {
      terms = fetch(settings.terms).then(function (r) { return r.ok ? r.json() : { classes: [], properties: [] }; })
        .catch(function () { return { classes: [], properties: [] }; })
        .then(function (found) {
          found.classes.concat(found.properties).forEach(function (t) { labels.set(t.iri, t.label); });
          return found;
        });
    }
    return terms;
  }
  function iriOf(yasqe, text) {
    if (text.startsWith("<")) return text.slice(1, -1);
    const colon = text.indexOf(":");
    const ns = yasqe.getPrefixesFromQuery()[text.slice(0, colon)];
    return ns ? ns + text.slice(colon + 1) : text;
  }
  function labelled(yasqe, hints) {
    return hints.map(function (hint) {
      const label = labels.get(iriOf(yasqe, hint.text));
      return label ? Object.assign({}, hint, { displayText: hint.text + "  " + label }) : hint;
    });
  }

  // psfkg's prefixes, offered after PREFIX and added on their own when a prefixed name is typed.
  Yasqe.forkAutocompleter("prefixes", {
    name: "psfkgPrefixes",
    persistenceId: null,
    get: function () {
      return Object.keys(settings.prefixes).sort().map(function (p) { return p + ": <" + settings.prefixes[p] + ">"; });
    },
  }, false);
  Yasqe.forkAutocompleter("class", {
    name: "psfkgClasses",
    bulk: true,
    autoShow: true,
    persistenceId: null,
    get: function () { return loadTerms().then(function (t) { return t.classes.map(function (c) { return c.iri; }); }); },
    postprocessHints: labelled,
  }, false);
  Yasqe.forkAutocompleter("property", {
    name: "psfkgProperties",
    bulk: true,
    autoShow: true,
    persistenceId: null,
    get: function () { return loadTerms().then(function (t) { return t.properties.map(function (p) { return p.iri; }); }); },
    postprocessHints: labelled,
  }, false);
  // Resources by label: a plain word (not a keyword, variable or prefixed name), on Ctrl+Space.
  const found = new Map();
  Yasqe.registerAutocompleter({
    name: "psfkgResources",
    bulk: false,
    autoShow: false,
    persistenceId: null,
    isValidCompletionPosition: function (yasqe) {
      const token = yasqe.getCompleteToken();
      return /^[\p{L}][\p{L}\p{N}_-]{1,}$/u.test(token.string) && token.type !== "keyword";
    },
    get: function (yasqe, token) {
      const query = new URLSearchParams({ q: token.string });
      return fetch(settings.search + "?" + query).then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (answer) {
          return (answer.results || []).filter(function (r) { return /^https?:\/\/[^\s<>"{}|\\^`]*$/.test(r.iri); }).map(function (r) {
            found.set(r.iri, r.label + (r.type ? " (" + r.type + ")" : ""));
            return r.iri;
          });
        })
        .catch(function () { return []; });
    },
    postProcessSuggestion: function (yasqe, token, suggestion) { return "<" + suggestion + ">"; },
    postprocessHints: function (yasqe, hints) {
      return hints.map(function (hint) {
        const label = found.get(hint.text.slice(1, -1));
        return label ? Object.assign({}, hint, { displayText: label + "  " + hint.text }) : hint;
      });
    },
  }, false);

  // A large answer (SELECT * on the PSF data: over 7,000 rows) stays quick to show: DataTables
  // would otherwise render and sanitise every cell of every page twice before showing the first,
  // to guess each column's type and measure its width (12 s in Chromium for 7,328 rows; 0.3 s so).
  const table = Yasgui.Yasr.plugins.table.defaults.tableConfig;
  table.autoWidth = false;
  table.columnDefs = [{ targets: "_all", type: "string" }];

  const yasgui = new Yasgui(document.getElementById("yasgui"), {
    persistenceId: null, // no tabs or queries kept in the browser: the URL is the state
    populateFromUrl: true,
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    requestConfig: {
      endpoint: endpoint,
      method: "POST",
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle",
    },
    yasqe: {
      value: form.querySelector("textarea").value,
      autocompleters: ["variables", "psfkgPrefixes", "psfkgClasses", "psfkgProperties", "psfkgResources"],
      persistenceId: null,
      prefixCcApi: null,
      // psfkg checks the syntax and says what to fix (psfkg.query.syntax); YASQE's own check
      // would keep such a query from being sent, and say less.
      syntaxErrorCheck: false,
      resizeable: true,
      editorHeight: "320px",
    },
    yasr: {
      persistenceId: null,
      prefixes: settings.prefixes,
      pluginOrder: ["table", "chart", "response"], // chart: static/query-chart.js
      defaultPlugin: "table",
    },
  });
  holder.hidden = false;
  form.hidden = true;

  // YASGUI leaves some of its controls without a name (axe-core: critical); name them as they
  // are drawn. Its "add a tab" button sits inside the tab list, where only tabs may be: it is
  // hidden (site.css), and the one tab serves.
  const names = [
    [".CodeMirror textarea", function (el) { return el.closest(".yasr") ? "The response" : "SPARQL query"; }],
    ["input.autocomplete", function () { return "SPARQL endpoint"; }],
    [".tab input[type=text]", function () { return "Tab name"; }],
    ["select.tableSizer", function () { return "Rows per page"; }],
    ["input.tableFilter", function () { return "Filter the results"; }],
  ];
  function name() {
    names.forEach(function (pair) {
      holder.querySelectorAll(pair[0] + ":not([aria-label])").forEach(function (el) { el.setAttribute("aria-label", pair[1](el)); });
    });
  }
  new MutationObserver(name).observe(holder, { childList: true, subtree: true });
  name();
  if (!yasgui.getTab().getQuery().trim()) yasgui.getTab().setQuery(form.querySelector("textarea").value);
  // A shared link names its endpoint; this page asks only its own (its policy allows no other).
  if (yasgui.getTab().getEndpoint() !== endpoint) yasgui.getTab().setEndpoint(endpoint);

  // The page's URL is the query's shareable link (YASGUI's own, in the fragment): reloading it,
  // or sending it, restores the query. The server-rendered results of a ?query= link give way
  // to YASGUI's once it runs.
  const serverResults = document.getElementById("results");
  yasgui.on("query", function (instance, tab) {
    if (serverResults) serverResults.hidden = true;
    history.replaceState(null, "", location.pathname + "#query=" + encodeURIComponent(tab.getQuery()) +
                         "&endpoint=" + encodeURIComponent(endpoint));
  });

  const examples = new Map(settings.examples.map(function (e) { return [e.name, e]; }));
  document.getElementById("editor-example").addEventListener("change", function (event) {
    const example = examples.get(event.target.value);
    if (!example) return;
    const tab = yasgui.getTab();
    tab.setQuery(example.query);
    tab.setName(example.title);
  });
  window.psfkgEditor = yasgui; // for the browser tests and the curious
})();
