/* Dashboard charts and map (Apache ECharts). The page carries its data as JSON script elements;
   every chart also has a table or a figure on the page, so nothing is lost without JavaScript. */
(function () {
  "use strict";

  function data(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function chart(id) {
    var element = document.getElementById(id);
    if (!element || !window.echarts) { return null; }
    var instance = window.echarts.init(element, null, { renderer: "svg" });
    window.addEventListener("resize", function () { instance.resize(); });
    return instance;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function format(value, kind) {
    if (value === null || value === undefined) { return "—"; }
    if (kind === "share") { return (value * 100).toFixed(1) + "%"; }
    if (kind === "count" || kind === "money") { return Math.round(value).toLocaleString(); }
    return value.toFixed(4);
  }

  /* Bars; horizontal ones (every chart here) give each label its own line, so that labels never
     overlap however narrow the screen: the grid makes room for the longest one (containLabel). */
  function bars(id, names, values, colour, horizontal) {
    var instance = chart(id);
    if (!instance) { return; }
    var category = { type: "category", data: names, axisLabel: { interval: 0, fontSize: 11, hideOverlap: false } };
    var number = { type: "value", minInterval: 1 };
    instance.setOption({
      grid: horizontal
        ? { left: 8, right: 36, top: 10, bottom: 24, containLabel: true }
        : { left: 40, right: 20, top: 20, bottom: 60 },
      tooltip: { trigger: "axis" },
      xAxis: horizontal ? number : category,
      yAxis: horizontal ? Object.assign(category, { inverse: true }) : number,
      series: [{ type: "bar", data: values, itemStyle: { color: colour }, label: { show: true, position: horizontal ? "right" : "top" } }]
    });
  }

  function render() {
    renderMap();
    var charts = data("dashboard-charts");
    if (!charts) { return; }
    var trend = chart("chart-trend");
    if (trend) {
      trend.setOption({
        grid: { left: 12, right: 12, top: 64, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        // The month labels keep clear of the value axes' "0" at both lower corners.
        xAxis: { type: "category", data: charts.trend.months, axisLabel: { margin: 14 } },
        yAxis: [
          { type: "value", minInterval: 1, name: charts.trend.labels.axis_month, nameTextStyle: { align: "left" } },
          // Room above the highest point for its value, below the axis's name.
          { type: "value", minInterval: 1, boundaryGap: [0, "25%"], name: charts.trend.labels.axis_end, nameTextStyle: { align: "right" } }
        ],
        series: [
          { name: charts.trend.labels.taken, type: "bar", data: charts.trend.taken, itemStyle: { color: "#c0582b" } },
          { name: charts.trend.labels.eliminated, type: "bar", data: charts.trend.eliminated, itemStyle: { color: "#4f8a3a" } },
          {
            name: charts.trend.labels.monitored, type: "line", yAxisIndex: 1, data: charts.trend.monitored,
            connectNulls: true, itemStyle: { color: "#2f6fb0" },
            // With few months known, every point is a large marker with its value: never a lone dot.
            showSymbol: true, showAllSymbol: true, symbol: "circle", symbolSize: charts.trend.sparse ? 12 : 5,
            label: { show: charts.trend.sparse, position: "top", fontWeight: "bold", color: "#2f6fb0" }
          }
        ]
      });
    }
    bars("chart-categories", charts.categories.names, charts.categories.values, "#b05a2f", true);
    bars("chart-risks", charts.risks.names, charts.risks.values, "#5a8f3a", true);
    bars("chart-income", charts.income.labels, charts.income.people, "#2f6fb0", true);
  }

  function renderMap() {
    var element = document.getElementById("chart-map");
    var values = data("dashboard-map");
    if (!element || !values || !window.echarts) { return; }
    fetch(element.dataset.url, { credentials: "same-origin" })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (shapes) {
        var key = "fupin-" + element.dataset.url;
        window.echarts.registerMap(key, shapes);
        if (element.dataset.mode === "place") { renderPlace(key, shapes); return; }
        var names = {};
        values.values.forEach(function (item) { names[item.code] = item.name; });
        var numbers = values.values.map(function (item) { return item.value; }).filter(function (v) { return v !== null; });
        var low = Math.min.apply(null, numbers.concat([0]));
        var high = Math.max.apply(null, numbers.concat([0]));
        var colours = values.good === "high" ? ["#c6472f", "#f5e3a3", "#3d8a4a"] : ["#3d8a4a", "#f5e3a3", "#c6472f"];
        var instance = chart("chart-map");
        instance.setOption({
          tooltip: {
            trigger: "item",
            formatter: function (item) {
              return escapeHtml(names[item.name] || item.name) + "<br>" + escapeHtml(values.label) + ": " + format(item.value, values.kind);
            }
          },
          visualMap: { min: low, max: high === low ? low + 1 : high, calculable: true, inRange: { color: colours }, left: 10, bottom: 10,
            formatter: function (value) { return format(value, values.kind); } },
          series: [{
            type: "map", map: key, nameProperty: "code", roam: true,
            label: { show: true, fontSize: 10, formatter: function (item) { return names[item.name] || ""; } },
            data: values.values.map(function (item) { return { name: item.code, value: item.value }; })
          }]
        });
        instance.on("click", function (item) {
          if (names[item.name]) { window.location.href = element.dataset.base + item.name + "/" + window.location.search; }
        });
      })
      .catch(function () { element.hidden = true; });
  }

  /* Where an area without finer boundaries lies: the areas of the map one level up, in grey and
     named, its own area (properties.current) in colour. Nothing is coloured by a figure here. */
  function renderPlace(key, shapes) {
    var names = {};
    var current = shapes.current;
    shapes.features.forEach(function (f) { names[f.properties.code] = f.properties.name; });
    var instance = chart("chart-map");
    instance.setOption({
      tooltip: { trigger: "item", formatter: function (item) { return escapeHtml(names[item.name] || ""); } },
      series: [{
        type: "map", map: key, nameProperty: "code", roam: true, selectedMode: false,
        itemStyle: { areaColor: "#eef1f5", borderColor: "#8a94a3" },
        emphasis: { itemStyle: { areaColor: "#dde3ea" }, label: { show: true } },
        label: { show: true, fontSize: 10, color: "#5f6b7a", formatter: function (item) { return names[item.name] || ""; } },
        data: [{
          name: current, value: 1,
          itemStyle: { areaColor: "#b4282d", borderColor: "#8f1f23" },
          label: { color: "#ffffff", fontWeight: "bold", fontSize: 12 },
          emphasis: { itemStyle: { areaColor: "#8f1f23" } }
        }]
      }]
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", render); } else { render(); }
})();
