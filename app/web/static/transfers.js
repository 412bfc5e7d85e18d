// New transfer: SKU lookup as you type (SKU or name), showing what the source has available.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.transfer-form");
  if (!form) return;
  const list = document.getElementById("sku-matches");
  const source = form.querySelector("select[name=source]");
  const known = new Map(); // sku → available at the current source
  let timer = null;
  const search = async (input) => {
    const q = input.value.trim();
    if (q.length < 2) return;
    const url = `${form.dataset.skuSearch}?q=${encodeURIComponent(q)}&source=${encodeURIComponent(source.value)}`;
    const resp = await fetch(url, { headers: { Accept: "application/json" } });
    if (!resp.ok) return;
    const data = await resp.json();
    list.replaceChildren(...data.matches.map((m) => {
      known.set(m.sku, m.available);
      const opt = document.createElement("option");
      opt.value = m.sku;
      opt.label = `${m.name}${m.variant ? ` · ${m.variant}` : ""} — ${m.available} @ ${data.source}`;
      return opt;
    }));
    showAvailable(input);
  };
  const showAvailable = (input) => {
    const cell = input.closest("tr").querySelector("[data-available]");
    const sku = input.value.trim();
    cell.textContent = known.has(sku) ? String(known.get(sku)) : "";
  };
  form.querySelectorAll("input[name$='-sku']").forEach((input) => {
    input.addEventListener("input", () => {
      showAvailable(input);
      window.clearTimeout(timer);
      timer = window.setTimeout(() => search(input), 200);
    });
  });
  source.addEventListener("change", () => known.clear());
});
