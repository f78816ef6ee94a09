// Draws the dashboard's charts. A chart is a <canvas data-chart="ID"> whose data (type, labels,
// datasets) sits in a json_script element with that ID: no inline script, nothing but data from the
// server. Charts in content htmx is about to replace are destroyed first, and charts in new content
// (first load, a swap, a page restored from history) are drawn, so none is left behind or drawn twice.
(function () {
  "use strict";

  function brandColours() {
    var styles = getComputedStyle(document.documentElement);
    var read = function (name, fallback) { return (styles.getPropertyValue(name) || "").trim() || fallback; };
    return [read("--brand-primary", "#1d4ed8"), read("--chart-2", "#0f766e"), read("--brand-accent", "#b45309"), read("--chart-4", "#7c3aed")];
  }

  function options(spec) {
    var rightAxis = spec.datasets.some(function (d) { return d.axis === "right"; });
    var scales = { x: { ticks: { maxTicksLimit: 8, autoSkip: true } }, y: { beginAtZero: true } };
    if (rightAxis) scales.y1 = { position: "right", beginAtZero: true, ticks: { precision: 0 }, grid: { drawOnChartArea: false } };
    if (spec.type === "doughnut" || spec.type === "pie") scales = {};
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom" } },
      scales: scales,
      spanGaps: false,
    };
  }

  function draw(canvas) {
    if (typeof Chart === "undefined" || Chart.getChart(canvas)) return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var spec = JSON.parse(source.textContent);
    var colours = brandColours();
    var datasets = spec.datasets.map(function (d, i) {
      var colour = colours[i % colours.length];
      var set = { label: d.label, data: d.data, borderColor: colour, backgroundColor: colour, pointRadius: 0, borderWidth: 2, tension: 0.2 };
      if (d.axis === "right") set.yAxisID = "y1";
      if (d.type) set.type = d.type;
      return set;
    });
    new Chart(canvas, { type: spec.type, data: { labels: spec.labels, datasets: datasets }, options: options(spec) });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  function destroyAll(root) {
    if (!root || typeof Chart === "undefined") return;
    var canvases = root.matches && root.matches("canvas[data-chart]") ? [root] : root.querySelectorAll("canvas[data-chart]");
    canvases.forEach(function (canvas) {
      var chart = Chart.getChart(canvas);
      if (!chart) return;
      chart.destroy();
      // Chart.js leaves a style attribute behind; in htmx's history snapshot it would come back as
      // an inline style, which the CSP (style-src 'self') blocks.
      canvas.removeAttribute("style");
    });
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:beforeSwap", function (event) { destroyAll(event.detail.target); });
  document.addEventListener("htmx:beforeHistorySave", function () { destroyAll(document.body); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.detail.elt); });
  document.addEventListener("htmx:historyRestore", function () { drawAll(document); });
})();
