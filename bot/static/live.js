// The lead page's transcript, kept up to date: the page is fetched again every few seconds
// and its transcript swapped in when it changed. Without this script, reload the page.
(function () {
  "use strict";
  var box = document.getElementById("transcript");
  if (!box) return;
  var every = 5000;
  async function refresh() {
    try {
      var response = await fetch(location.href, {credentials: "same-origin", cache: "no-store"});
      if (response.ok) {
        var page = new DOMParser().parseFromString(await response.text(), "text/html");
        var fresh = page.getElementById("transcript");
        if (fresh && fresh.innerHTML !== box.innerHTML) {
          var atBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
          box.innerHTML = fresh.innerHTML;
          if (atBottom) window.scrollTo(0, document.body.scrollHeight);
        }
      }
    } catch (e) {
      // offline for a moment: try again at the next tick
    }
    setTimeout(refresh, every);
  }
  setTimeout(refresh, every);
})();
