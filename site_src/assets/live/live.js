/* 青益 live widgets (issue 5): pledging, live progress, donor wall, needs board, cottage visit counts.
 *
 * Plain JavaScript, no framework. Every page works without it: the figures the build wrote stay as a
 * snapshot, and this file only replaces them with live ones from the API named in the mount point's
 * data-api (or <meta name="qingyi-api">). When the API cannot be reached the snapshot stays, with a
 * visible note, and polling backs off (15 s doubling to 5 min, or what a 429/503's Retry-After says).
 * Polls are jittered (±20 %) so pages opened together from one shared link do not poll in lockstep,
 * send If-None-Match with the last ETag (a 304 reuses the kept body), and stop while the tab is hidden.
 * Money: integer fen to and from the API; yuan only on screen.
 */
(function () {
  "use strict";

  var ANONYMOUS = "爱心人士";
  var PRESETS_YUAN = [10, 50, 100, 500];
  var MAX_FEN = 100000000; // ¥1,000,000, the API's limit for one pledge
  // Test hook: window.QINGYI_POLL_MS, when a page (a browser test's init script) sets it to a positive
  // number before this file runs, replaces the 15 s poll interval; tests/e2e/test_polling.py uses it to
  // see several polls in a few seconds. Nothing in the site sets it.
  var POLL_MS = (function () { var v = parseInt(window.QINGYI_POLL_MS, 10); return v > 0 ? v : 15000; })();
  var POLL_MAX_MS = 300000;
  var SOON_MS = Math.min(1000, POLL_MS / 5); // a tab coming back polls within about this, jittered
  var JITTER = 0.2; // each delay is drawn from ±20 % of its nominal value
  var FETCH_TIMEOUT_MS = 10000;
  var AUTO_RETRIES = 2; // network errors and 503s are retried this many times, same Idempotency-Key

  // ---- small helpers ---------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "hidden") node.hidden = !!attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function groupThousands(digits) { return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  // 123456 fen -> "¥1,234.56"; 100000 -> "¥1,000" (the same shape as the build's money filter).
  function money(fen) {
    if (fen === null || fen === undefined || isNaN(fen)) return "—";
    var sign = fen < 0 ? "-" : "";
    var abs = Math.abs(Math.round(fen));
    var whole = Math.floor(abs / 100), part = abs % 100;
    return sign + "¥" + groupThousands(String(whole)) + (part ? "." + (part < 10 ? "0" : "") + part : "");
  }

  // "12.5" -> 1250 fen, by text (no floating point near money); null when not a plain amount.
  // NFKC first: a Chinese keyboard in full-width mode types "１００" or "８．８", which mean 100 and 8.8.
  function parseYuan(text) {
    var raw = String(text || "");
    if (raw.normalize) raw = raw.normalize("NFKC");
    var m = raw.trim().replace(/[¥￥,，\s]/g, "").replace(/元$/, "").match(/^(\d{1,7})(?:\.(\d{1,2}))?$/);
    if (!m) return null;
    var cents = (m[2] || "") + "00";
    return parseInt(m[1], 10) * 100 + parseInt(cents.slice(0, 2), 10);
  }

  // A short reference a donor can read out on the phone: "QY-7F3K-2M", the first 30 bits of the pledge
  // id in Crockford's base 32 (no I, L, O, U: nothing to mistake for 1 or 0). Derived, not stored: the same
  // id always gives the same reference, and staff find the pledge by it in the export (its id starts with
  // the same bits). 30 bits: two pledges share a reference about once in a billion pairs.
  var CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  function pledgeRef(pledgeId) {
    var hex = String(pledgeId || "").replace(/^p_/, "").replace(/[^0-9a-f]/gi, "");
    if (hex.length < 8) return "";
    var bits = parseInt(hex.slice(0, 8), 16) >>> 2; // 32 bits -> the first 30
    var out = "";
    for (var i = 0; i < 6; i++) { out = CROCKFORD.charAt(bits & 31) + out; bits = bits >>> 5; }
    return "QY-" + out.slice(0, 4) + "-" + out.slice(4);
  }

  // Why a pledge earned less than the full match, in words that do not promise a match later.
  var REASON_ZH = {
    not_in_campaign: "这个项目不在配捐活动中",
    window_closed: "现在不在配捐时段内",
    velocity: "同一来源短时间内认捐过于频繁，这一笔不获配捐",
    below_minimum: "认捐金额未达到配捐门槛",
    pledge_cap: "已达单笔配捐上限",
    donor_cap: "您今天获得的配捐已达每人上限",
    project_cap: "这个项目的配捐已达上限",
    pool_exhausted: "配捐资金已经用完"
  };

  function clockText(iso) {
    var d = iso ? new Date(iso) : new Date();
    if (isNaN(d.getTime())) d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }

  function monthText(ym) { // "2026-11" -> "2026年11月"
    var m = String(ym || "").match(/^(\d{4})-(\d{2})$/);
    return m ? m[1] + "年" + parseInt(m[2], 10) + "月" : "";
  }

  function randomHex(bytes) {
    var a = new Uint8Array(bytes);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  // An opaque random key that lets the API apply per-donor caps; kept in this browser only.
  function donorKey() {
    var name = "qingyi.donor_key";
    try {
      var k = window.localStorage.getItem(name);
      if (!k || !/^[\x21-\x7e]{8,64}$/.test(k)) { k = "dk_" + randomHex(16); window.localStorage.setItem(name, k); }
      return k;
    } catch (e) {
      if (!donorKey.fallback) donorKey.fallback = "dk_" + randomHex(16);
      return donorKey.fallback;
    }
  }

  // This browser's own random token: the API's abuse limit counts per (address, client), so a flooding
  // script behind a campus or carrier NAT is refused without refusing the other donors there.
  function clientToken() {
    var name = "qingyi.client";
    try {
      var k = window.localStorage.getItem(name);
      if (!k || !/^[0-9A-Za-z_-]{16,64}$/.test(k)) { k = "c_" + randomHex(12); window.localStorage.setItem(name, k); }
      return k;
    } catch (e) {
      if (!clientToken.fallback) clientToken.fallback = "c_" + randomHex(12);
      return clientToken.fallback;
    }
  }

  // The donor's private tokens, by pledge id, in this browser only (the link also carries its own).
  var LINKS = "qingyi.pledge_links";
  function rememberLink(pledgeId, token) {
    try {
      var all = JSON.parse(window.localStorage.getItem(LINKS) || "{}") || {};
      all[pledgeId] = token;
      var ids = Object.keys(all);
      if (ids.length > 20) delete all[ids[0]];
      window.localStorage.setItem(LINKS, JSON.stringify(all));
    } catch (e) { /* private mode: the link itself still works */ }
  }
  function knownLink(pledgeId) {
    try { return (JSON.parse(window.localStorage.getItem(LINKS) || "{}") || {})[pledgeId] || ""; } catch (e) { return ""; }
  }

  function isPhone() {
    return (window.matchMedia && window.matchMedia("(max-width: 768px)").matches) || /Mobi|Android|iPhone/i.test(navigator.userAgent);
  }
  function inWeChat() { return /MicroMessenger/i.test(navigator.userAgent); }

  function apiBase(node) {
    var url = (node && node.getAttribute("data-api")) || "";
    if (!url) { var meta = document.querySelector('meta[name="qingyi-api"]'); url = meta ? meta.getAttribute("content") : ""; }
    return String(url || "").replace(/\/+$/, "");
  }

  // Retry-After in seconds ("120") or as an HTTP date; null when absent or unreadable.
  function retryAfterSeconds(value) {
    if (!value) return null;
    if (/^\s*\d+\s*$/.test(value)) return parseInt(value, 10);
    var when = Date.parse(value);
    return isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
  }

  // fetch with a timeout; resolves {status, body, retryAfter, etag}; rejects only on network failure.
  function call(url, options) {
    options = options || {};
    var ctrl = typeof AbortController !== "undefined" ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, FETCH_TIMEOUT_MS) : null;
    var init = { method: options.method || "GET", headers: options.headers || {}, body: options.body, mode: "cors", credentials: "omit", cache: options.cache || "no-store" };
    if (ctrl) init.signal = ctrl.signal;
    return fetch(url, init).then(function (r) {
      if (timer) clearTimeout(timer);
      var retryAfter = retryAfterSeconds(r.headers.get("Retry-After"));
      var etag = r.headers.get("ETag");
      return r.text().then(function (t) {
        var body = null;
        try { body = t ? JSON.parse(t) : null; } catch (e) { body = null; }
        return { status: r.status, body: body, retryAfter: retryAfter, etag: etag };
      });
    }, function (err) { if (timer) clearTimeout(timer); throw err; });
  }

  function sameOrigin(url) {
    try { return new URL(url, window.location.href).origin === window.location.origin; } catch (e) { return false; }
  }

  // The last 200 answer of each public GET, by URL: {etag, body}. A 304 answers with the kept body.
  var kept = {};

  // GET a public JSON answer. Same origin (the site's CDN serves the API's reads beside the pages), it
  // sends If-None-Match itself. Cross origin it must not: If-None-Match is not a CORS-safelisted header,
  // so it would cost a preflight the read routes do not answer; there the browser's own HTTP cache
  // revalidates ("no-cache" sends its stored ETag and turns a 304 into the cached 200).
  // A refusal rejects with an Error carrying .status and .retryAfter, for poll()'s back-off.
  function getJSON(url) {
    var have = kept[url];
    var explicit = sameOrigin(url);
    var headers = {};
    if (have && explicit) headers["If-None-Match"] = have.etag;
    return call(url, { headers: headers, cache: explicit ? "no-store" : "no-cache" }).then(function (res) {
      if (res.status === 304 && have) return have.body;
      if (res.status !== 200 || !res.body) {
        var err = new Error("HTTP " + res.status);
        err.status = res.status;
        err.retryAfter = res.retryAfter;
        throw err;
      }
      if (res.etag) kept[url] = { etag: res.etag, body: res.body };
      else delete kept[url];
      return res.body;
    });
  }

  // ms drawn from [ms·0.8, ms·1.2]; upOnly: from [ms, ms·1.2] (never earlier than a server asked).
  function jittered(ms, upOnly) {
    var r = Math.random();
    return Math.round(upOnly ? ms * (1 + JITTER * r) : ms * (1 - JITTER + 2 * JITTER * r));
  }

  // Run task() now, then about every POLL_MS (jittered) while it succeeds. On failure back off: a 429 or
  // 503 with Retry-After waits that long (at most 5 min) and nothing polls before then; other failures
  // double the delay up to 5 min; a success resets it. A hidden tab schedules nothing at all; when it
  // shows again (or the window gets focus) it polls soon, jittered, unless a Retry-After still holds.
  // Returns a function that refreshes now (after a pledge), still honouring Retry-After.
  function poll(task) {
    var delay = POLL_MS, timer = null, running = false, notBefore = 0;
    function schedule(ms) {
      if (timer) { clearTimeout(timer); timer = null; }
      if (document.hidden || running) return; // running: the poll in flight schedules the next one
      timer = setTimeout(run, Math.max(ms, notBefore - Date.now(), 0));
    }
    function run() {
      timer = null;
      if (running || document.hidden) return;
      running = true;
      Promise.resolve().then(task).then(function () {
        delay = POLL_MS;
        notBefore = 0;
        return jittered(delay);
      }, function (err) {
        var status = err && err.status;
        if ((status === 429 || status === 503) && err.retryAfter !== null && err.retryAfter !== undefined) {
          delay = Math.min(Math.max(err.retryAfter * 1000, POLL_MS), POLL_MAX_MS);
          var wait = jittered(delay, true);
          notBefore = Date.now() + wait;
          return wait;
        }
        delay = Math.min(delay * 2, POLL_MAX_MS);
        return jittered(delay);
      }).then(function (next) { running = false; schedule(next); });
    }
    function soon() { schedule(jittered(SOON_MS)); }
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) { if (timer) { clearTimeout(timer); timer = null; } } else soon();
    });
    window.addEventListener("focus", soon);
    run();
    return function () { schedule(0); };
  }

  // A note under a live block: "实时数据，更新于 12:00:00", or the fallback sentence.
  function setLiveNote(note, ok, snapshotText, asOf) {
    if (!note) return;
    if (ok) {
      note.textContent = "实时数据，更新于 " + clockText(asOf) + "。";
      note.classList.remove("qy-offline");
      note.setAttribute("data-state", "live");
    } else {
      note.textContent = "暂时无法连接在线服务，这里显示的是" + snapshotText + "；稍后会自动重试。 / The live service cannot be reached; showing the build-time snapshot.";
      note.classList.add("qy-offline");
      note.setAttribute("data-state", "offline");
    }
  }

  // ---- pledge widget: live progress, donor wall, the form ------------------------------------

  function PledgeWidget(root) {
    this.root = root;
    this.api = apiBase(root);
    this.projectId = root.getAttribute("data-project-id");
    this.teamId = root.getAttribute("data-team-id") || "";
    this.accepting = root.getAttribute("data-accepting") === "true";
    this.campaignIds = (root.getAttribute("data-campaign-ids") || "").split(/\s+/).filter(Boolean);
    this.teamIds = (root.getAttribute("data-team-ids") || "").split(/\s+/).filter(Boolean);
    this.goal = parseInt(root.getAttribute("data-goal-fen") || "0", 10) || 0;
    this.snapshotDate = root.getAttribute("data-snapshot-date") || "";
    this.snapshot = root.querySelector('[data-role="snapshot"]');
    this.pledgePage = root.getAttribute("data-pledge-page") || "/pledge/";
    this.attempt = null; // {key, body}: one Idempotency-Key per attempt, reused when the same body is retried
    this.busy = false;
    this.everLive = false;
    this.build();
    var self = this;
    this.refresh = poll(function () { return self.load(); });
  }

  PledgeWidget.prototype.snapshotText = function () {
    return "构建时快照" + (this.snapshotDate ? "（" + this.snapshotDate.slice(0, 10) + "）" : "");
  };

  PledgeWidget.prototype.build = function () {
    var r = this.root;
    r.classList.add("qy-live-ready");
    // live figures (hidden until the first answer; the snapshot shows until then)
    this.bar = el("div", { "class": "qy-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100", "aria-valuenow": "0", "aria-label": this.teamId ? "战队目标完成度" : "筹款进度（已筹加配捐，占目标）", "data-role": "live-bar" }, [el("span", { "class": "qy-bar__fill" })]);
    this.figures = {};
    var dl = el("dl", { "class": "qy-stats" });
    var names = this.teamId
      ? [["goal", "战队目标"], ["raised", "已筹"], ["matched", "配捐"], ["donors", "捐赠人数"]]
      : [["goal", "目标"], ["raised", "已到账"], ["pending", "认捐中（未付款）"], ["matched", "配捐"], ["donors", "捐赠人数"], ["pool", "本项目可配捐余额"]];
    var self = this;
    names.forEach(function (pair) {
      var dd = el("dd", { "data-live": pair[0], text: "—" });
      var wrap = el("div", { "data-live-row": pair[0] }, [el("dt", { text: pair[1] }), dd]);
      self.figures[pair[0]] = dd;
      dl.appendChild(wrap);
    });
    this.figures.goal.textContent = money(this.goal);
    this.live = el("div", { "class": "qy-live", "data-role": "live", hidden: true }, [this.bar, dl]);
    this.note = el("p", { "class": "qy-note qy-live-note", "data-role": "live-note", "aria-live": "polite", text: "正在读取实时数据…" });
    r.appendChild(this.live);
    r.appendChild(this.note);
    if (this.accepting) r.appendChild(this.form());
    // the donor wall
    this.wallList = el("ol", { "class": "qy-wall", "data-role": "wall" });
    this.wallEmpty = el("p", { "class": "qy-note", text: "还没有认捐记录。", hidden: true });
    var heading = el("h3", { id: "qy-wall-title-" + (this.teamId || this.projectId), text: this.teamId ? "为本战队认捐的捐赠人" : "捐赠墙" });
    this.wall = el("section", { "class": "qy-wall-block", "aria-labelledby": heading.id, hidden: true }, [heading, this.wallList, this.wallEmpty]);
    r.appendChild(this.wall);
  };

  PledgeWidget.prototype.form = function () {
    var self = this, uid = this.teamId || this.projectId;
    var form = el("form", { "class": "qy-pledge-form", novalidate: "novalidate", "aria-labelledby": "qy-pledge-title-" + uid });
    form.appendChild(el("h3", { id: "qy-pledge-title-" + uid, text: this.teamId ? "为战队认捐" : "我要认捐" }));
    // amount: presets and a free amount
    var amount = el("fieldset", { "class": "qy-amounts" }, [el("legend", { text: "认捐金额（元）" })]);
    PRESETS_YUAN.forEach(function (y, i) {
      var id = "qy-amt-" + uid + "-" + y;
      var input = el("input", { type: "radio", name: "preset", id: id, value: String(y * 100) });
      if (i === 1) input.checked = true;
      amount.appendChild(el("span", { "class": "qy-choice" }, [input, el("label", { "for": id, text: "¥" + y })]));
    });
    var otherId = "qy-amt-" + uid + "-other";
    var other = el("input", { type: "radio", name: "preset", id: otherId, value: "other" });
    var free = el("input", { type: "text", name: "free_amount", id: otherId + "-value", inputmode: "decimal", autocomplete: "off", "class": "qy-free", "aria-describedby": otherId + "-hint", size: "10" });
    amount.appendChild(el("span", { "class": "qy-choice" }, [other, el("label", { "for": otherId, text: "其他金额" })]));
    amount.appendChild(el("span", { "class": "qy-choice" }, [el("label", { "for": free.id, text: "自填金额（元）" }), free]));
    amount.appendChild(el("p", { "class": "qy-note", id: otherId + "-hint", text: "最少 0.01 元，最多两位小数，单笔不超过 100 万元。" }));
    free.addEventListener("input", function () { if (free.value.trim()) other.checked = true; });
    form.appendChild(amount);
    // who: a display name or anonymous
    var nameId = "qy-name-" + uid, anonId = "qy-anon-" + uid;
    var name = el("input", { type: "text", name: "display_name", id: nameId, maxlength: "20", autocomplete: "nickname" });
    var anon = el("input", { type: "checkbox", name: "anonymous", id: anonId });
    anon.addEventListener("change", function () { name.disabled = anon.checked; });
    form.appendChild(el("fieldset", { "class": "qy-who" }, [
      el("legend", { text: "署名" }),
      el("span", { "class": "qy-choice" }, [el("label", { "for": nameId, text: "显示名（最多 20 字）" }), name]),
      el("span", { "class": "qy-choice" }, [anon, el("label", { "for": anonId, text: "匿名（捐赠墙上显示为“" + ANONYMOUS + "”）" })]),
    ]));
    // team picker
    var teamSelectId = "qy-team-" + uid;
    var select = el("select", { name: "team_id", id: teamSelectId });
    select.appendChild(el("option", { value: "", text: "不选择战队" }));
    var teamIds = this.teamId ? [this.teamId] : this.teamIds;
    var names = {};
    try { names = JSON.parse(this.root.getAttribute("data-team-names") || "{}") || {}; } catch (e) { names = {}; }
    teamIds.forEach(function (t) { select.appendChild(el("option", { value: t, text: names[t] || t })); });
    if (this.teamId) select.value = this.teamId;
    if (teamIds.length) {
      form.appendChild(el("p", { "class": "qy-team-pick" }, [el("label", { "for": teamSelectId, text: "为战队助力（可选）" }), " ", select]));
      this.loadTeamNames(select);
    }
    // message
    var msgId = "qy-msg-" + uid;
    var message = el("input", { type: "text", name: "message", id: msgId, maxlength: "200" });
    form.appendChild(el("p", {}, [el("label", { "for": msgId, text: "留言（可选，公开显示）" }), " ", message]));
    var button = el("button", { type: "submit", "class": "qy-button", text: "认捐" });
    form.appendChild(el("p", {}, [button]));
    this.result = el("div", { "class": "qy-result", role: "status", "aria-live": "polite", "data-role": "result" });
    form.appendChild(this.result);
    form.appendChild(el("p", { "class": "qy-note", text: "先认捐，再付款：款项到账时才确定配捐并计入“已到账”。同一次认捐因网络问题重试，不会重复计算。" }));
    this.controls = { form: form, other: other, free: free, name: name, anon: anon, select: select, message: message, button: button };
    form.addEventListener("submit", function (ev) { ev.preventDefault(); self.submit(); });
    return form;
  };

  PledgeWidget.prototype.loadTeamNames = function (select) {
    var self = this;
    this.campaignIds.forEach(function (cid) {
      getJSON(self.api + "/campaigns/" + encodeURIComponent(cid) + "/teams").then(function (board) {
        (board.by_amount || []).forEach(function (row) {
          Array.prototype.forEach.call(select.options, function (opt) {
            if (opt.value === row.team_id && row.name) opt.textContent = row.name;
          });
        });
      }, function () { /* the build-time names stay */ });
    });
  };

  PledgeWidget.prototype.body = function () {
    var c = this.controls, fen;
    var checked = c.form.querySelector('input[name="preset"]:checked');
    if (!checked) return { error: "请选择或填写认捐金额。", focus: c.form.querySelector('input[name="preset"]') };
    if (checked.value === "other") {
      fen = parseYuan(c.free.value);
      if (fen === null || fen < 1 || fen > MAX_FEN) return { error: "请填写有效的金额：以元为单位，最多两位小数，例如 66 或 8.8；单笔不超过 100 万元。", focus: c.free };
    } else {
      fen = parseInt(checked.value, 10);
    }
    var body = { amount_fen: fen, donor_key: donorKey() };
    if (c.anon.checked) body.anonymous = true;
    else {
      var name = c.name.value.trim();
      if (!name) return { error: "请填写显示名，或勾选“匿名”。", focus: c.name };
      body.display_name = name;
    }
    if (c.select.value) body.team_id = c.select.value;
    if (c.message.value.trim()) body.message = c.message.value.trim();
    return { body: body };
  };

  PledgeWidget.prototype.say = function (kind, lines) {
    this.result.className = "qy-result qy-result--" + kind;
    this.result.setAttribute("data-state", kind);
    this.result.textContent = "";
    var self = this;
    lines.forEach(function (line) { self.result.appendChild(el("p", { text: line })); });
  };

  PledgeWidget.prototype.submit = function () {
    if (this.busy) return;
    var made = this.body();
    if (made.error) { this.say("error", [made.error]); if (made.focus) made.focus.focus(); return; }
    var text = JSON.stringify(made.body);
    // Same body as an attempt that did not get an answer: the same attempt, so the same key.
    if (!this.attempt || this.attempt.body !== text) this.attempt = { key: "pl_" + randomHex(16), body: text };
    this.busy = true;
    this.controls.button.disabled = true;
    this.controls.button.setAttribute("aria-busy", "true");
    this.say("pending", ["正在提交认捐…"]);
    this.send(this.attempt, 0);
  };

  PledgeWidget.prototype.done = function () {
    this.busy = false;
    this.controls.button.disabled = false;
    this.controls.button.removeAttribute("aria-busy");
  };

  PledgeWidget.prototype.send = function (attempt, tries) {
    var self = this;
    call(this.api + "/projects/" + encodeURIComponent(this.projectId) + "/pledges", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": attempt.key, "Qingyi-Client": clientToken() },
      body: attempt.body,
    }).then(function (res) { self.answer(attempt, tries, res); }, function () {
      if (tries < AUTO_RETRIES) {
        self.say("pending", ["网络中断，正在用同一认捐编号自动重试（第 " + (tries + 1) + " 次）…"]);
        setTimeout(function () { self.send(attempt, tries + 1); }, 800 * (tries + 1));
        return;
      }
      self.done();
      self.say("error", ["网络连接失败，这笔认捐可能没有提交成功。", "请检查网络后再点一次“认捐”：会安全地重试同一笔认捐，不会重复计算。 / Network error: press the button again to retry safely."]);
    });
  };

  PledgeWidget.prototype.answer = function (attempt, tries, res) {
    var self = this, b = res.body || {}, wait = res.retryAfter || 1;
    var apiSays = b.message ? String(b.message) : "";
    if (res.status === 201 || res.status === 200) {
      this.attempt = null; // the next pledge is a new attempt with a new key
      this.done();
      var ref = pledgeRef(b.pledge_id);
      var expected = b.expected_match_fen || 0;
      var lines = ["认捐已记录：" + money(b.amount_fen) + (expected > 0 ? "，预计配捐 " + money(expected) + "（预计配捐，以到账时为准）。" : "。")];
      if (b.match_reason) {
        var why = REASON_ZH[b.match_reason] || String(b.match_note || "").split("；")[0] || b.match_reason;
        lines.push((expected > 0 ? "预计配捐少于规则的全额" : "按现在的规则这笔认捐没有配捐") + "：" + why + "。");
      }
      lines.push("认捐编号 " + (ref || b.pledge_id) + "。请在 " + clockText(b.expires_at) + " 前付款：付款到账后才计入“已到账”并确定配捐；未付款的认捐到期作废，不占用配捐。");
      this.say("ok", lines);
      if (b.donor_token) {
        rememberLink(b.pledge_id, b.donor_token);
        var link = donorLink(this.pledgePage, b.pledge_id, b.donor_token);
        this.result.appendChild(el("p", {}, ["您的私人认捐链接（可查看状态、重新付款、取消或申请捐赠票据；请收藏，不要分享）：", el("a", { href: link, "data-role": "donor-link", text: "查看我的认捐" })]));
        this.result.appendChild(new PayStep(this.api, b, link).node);
      }
      this.result.setAttribute("data-match-reason", b.match_reason || "");
      this.result.setAttribute("data-answer-pledge-id", b.pledge_id || ""); // not data-pledge-id: that names wall rows
      this.result.setAttribute("data-pledge-ref", ref);
      // The next pledge starts clean: a message belongs to one pledge (an anonymous pledge once carried the
      // previous named one's message). The name stays: it is the same person.
      this.controls.message.value = "";
      this.refresh();
      setTimeout(this.refresh, 2000); // the API caches public figures for a moment
      return;
    }
    if (res.status === 503 && tries < AUTO_RETRIES) {
      this.say("pending", ["服务繁忙，" + wait + " 秒后自动重试…"]);
      setTimeout(function () { self.send(attempt, tries + 1); }, Math.min(wait, 10) * 1000);
      return;
    }
    this.done();
    if (res.status === 503) {
      this.say("error", ["服务繁忙，请 " + wait + " 秒后再点一次“认捐”（会安全重试，不会重复计算）。", apiSays]);
    } else if (res.status === 429) {
      this.say("error", ["提交太频繁了，请 " + wait + " 秒后再试。", apiSays]);
    } else if (res.status === 409) {
      if (b.code === "idempotency_mismatch") this.attempt = null;
      var text = { project_closed: "这个项目现在不接受认捐。", idempotency_mismatch: "这次提交的内容和上一次没有完成的提交不同，请再点一次“认捐”作为新的认捐。", pledge_cancelled: "这笔认捐已被取消。" }[b.code];
      this.say("error", [text || "认捐与当前状态冲突。", apiSays]);
    } else if (res.status >= 400 && res.status < 500) {
      this.attempt = null;
      this.say("error", ["认捐没有提交：" + (apiSays || "请求有误。")]);
    } else {
      this.say("error", ["服务出错了（" + res.status + "），请稍后再试。", apiSays]);
    }
  };

  PledgeWidget.prototype.load = function () {
    var self = this;
    var enc = encodeURIComponent;
    var figures = this.teamId
      ? getJSON(this.api + "/teams/" + enc(this.teamId)).then(function (t) {
          return { goal: t.target_fen, raised: t.raised_fen, matched: t.matched_fen, donors: t.donor_count, pledges: t.pledge_count, asOf: t.as_of };
        })
      : getJSON(this.api + "/projects/" + enc(this.projectId) + "/progress").then(function (p) {
          var c = p.campaign;
          var pool = c ? (c.match_remaining_fen !== undefined ? c.match_remaining_fen : c.remaining_fen) : null;
          var paid = p.paid_fen !== undefined ? p.paid_fen : p.raised_fen;
          return { goal: p.goal_fen, raised: paid, pending: p.pending_fen || 0, matched: p.matched_fen, donors: p.donor_count, pledges: p.pledge_count, asOf: p.as_of, pool: pool };
        });
    var wall = getJSON(this.api + "/projects/" + enc(this.projectId) + "/pledges?limit=" + (this.teamId ? 100 : 20));
    return Promise.all([figures, wall]).then(function (both) {
      self.show(both[0]);
      self.showWall(both[1].pledges || []);
    }, function (err) {
      if (!self.everLive) {
        if (self.snapshot) self.snapshot.hidden = false;
        self.live.hidden = true;
      }
      setLiveNote(self.note, false, self.everLive ? "上次读到的实时数据" : self.snapshotText());
      throw err;
    });
  };

  PledgeWidget.prototype.show = function (f) {
    this.everLive = true;
    var goal = f.goal || this.goal || 0;
    var reached = (f.raised || 0) + (f.matched || 0);
    var permille = goal > 0 ? Math.floor((reached * 1000) / goal) : 0;
    var shown = Math.min(permille, 1000) / 10;
    this.bar.setAttribute("aria-valuenow", String(shown));
    this.bar.setAttribute("aria-valuetext", (permille / 10) + "%（" + money(reached) + " / " + money(goal) + "）");
    this.bar.setAttribute("data-reached-fen", String(reached));
    this.bar.firstChild.style.width = shown + "%";
    this.figures.goal.textContent = money(goal);
    this.figures.raised.textContent = money(f.raised);
    this.figures.raised.setAttribute("data-fen", String(f.raised));
    this.figures.matched.textContent = money(f.matched);
    this.figures.matched.setAttribute("data-fen", String(f.matched));
    if (this.figures.pending) {
      this.figures.pending.textContent = money(f.pending);
      this.figures.pending.setAttribute("data-fen", String(f.pending));
    }
    this.figures.donors.textContent = String(f.donors) + " 人";
    this.figures.donors.setAttribute("data-count", String(f.donors));
    if (this.figures.pool) {
      this.figures.pool.parentNode.hidden = f.pool === null || f.pool === undefined;
      this.figures.pool.textContent = money(f.pool);
      this.figures.pool.setAttribute("data-fen", String(f.pool));
    }
    if (this.snapshot) this.snapshot.hidden = true;
    this.live.hidden = false;
    if (!this.teamId) this.showSources(f);
    setLiveNote(this.note, true, "", f.asOf);
  };

  // The project's sources-and-uses table: the online pledges as one live row, so its total agrees with
  // the 已筹 figure above it (the build only knows the entries recorded in content).
  PledgeWidget.prototype.showSources = function (f) {
    var table = document.getElementById("sources-and-uses");
    var row = table && table.querySelector('[data-role="online-pledges"]');
    if (!row) return;
    var recorded = parseInt(table.getAttribute("data-recorded-fen") || "0", 10) || 0;
    var spent = parseInt(table.getAttribute("data-spent-fen") || "0", 10) || 0;
    var online = f.raised || 0;
    row.querySelector('[data-role="online-amount"]').textContent = money(online);
    row.querySelector('[data-role="online-amount"]').setAttribute("data-fen", String(online));
    row.querySelector('[data-role="online-donors"]').textContent = String(f.donors || 0) + " 人";
    row.querySelector('[data-role="online-date"]').textContent = "截至 " + clockText(f.asOf);
    row.hidden = false;
    var none = table.querySelector('[data-role="no-records"]');
    if (none) none.hidden = true;
    var total = table.querySelector('[data-role="online-total"]');
    total.textContent = " + 在线认捐 " + money(online) + " = 来源合计 " + money(recorded + online);
    total.setAttribute("data-fen", String(recorded + online));
    total.hidden = false;
    table.querySelector('[data-role="balance"]').textContent = money(recorded + online - spent);
  };

  PledgeWidget.prototype.showWall = function (rows) {
    var self = this;
    if (this.teamId) rows = rows.filter(function (r) { return r.team_id === self.teamId; }).slice(0, 20);
    this.wallList.textContent = "";
    rows.forEach(function (r) {
      var name = r.display_name || ANONYMOUS;
      var li = el("li", { "data-pledge-id": r.pledge_id }, [
        el("span", { "class": "qy-wall__name", text: name }), " ",
        el("span", { "class": "qy-wall__amount", text: money(r.amount_fen) }),
        r.match_fen ? el("span", { "class": "qy-wall__match", text: " 配捐 " + money(r.match_fen) }) : null,
        r.status && r.status !== "paid" ? el("span", { "class": "qy-wall__pending", text: " 认捐中（未付款）" }) : null,
        r.message ? el("q", { "class": "qy-wall__message", text: r.message }) : null,
      ]);
      self.wallList.appendChild(li);
    });
    this.wallEmpty.hidden = rows.length > 0;
    this.wall.hidden = false;
  };

  // ---- paying: the pay step and the donor's private page ------------------------------------------

  function donorLink(page, pledgeId, token) {
    // The token rides in the fragment: a fragment never reaches a server, its logs or a Referer header.
    return page + "#" + encodeURIComponent(pledgeId) + "." + encodeURIComponent(token);
  }

  var PROVIDERS = [["wechat", "微信支付"], ["alipay", "支付宝"], ["bank", "银行转账（对公）"]];

  // Choose WeChat Pay, Alipay or a bank transfer; ask the API for the provider order; go on as it says.
  function PayStep(api, pledge, back) {
    var self = this;
    this.api = api;
    this.pledge = pledge;
    this.back = back;
    this.out = el("div", { "class": "qy-pay__out", "data-role": "pay-out", "aria-live": "polite" });
    var buttons = PROVIDERS.map(function (pair) {
      var b = el("button", { type: "button", "class": "qy-pay__choice", "data-provider": pair[0], text: pair[1] });
      b.addEventListener("click", function () { self.start(pair[0], b); });
      return b;
    });
    this.node = el("div", { "class": "qy-pay", "data-role": "pay-step" }, [
      el("p", { "class": "qy-pay__title", text: "选择付款方式：" }),
      el("p", { "class": "qy-pay__choices" }, buttons),
      this.out,
    ]);
  }

  PayStep.prototype.channel = function (provider) {
    if (provider === "wechat") return inWeChat() ? "jsapi" : isPhone() ? "h5" : "native";
    if (provider === "alipay") return isPhone() ? "wap" : "page";
    return "bank";
  };

  PayStep.prototype.show = function (lines) {
    var out = this.out;
    out.textContent = "";
    lines.forEach(function (line) { out.appendChild(typeof line === "string" ? el("p", { text: line }) : line); });
  };

  PayStep.prototype.start = function (provider, button) {
    var self = this, channel = this.channel(provider);
    if (channel === "jsapi") channel = "h5"; // JSAPI needs the payer's openid from the 公众号's OAuth; H5 opens WeChat itself
    button.disabled = true;
    this.show(["正在创建付款订单…"]);
    call(this.api + "/pledges/" + encodeURIComponent(this.pledge.pledge_id) + "/checkout", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Donor-Token": this.pledge.donor_token },
      body: JSON.stringify({ provider: provider, channel: channel }),
    }).then(function (res) {
      button.disabled = false;
      var b = res.body || {};
      if (res.status !== 200) {
        var wait = res.retryAfter ? "（请 " + res.retryAfter + " 秒后再试）" : "";
        self.show(["没有创建付款订单：" + (b.message || ("HTTP " + res.status)) + wait]);
        return;
      }
      self.go(b);
    }, function () {
      button.disabled = false;
      self.show(["网络连接失败，请再点一次付款方式。"]);
    });
  };

  // Where the browser comes back after paying at WeChat (H5 honours redirect_url, as the fake does).
  PayStep.prototype.withReturn = function (url) {
    if (!/^https?:/i.test(url)) return url;
    var back = new URL(this.back, window.location.href).href;
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "redirect_url=" + encodeURIComponent(back);
  };

  PayStep.prototype.go = function (c) {
    if (c.kind === "redirect") {
      var target = c.provider === "wechat" ? this.withReturn(c.url) : c.url;
      this.show([el("p", {}, ["正在前往" + (c.provider === "wechat" ? "微信支付" : "支付宝") + "… ", el("a", { href: target, "data-role": "pay-link", text: "如果没有自动打开，请点这里" })])]);
      window.location.assign(target);
      return;
    }
    if (c.kind === "qr") {
      this.show([
        "请用微信“扫一扫”扫描付款码完成付款（在电脑上打开本页时）。付款后本页的私人链接会显示“已到账”和最终配捐。",
        c.qr_image ? el("p", {}, [el("img", { src: c.qr_image, alt: "微信支付付款码", width: "220", height: "220", "data-role": "pay-qr" })]) : null,
        el("p", {}, [el("a", { href: this.withReturn(c.url), "data-role": "pay-link", text: "打开微信支付付款页" })]),
        el("p", { "class": "qy-note", text: "付款码内容：" + c.url }),
      ]);
      return;
    }
    if (c.kind === "jsapi" && window.WeixinJSBridge) {
      var back = this.back;
      window.WeixinJSBridge.invoke("getBrandWCPayRequest", c.params, function () { window.location.assign(back); });
      return;
    }
    if (c.kind === "bank" && c.params) {
      var p = c.params;
      var dl = el("dl", { "class": "qy-bank", "data-role": "bank-details" });
      [["户名", p.account_name], ["开户行", p.bank_name], ["账号", p.account_number], ["金额", money(p.amount_fen)], ["转账附言（必填）", p.reference]].forEach(function (row) {
        dl.appendChild(el("div", {}, [el("dt", { text: row[0] }), el("dd", { text: String(row[1]) })]));
      });
      this.show(["请向慈善组织的对公账户转账，并在附言里写上参考号；工作人员对账确认后计为“已到账”并确定配捐。", dl]);
      return;
    }
    this.show(["这种付款方式需要在微信里打开本页。"]);
  };

  var STATUS_ZH = {
    pledged: "认捐中：等待付款", paid: "已到账", refunded: "已退款", expired: "已过期（未付款）",
    cancelled: "已取消", needs_review: "款项已到，金额与认捐不符，等待工作人员核对", paid_after_close: "款项在认捐关闭后到账，等待工作人员退款",
  };

  // The donor's private page: /pledge/#<pledge_id>.<token> (or, back from Alipay, ?out_trade_no=).
  function DonorPledge(root) {
    this.root = root;
    this.api = apiBase(root);
    var hash = decodeURIComponent((window.location.hash || "").replace(/^#/, ""));
    var m = /^(p_[0-9a-f]{24})\.([0-9a-f]{32})$/.exec(hash);
    var query = new URLSearchParams(window.location.search);
    this.pledgeId = m ? m[1] : (query.get("out_trade_no") || "");
    this.token = m ? m[2] : knownLink(this.pledgeId);
    if (m) rememberLink(this.pledgeId, this.token);
    this.polls = 0;
    this.view = el("div", { "class": "qy-donor", "data-role": "donor-view", "aria-live": "polite" });
    root.textContent = "";
    root.appendChild(this.view);
    if (!this.pledgeId || !this.token) {
      this.view.appendChild(el("p", { text: "请从认捐后得到的私人链接打开本页。链接只保存在您自己的浏览器里。" }));
      return;
    }
    this.load();
  }

  DonorPledge.prototype.headers = function (json) {
    var h = { "Donor-Token": this.token };
    if (json) h["Content-Type"] = "application/json";
    return h;
  };

  DonorPledge.prototype.url = function (tail) {
    return this.api + "/pledges/" + encodeURIComponent(this.pledgeId) + tail;
  };

  DonorPledge.prototype.load = function () {
    var self = this;
    call(this.url("/donor"), { headers: this.headers(false) }).then(function (res) {
      if (res.status !== 200) {
        self.view.textContent = "";
        self.view.appendChild(el("p", { text: (res.body && res.body.message) || ("读取认捐失败（HTTP " + res.status + "）") }));
        return;
      }
      self.render(res.body);
      // While unpaid, look again every 3 s (a payment notification takes seconds), for at most 30 minutes.
      if (res.body.status === "pledged" && self.polls++ < 600) setTimeout(function () { self.load(); }, 3000);
    }, function () {
      if (self.polls++ < 600) setTimeout(function () { self.load(); }, 10000);
    });
  };

  DonorPledge.prototype.render = function (p) {
    var self = this;
    var v = this.view;
    if (v.getAttribute("data-status") === p.status && p.status === "pledged" && v.firstChild) return; // keep the pay step as it is
    v.textContent = "";
    v.setAttribute("data-status", p.status);
    var dl = el("dl", { "class": "qy-stats" });
    var rows = [["状态", STATUS_ZH[p.status] || p.status, "status"], ["认捐金额", money(p.amount_fen), "amount"]];
    if (p.match_final) rows.push(["配捐（最终）", money(p.match_fen), "final-match"]);
    else rows.push(["预计配捐", money(p.expected_match_fen) + "（预计配捐，以到账时为准）", "expected-match"]);
    if (p.status === "pledged" && p.expires_at) rows.push(["付款截止", clockText(p.expires_at), "expires"]);
    if (p.paid_at) rows.push(["到账时间", clockText(p.paid_at), "paid-at"]);
    rows.forEach(function (r) { dl.appendChild(el("div", { "data-field": r[2] }, [el("dt", { text: r[0] }), el("dd", { text: r[1] })])); });
    v.appendChild(el("p", { text: "认捐编号 " + pledgeRef(p.pledge_id) }));
    v.appendChild(dl);
    if (p.status === "pledged") {
      v.appendChild(new PayStep(this.api, { pledge_id: p.pledge_id, donor_token: this.token }, window.location.href).node);
      var cancel = el("button", { type: "button", "class": "qy-pay__cancel", "data-role": "cancel", text: "取消这笔认捐" });
      cancel.addEventListener("click", function () {
        cancel.disabled = true;
        call(self.url("/cancel"), { method: "POST", headers: self.headers(false) }).then(function (res) {
          if (res.status === 200) self.render(res.body); else { cancel.disabled = false; v.appendChild(el("p", { text: (res.body && res.body.message) || "取消失败" })); }
        });
      });
      v.appendChild(el("p", {}, [cancel]));
    }
    if (p.status === "paid") v.appendChild(this.receiptForm(p));
  };

  DonorPledge.prototype.receiptForm = function (p) {
    var self = this;
    if (p.receipt_requested) return el("p", { "data-role": "receipt-done", text: "已申请捐赠票据：慈善组织开具后发送到您填写的邮箱。" });
    var kind = el("select", { id: "qy-receipt-kind", name: "payer_kind" }, [el("option", { value: "person", text: "个人" }), el("option", { value: "organisation", text: "单位" })]);
    var name = el("input", { type: "text", id: "qy-receipt-name", name: "payer_name", maxlength: "60", autocomplete: "name" });
    var code = el("input", { type: "text", id: "qy-receipt-code", name: "credit_code", maxlength: "18" });
    var email = el("input", { type: "email", id: "qy-receipt-email", name: "email", maxlength: "254", autocomplete: "email" });
    var out = el("p", { "aria-live": "polite" });
    var form = el("form", { "class": "qy-pledge-form", "data-role": "receipt-form" }, [
      el("h3", { text: "申请捐赠票据" }),
      el("p", { "class": "qy-note", text: "票据由接收善款的慈善组织开具。这些信息只给慈善组织开票用，不会公开。" }),
      el("p", {}, [el("label", { "for": kind.id, text: "开票对象 " }), kind]),
      el("p", {}, [el("label", { "for": name.id, text: "姓名或单位名称 " }), name]),
      el("p", {}, [el("label", { "for": code.id, text: "统一社会信用代码（单位必填） " }), code]),
      el("p", {}, [el("label", { "for": email.id, text: "接收电子票据的邮箱 " }), email]),
      el("p", {}, [el("button", { type: "submit", "class": "qy-button", text: "提交" })]),
      out,
    ]);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var body = { payer_kind: kind.value, payer_name: name.value.trim(), email: email.value.trim() };
      if (kind.value === "organisation") body.credit_code = code.value.trim();
      call(self.url("/receipt"), { method: "POST", headers: self.headers(true), body: JSON.stringify(body) }).then(function (res) {
        if (res.status === 202) self.render(res.body); else out.textContent = (res.body && res.body.message) || "提交失败";
      });
    });
    return form;
  };

  // ---- needs board, one need's claim status, a cottage's visits --------------------------------

  function claimSentence(s) {
    var team = s.team_name || s.claimed_by || "";
    if (s.claim_status === "pending") return "已被认领，待审核：" + team;
    if (s.claim_status === "approved") return "已认领（已审核）：" + team;
    if (s.stage === "published") return "可认领" + (s.claim_closes ? "（截止 " + s.claim_closes + "）" : "");
    if (s.claimed && team) return "承办：" + team;
    return "";
  }

  function NeedsBoard(root) {
    this.root = root;
    this.api = apiBase(root);
    this.note = el("p", { "class": "qy-note qy-live-note", "data-role": "live-note", "aria-live": "polite", text: "正在读取实时认领状态…" });
    this.summary = el("p", { "class": "qy-live-summary", "data-role": "live-summary", hidden: true });
    root.appendChild(this.summary);
    root.appendChild(this.note);
    var self = this;
    poll(function () { return self.load(); });
  }

  NeedsBoard.prototype.load = function () {
    var self = this;
    return getJSON(this.api + "/needs/status").then(function (board) {
      var open = 0, held = 0;
      (board.needs || []).forEach(function (s) {
        if (s.stage === "published") open++;
        if (s.claim_status === "pending" || s.claim_status === "approved") held++;
        var items = document.querySelectorAll('li[data-need-id="' + s.need_id + '"]');
        Array.prototype.forEach.call(items, function (li) {
          var tag = li.querySelector('[data-role="live-claim"]');
          // Needs past "published" already show their team from content/; only open ones change live.
          var text = s.content_stage === "published" ? claimSentence(s) : "";
          if (!text) { if (tag) tag.remove(); return; }
          if (!tag) { tag = el("span", { "class": "qy-live-claim", "data-role": "live-claim" }); li.appendChild(document.createTextNode(" ")); li.appendChild(tag); }
          tag.textContent = "实时：" + text;
          tag.setAttribute("data-claim-status", s.claim_status || s.stage || "");
        });
      });
      self.summary.textContent = "实时：" + open + " 项需求正在等待认领，" + held + " 项已被认领（含待审核）。";
      self.summary.hidden = false;
      setLiveNote(self.note, true, "", board.as_of);
    }, function (err) {
      setLiveNote(self.note, false, "构建时的阶段");
      throw err;
    });
  };

  function ClaimStatus(root) {
    var api = apiBase(root), id = root.getAttribute("data-need-id");
    var line = el("p", { "class": "qy-live-claim", "data-role": "live-claim", hidden: true });
    var note = el("p", { "class": "qy-note qy-live-note", "data-role": "live-note", "aria-live": "polite", text: "正在读取实时认领状态…" });
    root.appendChild(line);
    root.appendChild(note);
    poll(function () {
      return getJSON(api + "/needs/" + encodeURIComponent(id) + "/claim").then(function (s) {
        var text = claimSentence(s);
        line.textContent = text ? "认领状态：" + text : "";
        line.setAttribute("data-claim-status", s.claim_status || s.stage || "");
        line.hidden = !text;
        setLiveNote(note, true, "", s.as_of);
      }, function (err) { setLiveNote(note, false, "构建时的阶段"); throw err; });
    });
  }

  function CottageVisits(root) {
    var api = apiBase(root), id = root.getAttribute("data-cottage-id");
    var line = el("p", { "class": "qy-live-visits__count", "data-role": "visit-count", hidden: true });
    var note = el("p", { "class": "qy-note qy-live-note", "data-role": "live-note", text: "正在读取上门探访记录…" });
    root.textContent = "";
    root.appendChild(line);
    root.appendChild(note);
    poll(function () {
      return getJSON(api + "/cottages/" + encodeURIComponent(id) + "/visit-summary").then(function (s) {
        line.textContent = "志愿者上门探访 " + s.visit_count + " 次" + (s.last_visit_month ? "，最近一次在 " + monthText(s.last_visit_month) : "") + "。";
        line.setAttribute("data-count", String(s.visit_count));
        line.hidden = false;
        setLiveNote(note, true, "", s.as_of);
      }, function (err) {
        note.textContent = "暂时无法读取上门探访记录；稍后会自动重试。 / Visit counts are unavailable right now.";
        note.classList.add("qy-offline");
        note.setAttribute("data-state", "offline");
        throw err;
      });
    });
  }

  // ---- team leaderboard: live raised and donors per team ------------------------------------------

  function Leaderboard(root) {
    var api = apiBase(root);
    var wanted = (root.getAttribute("data-team-ids") || "").split(/\s+/).filter(Boolean);
    var table = root.querySelector("table");
    if (!table || !wanted.length) return;
    var head = table.querySelector("thead tr");
    if (head) {
      head.appendChild(el("th", { scope: "col", text: "已筹（实时）" }));
      head.appendChild(el("th", { scope: "col", text: "捐赠人数（实时）" }));
    }
    var cells = {};
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr[data-team-id]"), function (tr) {
      var raised = el("td", { "class": "qy-num", "data-live": "raised", text: "—" });
      var donors = el("td", { "class": "qy-num", "data-live": "donors", text: "—" });
      tr.appendChild(raised);
      tr.appendChild(donors);
      cells[tr.getAttribute("data-team-id")] = { raised: raised, donors: donors };
    });
    var note = el("p", { "class": "qy-note qy-live-note", "data-role": "live-note", "aria-live": "polite", text: "正在读取实时排行…" });
    root.appendChild(note);
    var campaigns = null;
    poll(function () {
      var list = campaigns ? Promise.resolve(campaigns) : getJSON(api + "/campaigns").then(function (c) {
        campaigns = (c.campaigns || []).map(function (x) { return x.campaign_id; });
        return campaigns;
      });
      return list.then(function (ids) {
        return Promise.all(ids.map(function (cid) { return getJSON(api + "/campaigns/" + encodeURIComponent(cid) + "/teams"); }));
      }).then(function (boards) {
        var asOf = "";
        boards.forEach(function (b) {
          asOf = b.as_of || asOf;
          (b.by_amount || []).forEach(function (row) {
            var c = cells[row.team_id];
            if (!c) return;
            c.raised.textContent = money(row.raised_fen);
            c.raised.setAttribute("data-fen", String(row.raised_fen));
            c.donors.textContent = String(row.donor_count);
          });
        });
        setLiveNote(note, true, "", asOf);
      }, function (err) { setLiveNote(note, false, "构建时的排行（按目标金额）"); throw err; });
    });
  }

  // ---- start ------------------------------------------------------------------------------------

  function once(node, fn) {
    if (!node || node.getAttribute("data-live-init")) return;
    node.setAttribute("data-live-init", "1");
    fn(node);
  }

  // Accessibility fixes found by axe-core (tests/e2e): Material's search dialog has no accessible name.
  function nameSearchDialog() {
    var dialog = document.querySelector('.md-search[role="dialog"]');
    if (dialog && !dialog.hasAttribute("aria-label") && !dialog.hasAttribute("aria-labelledby")) dialog.setAttribute("aria-label", "搜索");
  }

  function ready() {
    nameSearchDialog();
    if (typeof fetch === "undefined") return; // very old browsers keep the snapshot
    once(document.getElementById("pledge-widget"), function (n) { new PledgeWidget(n); });
    once(document.getElementById("donor-pledge"), function (n) { new DonorPledge(n); });
    once(document.getElementById("needs-board"), function (n) { new NeedsBoard(n); });
    once(document.getElementById("claim-widget"), function (n) { ClaimStatus(n); });
    once(document.getElementById("cottage-visits"), function (n) { CottageVisits(n); });
    once(document.getElementById("team-leaderboard"), function (n) { Leaderboard(n); });
  }

  window.qingyiLive = { money: money, parseYuan: parseYuan, pledgeRef: pledgeRef };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
