// Stockwise: small progressive enhancements (the pages work without JavaScript).
document.addEventListener("DOMContentLoaded", () => {
  // Selects marked data-autosubmit submit their form on change (e.g. the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form.submit());
  });
  // Buttons with data-confirm ask before submitting.
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (ev) => {
      if (!window.confirm(el.dataset.confirm)) ev.preventDefault();
    });
  });
});
