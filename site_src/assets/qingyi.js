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
  // Site search with a cottage id (HC-013, hc013, HC 13): cottages are not indexed one by one (100,000 pages
  // would make the index megabytes), so the search box itself offers the cottage's page first, once a HEAD
  // request says the page exists. Only with the HC prefix: a bare number is more likely a year or an amount.
  function siteRoot() {
    var cfg = document.getElementById("__config");
    var base = ".";
    try { base = JSON.parse(cfg.textContent).base || "."; } catch (e) { base = "."; }
    return new URL(base.replace(/\/?$/, "/"), window.location.href);
  }
  function setupSearchById() {
    var input = document.querySelector(".md-search__input");
    var result = document.querySelector(".md-search-result");
    if (!input || !result || result.querySelector(".qy-search-cottage")) return;
    var box = document.createElement("div");
    box.className = "qy-search-cottage";
    box.hidden = true;
    box.setAttribute("data-role", "cottage-hit");
    result.insertBefore(box, result.firstChild);
    var asked = "";
    input.addEventListener("input", function () {
      var raw = input.value.trim();
      var id = /^hc/i.test(raw) ? normalise(raw) : null;
      if (!id) { box.hidden = true; asked = ""; return; }
      if (id === asked) return;
      asked = id;
      var href = new URL("cottages/" + id + ".html", siteRoot()).href;
      fetch(href, { method: "HEAD" }).then(function (r) {
        if (asked !== id) return;
        box.textContent = "";
        if (r.ok) {
          var a = document.createElement("a");
          a.href = href;
          a.className = "qy-search-cottage__link";
          a.textContent = "希望小屋 " + id + "：打开这间小屋的页面";
          box.appendChild(a);
        } else {
          box.textContent = "没有编号为 " + id + " 的希望小屋。";
        }
        box.hidden = false;
      }, function () { box.hidden = true; });
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
  // Material's back-to-top button floats over the page; while the reader types in a field it goes away
  // (on a phone it would sit on the pledge form's inputs).
  function watchTyping() {
    if (watchTyping.done) return;
    watchTyping.done = true;
    function field(t) { return t && /^(INPUT|SELECT|TEXTAREA)$/.test(t.tagName) && !t.closest(".md-search"); }
    document.addEventListener("focusin", function (e) { if (field(e.target)) document.body.classList.add("qy-typing"); });
    document.addEventListener("focusout", function (e) { if (field(e.target)) document.body.classList.remove("qy-typing"); });
  }
  function ready() {
    watchTyping();
    var form = document.getElementById("cottage-lookup");
    if (form) setupLookup(form);
    highlightRow();
    setupSearchById();
  }
  if (typeof document$ !== "undefined" && document$.subscribe) { document$.subscribe(ready); }
  else if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", ready); }
  else { ready(); }
})();
