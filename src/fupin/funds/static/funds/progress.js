/* The spending-progress chart (Apache ECharts): the cumulative disbursed share of each source by month.
   The table under it carries the same figures, so nothing is lost without JavaScript. */
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("funds-progress");
    var element = document.getElementById("chart-progress");
    if (!source || !element || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v.toFixed(1) + "%"; } },
      legend: { type: "scroll", bottom: 0 },
      grid: { left: 8, right: 16, top: 16, bottom: 36, containLabel: true },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", max: 100, name: data.percent },
      series: data.series.map(function (s) { return { name: s.name, type: "line", data: s.data, connectNulls: true }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
