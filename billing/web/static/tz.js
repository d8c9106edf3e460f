// Remember the browser's time zone in a cookie so the server can show local times.
// Only runs when the page says no zone was chosen yet; one reload, then never again.
(function () {
  var body = document.body;
  if (!body || body.getAttribute("data-tz-chosen") === "1") return;
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  document.cookie = "wd_tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; samesite=lax";
  // pages without times (sign-in) only remember the zone for the next page
  if (body.getAttribute("data-tz-reload") === "1" && zone !== body.getAttribute("data-tz")) {
    window.location.reload();
  }
})();
