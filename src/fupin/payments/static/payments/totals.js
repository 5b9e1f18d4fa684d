/* Paid totals by month and programme (Apache ECharts): stacked bars. The table under the chart holds the
   same figures, so nothing is lost without JavaScript. */
(function () {
  "use strict";

  function render() {
    var source = document.getElementById("payments-chart");
    var element = document.getElementById("chart-paid");
    if (!source || !element || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(element, null, { renderer: "svg" });
    window.addEventListener("resize", function () { chart.resize(); });
    chart.setOption({
      grid: { left: 12, right: 12, top: 40, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", name: data.axis },
      series: data.series.map(function (s) {
        // Amounts come as integer fen: shown as yuan with two decimals.
        return {
          name: s.name, type: "bar", stack: "paid",
          data: s.values.map(function (fen) { return fen / 100; }),
          tooltip: { valueFormatter: function (yuan) { return yuan.toFixed(2); } }
        };
      })
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
