/* sitegen default theme: starts Pagefind's search UI on the search page.
   Paths are worked out from this page's own address, so the site works under any sub-path. */
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box || typeof window.PagefindUI !== "function") return;
  var here = window.location.href;
  var root = new URL(box.getAttribute("data-site-root") || "../", here).pathname;
  var bundle = new URL(box.getAttribute("data-bundle") || "../pagefind/", here).pathname;
  box.textContent = "";
  var ui = new window.PagefindUI({
    element: "#search",
    bundlePath: bundle,
    baseUrl: root,
    showSubResults: false,
    showImages: false,
    resetStyles: false,
    autofocus: !new URLSearchParams(window.location.search).get("q")
  });
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) ui.triggerSearch(query);
})();
