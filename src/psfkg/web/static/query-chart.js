// psfkg's own chart view for the query editor: a YASR plugin ("Chart") that draws a SELECT
// answer with one column of numbers and one or two of labels as a horizontal bar chart, in SVG
// built element by element (no library, no canvas, no inline script or style: the page's policy
// allows neither). Loaded after yasgui.min.js and before query.js, which lists it among YASR's
// views. Any other answer: canHandleResults() is false, and the Chart tab is hidden (site.css).
"use strict";
(function () {
  if (typeof Yasgui === "undefined") return;
  const SVG = "http://www.w3.org/2000/svg";
  const XSD = "http://www.w3.org/2001/XMLSchema#";
  const NUMBERS = new Set(["integer", "decimal", "double", "float", "int", "long", "short", "byte",
    "nonNegativeInteger", "positiveInteger", "nonPositiveInteger", "negativeInteger",
    "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte"].map(function (t) { return XSD + t; }));
  const MOST = 50; // bars drawn; the rest are named in a note
  const ROW = 40; // px per bar: its label above, the bar below
  const LONGEST = 48; // characters of a label drawn (all of it is in the bar's title and the list)
  const READY = "chart-ready"; // the Chart tab's class while it can draw the answer

  function isNumber(term) {
    return term && term.type !== "uri" && term.type !== "bnode" && NUMBERS.has(term.datatype) &&
      Number.isFinite(Number(term.value));
  }
  // What of an answer can be charted: the column of numbers and those of labels, or null.
  function shape(results) {
    if (!results || !results.getVariables || results.getType() !== "json") return null;
    const variables = results.getVariables() || [];
    const rows = results.getBindings() || [];
    if (!rows.length) return null;
    const numbers = [], literals = [], iris = [];
    variables.forEach(function (v) {
      const bound = rows.map(function (r) { return r[v]; }).filter(Boolean);
      if (!bound.length) return;
      if (bound.length === rows.length && bound.every(isNumber)) numbers.push(v);
      else if (bound.every(function (t) { return t.type === "uri"; })) iris.push(v);
      else if (bound.every(function (t) { return t.type !== "uri" && t.type !== "bnode" && !isNumber(t); })) literals.push(v);
    });
    const labels = literals.length ? literals : iris;
    if (numbers.length !== 1 || labels.length < 1 || labels.length > 2) return null;
    return { value: numbers[0], labels: labels, rows: rows };
  }
  function element(name, attributes, text) {
    const el = document.createElementNS(SVG, name);
    Object.keys(attributes).forEach(function (a) { el.setAttribute(a, attributes[a]); });
    if (text !== undefined) el.textContent = text;
    return el;
  }
  function html(name, className, text) {
    const el = document.createElement(name);
    if (className) el.className = className;
    if (text !== undefined) el.textContent = text;
    return el;
  }

  class Chart {
    constructor(yasr) {
      this.yasr = yasr;
      this.label = "Chart";
      this.priority = 5; // below the table's 10: the table stays the first view
      this.shapes = new WeakMap();
      // Show the Chart tab only for an answer it can draw (YASR itself would only grey it).
      const sync = function () {
        const button = yasr.headerEl && yasr.headerEl.querySelector(".select_chart");
        if (button) button.classList.toggle(READY, this.canHandleResults());
      }.bind(this);
      yasr.on("drawn", sync);
      yasr.on("draw", sync);
    }
    shape() {
      const results = this.yasr.results;
      if (!results) return null;
      if (!this.shapes.has(results)) this.shapes.set(results, shape(results));
      return this.shapes.get(results);
    }
    canHandleResults() { return this.shape() !== null; }
    labelOf(row, labels) {
      const prefixes = this.yasr.getPrefixes ? this.yasr.getPrefixes() : {};
      return labels.map(function (v) {
        const term = row[v];
        if (!term) return null;
        if (term.type !== "uri") return term.value;
        for (const p of Object.keys(prefixes)) {
          if (term.value.startsWith(prefixes[p])) return p + ":" + term.value.slice(prefixes[p].length);
        }
        return term.value;
      }).filter(function (l) { return l !== null && l !== ""; }).join(" · ") || "(no label)";
    }
    draw() {
      const found = this.shape();
      if (!found) return;
      const shown = found.rows.slice(0, MOST).map(function (row) {
        return { label: this.labelOf(row, found.labels), value: Number(row[found.value].value), text: row[found.value].value };
      }, this);
      const low = Math.min(0, ...shown.map(function (b) { return b.value; }));
      const high = Math.max(0, ...shown.map(function (b) { return b.value; }));
      const span = high - low || 1;
      const percent = function (n) { return (75 * (n - low) / span).toFixed(3) + "%"; }; // 25% kept for the numbers
      const heading = found.value + " by " + found.labels.join(" and ");
      const summary = heading + ": " + shown.length + " bar" + (shown.length === 1 ? "" : "s") +
        (found.rows.length > MOST ? ", the first " + MOST + " of " + found.rows.length + " rows" : "") +
        ", from " + shown[0].label + " (" + shown[0].text + ")" +
        (shown.length > 1 ? " to " + shown[shown.length - 1].label + " (" + shown[shown.length - 1].text + ")" : "") + ".";

      const figure = html("figure", "chart");
      const svg = element("svg", {
        class: "chart-bars", width: "100%", height: String(shown.length * ROW + 8),
        role: "img", "aria-label": summary,
      });
      svg.appendChild(element("title", {}, heading));
      svg.appendChild(element("desc", {}, summary + " The numbers are listed below the chart."));
      shown.forEach(function (bar, i) {
        const top = i * ROW;
        const g = element("g", { class: "chart-bar" });
        g.appendChild(element("title", {}, bar.label + ": " + bar.text));
        const label = bar.label.length > LONGEST ? bar.label.slice(0, LONGEST - 1) + "…" : bar.label;
        g.appendChild(element("text", { class: "chart-label", x: "0", y: String(top + 14) }, label));
        const from = Math.min(bar.value, 0), to = Math.max(bar.value, 0);
        g.appendChild(element("rect", {
          class: "chart-rect", x: percent(from), y: String(top + 19), height: "14",
          width: (75 * (to - from) / span).toFixed(3) + "%",
        }));
        g.appendChild(element("text", { class: "chart-value", x: percent(to), dx: "4", y: String(top + 31) }, bar.text));
        svg.appendChild(g);
      });
      figure.appendChild(svg);
      const caption = html("figcaption", "note", heading + ", in the answer's order" +
        (found.rows.length > MOST ? "; only the first " + MOST + " of " + found.rows.length + " rows are drawn." : "."));
      figure.appendChild(caption);
      const numbers = html("details", "chart-numbers");
      numbers.appendChild(html("summary", "", "The numbers as text"));
      const list = html("ol");
      shown.forEach(function (bar) { list.appendChild(html("li", "", bar.label + ": " + bar.text)); });
      numbers.appendChild(list);
      figure.appendChild(numbers);
      this.yasr.resultsEl.appendChild(figure);
    }
    getIcon() {
      const icon = element("svg", { viewBox: "0 0 16 16", width: "16", height: "16", "aria-hidden": "true", focusable: "false" });
      [[2, 10], [6, 14], [10, 7]].forEach(function (b) {
        icon.appendChild(element("rect", { x: "1", y: String(b[0]), width: String(b[1]), height: "3", fill: "currentColor" }));
      });
      const wrapper = html("div");
      wrapper.appendChild(icon);
      return wrapper;
    }
  }
  Yasgui.Yasr.registerPlugin("chart", Chart);
})();
