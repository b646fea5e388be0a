// carexport dashboard glue: draw every [data-chart] element with ECharts (options are built
// on the server), register the world map before a map chart, and redraw after HTMX swaps.
"use strict";

let worldMap = null;

async function ensureWorld() {
  if (worldMap) return worldMap;
  const response = await fetch("/vendor/geo/world.json");
  worldMap = await response.json();
  echarts.registerMap("world", worldMap);
  return worldMap;
}

async function drawCharts(root) {
  if (typeof echarts === "undefined") return;
  for (const element of root.querySelectorAll("[data-chart]")) {
    const option = JSON.parse(element.dataset.chart);
    if (element.dataset.map === "world") await ensureWorld();
    const chart = echarts.getInstanceByDom(element) || echarts.init(element);
    chart.setOption(option, true);
    if (element.dataset.clickTarget) {
      chart.off("click");
      chart.on("click", (params) => {
        const key = params.data && params.data.key;
        if (!key) return;
        htmx.ajax("GET", element.dataset.clickUrl + encodeURIComponent(key), element.dataset.clickTarget);
      });
    }
    element.dataset.drawn = "true";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (typeof htmx !== "undefined") {
    // Show 4xx answers (located problems) in the page instead of dropping them.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "4..", swap: true },
      { code: "5..", swap: true, error: true },
    ];
  }
  drawCharts(document);
});
document.addEventListener("htmx:afterSettle", (event) => drawCharts(event.target));
window.addEventListener("resize", () => {
  for (const element of document.querySelectorAll("[data-chart]")) {
    const chart = typeof echarts !== "undefined" && echarts.getInstanceByDom(element);
    if (chart) chart.resize();
  }
});
