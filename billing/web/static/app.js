// Small progressive touches; every page works without them.
(function () {
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-print], [data-back]");
    if (!target) return;
    if (target.hasAttribute("data-print")) {
      event.preventDefault();
      window.print();
    } else if (target.hasAttribute("data-back") && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    }
  });
  // Ask before deleting synced slots: it cannot be undone.
  var deleting = document.querySelector('form[action$="/slots/delete"]');
  if (deleting) {
    deleting.addEventListener("submit", function (event) {
      var ticked = deleting.querySelectorAll('input[name="slot"]:checked').length;
      if (ticked && !window.confirm("Delete " + ticked + (ticked === 1 ? " slot" : " slots") + "? Their screenshots are removed and the time is not billed.")) {
        event.preventDefault();
      }
    });
  }
})();
