/* 青益: small enhancements. The pages work without this file. */
(function () {
  "use strict";
  // Find a cottage by id: HC-013, hc13, 013 all lead to /cottages/HC-013/ when that page exists.
  function normalise(raw) {
    var m = String(raw || "").trim().toUpperCase().match(/^(?:HC)?[-\s]*0*(\d{1,9})$/);
    if (!m) return null;
    var n = m[1];
    while (n.length < 3) n = "0" + n;
    return "HC-" + n;
  }
  function setupLookup(form) {
    var out = form.querySelector("output");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var id = normalise(form.querySelector("input").value);
      if (!id) { out.textContent = "编号的格式应为 HC-013 / use the form HC-013"; return; }
      var href = form.getAttribute("data-base") + id + ".html";
      fetch(href, { method: "HEAD" }).then(function (r) {
        if (r.ok) { window.location.href = href; } else { out.textContent = "找不到编号为 " + id + " 的小屋 / no cottage " + id; }
      }, function () { window.location.href = href; });
    });
  }
  // On a listing page opened from search (?h=HC-013), mark and scroll to the row.
  function highlightRow() {
    var h = new URLSearchParams(window.location.search).get("h");
    if (!h) return;
    h.split(/\s+/).forEach(function (term) {
      var id = normalise(term);
      var row = id && document.getElementById(id);
      if (row) { row.classList.add("qy-hit"); row.scrollIntoView({ block: "center" }); }
    });
  }
  function ready() {
    var form = document.getElementById("cottage-lookup");
    if (form) setupLookup(form);
    highlightRow();
  }
  if (typeof document$ !== "undefined" && document$.subscribe) { document$.subscribe(ready); }
  else if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); }
  else { ready(); }
})();
