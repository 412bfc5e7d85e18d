// Planning pages: follow a forecast run's progress; select all suggestions. Works without JS.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.querySelector("[data-select-all]");
  if (all) {
    all.addEventListener("change", () => {
      document.querySelectorAll("table.suggestions tbody input[type=checkbox]").forEach((box) => {
        box.checked = all.checked;
      });
    });
  }

  const card = document.getElementById("run");
  if (!card || card.dataset.finished === "true") return;
  const part = (name) => card.querySelector(`[data-run="${name}"]`);
  const show = (s) => {
    const status = part("status");
    const words = JSON.parse(card.dataset.labels || "{}"); // status/stage codes → the page's language
    status.textContent = words[s.status] || s.status;
    status.className = `status status-${s.status}`;
    part("stage").textContent = words[s.stage] || s.stage || "";
    part("counts").textContent = s.progress_total ? `${s.progress_done} / ${s.progress_total}` : "";
    const bar = part("bar");
    bar.setAttribute("aria-valuenow", String(s.percent));
    bar.firstElementChild.style.width = `${s.percent}%`;
    part("error").textContent = s.error || "";
    if (s.status === "succeeded") part("done-link").hidden = false;
  };
  const poll = async () => {
    try {
      const resp = await fetch(card.dataset.statusUrl, { headers: { Accept: "application/json" } });
      if (resp.ok) {
        const s = await resp.json();
        show(s);
        if (s.finished) {
          card.dataset.finished = "true";
          return;
        }
      }
    } catch (err) {
      // the server may be restarting: keep trying
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
});
