// The products list's header checkbox selects or clears every product on the page for a bulk
// action. It lives in a file because the Content-Security-Policy allows no inline script.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  const boxes = () => document.querySelectorAll('#bulk-form input[name="ids"]');
  all.addEventListener("change", () => boxes().forEach((box) => { box.checked = all.checked; }));
  boxes().forEach((box) => box.addEventListener("change", () => {
    all.checked = Array.from(boxes()).every((b) => b.checked);
  }));
});
