// Open-a-count form: show only the inputs of the chosen scope; the SKU search adds the
// chosen SKU to the list. Without JavaScript every input shows and the list is typed.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("open-count");
  if (!form) return;
  const scope = form.querySelector("select[name=scope]");
  const sync = () => {
    form.querySelectorAll("[data-scope]").forEach((el) => {
      el.hidden = el.dataset.scope !== scope.value;
    });
  };
  scope.addEventListener("change", sync);
  sync();
  const search = document.getElementById("sku-search");
  const list = form.querySelector("textarea[name=skus]");
  const known = new Set(Array.from(document.querySelectorAll("#sku-options option"), (o) => o.value));
  const add = () => {
    const sku = search.value.trim();
    if (!known.has(sku)) return;
    const skus = list.value.split(/[\s,]+/).filter(Boolean);
    if (!skus.includes(sku)) skus.push(sku);
    list.value = skus.join("\n");
    search.value = "";
  };
  search.addEventListener("change", add);
  search.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") { ev.preventDefault(); add(); }
  });
});
