// Stockwise: small progressive enhancements (the pages work without JavaScript).
document.addEventListener("DOMContentLoaded", () => {
  // Selects marked data-autosubmit submit their form on change (e.g. the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form.submit());
  });
  // Header menus (<details>): one open at a time; a click elsewhere or Escape closes them.
  const groups = Array.from(document.querySelectorAll("details.navgroup"));
  groups.forEach((g) => g.addEventListener("toggle", () => {
    if (g.open) groups.forEach((o) => { if (o !== g) o.open = false; });
  }));
  document.addEventListener("click", (ev) => {
    groups.forEach((g) => { if (!g.contains(ev.target)) g.open = false; });
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.key !== "Escape") return;
    groups.forEach((g) => {
      if (g.open) { g.open = false; g.querySelector("summary").focus(); }
    });
  });
  // Buttons with data-confirm ask before submitting.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (ev) => {
      if (!window.confirm(el.dataset.confirm)) ev.preventDefault();
    });
  });
});
