// Stockwise charts: draws every <div class="echart" data-chart="{ECharts option as JSON}"> with the
// vendored Apache ECharts (loaded only on pages that have a chart). The option is computed on the
// server (app/web/charts); this file adds only what JSON cannot carry: the tooltip text (interval
// bands read "80 %: lo – hi") and number formatting in the page's language. No inline script, so
// the Content-Security-Policy (script-src 'self') holds. Without JavaScript the table beside each
// chart ("Show as table") carries the same figures.
(() => {
  const charts = document.querySelectorAll("div.echart[data-chart]");
  if (!charts.length) return;
  document.documentElement.classList.add("js-charts");
  const lang = (document.documentElement.lang || "en").toLowerCase();
  const numberFormat = new Intl.NumberFormat(lang.startsWith("zh") ? "zh-CN" : "en", { maximumFractionDigits: 1 });
  const fmt = (v) => (v === null || v === undefined || v === "-" ? "—" : numberFormat.format(v));
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const valueOf = (p) => (p.value !== null && typeof p.value === "object" && !Array.isArray(p.value) ? p.value.value : p.value);

  function tooltipFormatter(option) {
    const bands = option.x_bands || [];
    const suffix = option.x_suffix || {};
    return (params) => {
      const list = Array.isArray(params) ? params : [params];
      if (!list.length) return "";
      const i = list[0].dataIndex;
      let html = `<b>${esc(list[0].axisValueLabel || list[0].name)}</b>`;
      list.forEach((p) => {
        if (String(p.seriesId || "").startsWith("band")) return;
        const v = valueOf(p);
        if (v === null || v === undefined || v === "-") return;
        html += `<br>${p.marker}${esc(p.seriesName)}: <b>${fmt(v)}</b>${esc(suffix[p.seriesId] || "")}`;
      });
      bands.forEach((b) => {
        const lo = b.lo[i], hi = b.hi[i];
        if (lo === null || lo === undefined) return;
        html += `<br>${esc(b.name)}: ${fmt(lo)} – ${fmt(hi)}`;
      });
      return html;
    };
  }

  function draw() {
    const locale = lang.startsWith("zh") ? "ZH" : "EN";
    charts.forEach((el) => {
      let option;
      try { option = JSON.parse(el.dataset.chart); } catch (e) { return; }
      const chart = window.echarts.init(el, null, { renderer: "svg", locale });
      option.tooltip = Object.assign({ trigger: "axis", confine: true }, option.tooltip || {}, { formatter: tooltipFormatter(option) });
      chart.setOption(option);
      el.classList.add("drawn");
      window.addEventListener("resize", () => chart.resize());
    });
  }

  const me = document.currentScript;
  const lib = document.createElement("script");
  lib.src = me.dataset.echarts;
  lib.onload = draw;
  document.head.appendChild(lib);
})();
