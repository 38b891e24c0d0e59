// A form with data-confirm="…" asks before it is sent: destructive actions are confirmed.
// (The Content-Security-Policy forbids inline handlers, so one listener serves every page.)
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
