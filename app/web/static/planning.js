// Planning pages: follow a forecast run's progress; the suggestions worklist (select, totals,
// reasons). The pages work without JavaScript; this only adds to them.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", () => {
  const table = document.querySelector("table.suggestions");
  if (table) worklist(table);
  const card = document.getElementById("run");
  if (card && card.dataset.finished !== "true") followRun(card);
});

function worklist(table) {
  const boxes = () => Array.from(table.querySelectorAll("tr[data-suggestion] input[type=checkbox]"));
  const lang = document.documentElement.lang || "en";
  const money = (value, currency) => new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en",
    { style: "currency", currency, currencyDisplay: "narrowSymbol", minimumFractionDigits: 2, maximumFractionDigits: 2 })
    .format(value).replace("−", "-");
  const rowValue = (tr) => {
    const qty = Number(tr.querySelector("input.qty")?.value || 0);
    return Number(tr.dataset.unit || 0) * (Number.isFinite(qty) ? qty : 0);
  };
  const out = document.querySelector("[data-selection]");
  const refresh = () => {
    table.querySelectorAll("tbody.group").forEach((group) => {
      const rows = Array.from(group.querySelectorAll("tr[data-suggestion]"));
      let total = 0;
      rows.forEach((tr) => {
        const v = rowValue(tr);
        total += v;
        tr.querySelector("[data-value]").textContent = money(v, tr.dataset.currency);
      });
      const sub = group.querySelector(".subtotal");
      if (sub) sub.textContent = money(total, sub.dataset.currency);
      const all = group.querySelector("[data-select-group]");
      if (all) {
        const ticked = rows.filter((tr) => tr.querySelector("input[type=checkbox]").checked).length;
        all.checked = ticked === rows.length && rows.length > 0;
        all.indeterminate = ticked > 0 && ticked < rows.length;
      }
    });
    if (!out) return;
    const chosen = boxes().filter((b) => b.checked).map((b) => b.closest("tr"));
    const byCurrency = {};
    chosen.forEach((tr) => { byCurrency[tr.dataset.currency] = (byCurrency[tr.dataset.currency] || 0) + rowValue(tr); });
    const value = Object.entries(byCurrency).map(([c, v]) => money(v, c)).join(" + ") || money(0, "CNY");
    out.textContent = out.dataset.template.replace("{n}", String(chosen.length)).replace("{value}", value);
    out.closest(".decision-bar").classList.toggle("has-selection", chosen.length > 0);
  };
  const all = document.querySelector("[data-select-all]");
  if (all) all.addEventListener("change", () => { boxes().forEach((b) => { b.checked = all.checked; }); refresh(); });
  table.querySelectorAll("[data-select-group]").forEach((g) => g.addEventListener("change", () => {
    g.closest("tbody").querySelectorAll("tr[data-suggestion] input[type=checkbox]").forEach((b) => { b.checked = g.checked; });
    refresh();
  }));
  table.addEventListener("change", (ev) => { if (ev.target.matches("tr[data-suggestion] input")) refresh(); });
  table.addEventListener("input", (ev) => { if (ev.target.matches("input.qty")) refresh(); });
  table.querySelectorAll("[data-why]").forEach((btn) => btn.addEventListener("click", () => {
    const row = document.getElementById(btn.dataset.why);
    const open = !row.classList.contains("open");
    row.classList.toggle("open", open);
    btn.setAttribute("aria-expanded", String(open));
    if (open) {
      // The sticky decision bar must not cover the reasons: scroll them into view above it.
      const bar = document.querySelector(".decision-bar");
      row.style.scrollMarginBottom = `${(bar ? bar.offsetHeight : 0) + 16}px`;
      row.scrollIntoView({ block: "nearest" });
    }
  }));
  refresh();
}

function followRun(first) {
  // The bar moves with the status JSON; when the status changes, the card is re-read from the page
  // (server-rendered figures: started, finished, series, note) so nothing stays stale.
  let card = first;
  const part = (name) => card.querySelector(`[data-run="${name}"]`);
  const reread = async () => {
    const resp = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    if (!resp.ok) return;
    const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
    const fresh = doc.getElementById("run");
    if (fresh) { card.replaceWith(fresh); card = fresh; }
    // a finished run's model mix, accuracy and interval coverage appear without a reload
    const quality = doc.getElementById("run-quality");
    const old = document.getElementById("run-quality");
    if (quality && old) old.replaceWith(quality);
    // "no worker picked up runs" concerns a queued run only: gone once a worker has started it
    const warning = document.querySelector("[data-worker-warning]");
    if (warning && !doc.querySelector("[data-worker-warning]")) warning.remove();
  };
  const lang = document.documentElement.lang || "en";
  const fmt = (value, digits) => new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en",
    { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
  const fill = (template, values) => Object.entries(values)
    .reduce((text, [key, value]) => text.replace(`{${key}}`, value), template || "");
  const batches = (s) => {
    // batches done/total, series done/total, rate and time left: follows every poll, not only status changes
    const line = part("batches");
    const label = part("batches-label");
    if (!line) return;
    if (!s.batches_total || s.finished) { line.hidden = true; if (label) label.hidden = true; return; }
    const bits = [`${s.batches_done} / ${s.batches_total}`,
      fill(line.dataset.seriesText, { done: fmt(s.progress_done, 0), total: fmt(s.progress_total, 0) })];
    if (s.series_per_second) bits.push(fill(line.dataset.rateText, { rate: fmt(s.series_per_second, 1) }));
    if (s.eta_seconds !== null && s.eta_seconds !== undefined) {
      bits.push(fill(line.dataset.etaText, { minutes: String(Math.max(1, Math.ceil(s.eta_seconds / 60))) }));
    }
    line.textContent = bits.join(" · ");
    line.hidden = false;
    if (label) label.hidden = false;
  };
  const show = (s) => {
    const bar = part("bar");
    bar.setAttribute("aria-valuenow", String(s.percent));
    bar.firstElementChild.style.width = `${s.percent}%`;
    const counts = part("counts");
    if (counts && s.progress_total) {
      counts.textContent = `${s.progress_done} / ${s.progress_total}`;
    }
    const stage = part("stage");
    const words = JSON.parse(card.dataset.labels || "{}"); // stage codes → the page's language
    if (stage) stage.textContent = words[s.stage] || s.stage || "";
    batches(s);
  };
  const poll = async () => {
    try {
      const resp = await fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (resp.ok) {
        const s = await resp.json();
        show(s);
        if (s.status !== card.dataset.status || s.series_count !== Number(part("series")?.dataset.count ?? s.series_count)) await reread();
        if (s.finished) return;
      }
    } catch (err) {
      // the server may be restarting: keep trying
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
}
