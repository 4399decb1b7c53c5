(function () {
  "use strict";
  // The report's one script (allowed by its sha256 in the CSP). It reads the JSON that
  // Python embedded, and only filters, sorts, pages and lays out what Python computed.
  // Every string from a document or a model goes in through textContent: never as markup.
  var source = document.getElementById("report-data");
  var root = document.getElementById("explore");
  if (!source || !root) { return; }
  var D = JSON.parse(source.textContent);
  var runs = D.runs, docs = D.docs;
  var byId = {};
  docs.forEach(function (d, i) { byId[d.id] = i; });
  var DEFAULTS = { b: 0, r: runs.length > 1 ? 1 : 0, failed: 0, flip: 0, fc: "", st: "",
    q: "", sort: "", dir: 1, page: 0, doc: "" };
  var state = fromHash();
  var haystack = null;

  function $(id) { return document.getElementById(id); }
  function h(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { e.textContent = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return e;
  }
  function clamp(v, n) { return v >= 0 && v < n ? v : 0; }
  function num(v) { return v === null || v === undefined ? "n/a" : v.toFixed(2); }

  function fromHash() {
    var s = Object.assign({}, DEFAULTS);
    if (location.hash.indexOf("#view?") === 0) {
      var p = new URLSearchParams(location.hash.slice(6));
      Object.keys(DEFAULTS).forEach(function (k) {
        if (!p.has(k)) { return; }
        s[k] = typeof DEFAULTS[k] === "number" ? (parseInt(p.get(k), 10) || 0) : p.get(k);
      });
    }
    s.b = clamp(s.b, runs.length);
    s.r = clamp(s.r, runs.length);
    s.dir = s.dir < 0 ? -1 : 1;
    return s;
  }
  function toHash() {
    var p = new URLSearchParams();
    Object.keys(DEFAULTS).forEach(function (k) {
      if (state[k] !== DEFAULTS[k]) { p.set(k, String(state[k])); }
    });
    var base = location.href.split("#")[0];
    var qs = p.toString();
    history.replaceState(null, "", qs ? base + "#view?" + qs : base);
  }

  function text(i) {
    if (haystack === null) {
      haystack = docs.map(function (d) {
        var parts = [d.id, d.title || ""];
        d.gold.forEach(function (c) { parts.push(c[0]); });
        d.runs.forEach(function (side) {
          if (side) { side.p.forEach(function (c) { parts.push(c[0]); }); }
        });
        return parts.join("\n").toLowerCase();
      });
    }
    return haystack[i];
  }
  function flipped() {
    if (state.b === state.r) { return {}; }
    var key = Math.min(state.b, state.r) + "-" + Math.max(state.b, state.r);
    var out = {};
    (D.flips[key] || []).forEach(function (i) { out[i] = true; });
    return out;
  }
  function hasType(d, side, t) {
    var has = function (c) { return c[2] === t; };
    return d.gold.some(has) || (side !== null && side.p.some(has));
  }
  function visible() {
    var flips = flipped(), q = state.q.toLowerCase(), st = D.speaker_types.indexOf(state.st);
    var out = [];
    docs.forEach(function (d, i) {
      var side = d.runs[state.r];
      if (state.failed && !(side && side.f)) { return; }
      if (state.fc && !(side && side.f === state.fc)) { return; }
      if (state.flip && state.b !== state.r && !flips[i]) { return; }
      if (st >= 0 && !hasType(d, side, st)) { return; }
      if (q && text(i).indexOf(q) < 0) { return; }
      out.push(i);
    });
    if (state.sort) {
      out.sort(function (x, y) {
        var a = sortValue(x), b = sortValue(y);
        if (a === b) { return x - y; }
        if (a === null) { return 1; }
        if (b === null) { return -1; }
        var c = typeof a === "number" ? a - b : String(a).localeCompare(String(b));
        return c * state.dir || x - y;
      });
    }
    return out;
  }
  function sortValue(i) {
    var d = docs[i], parts = state.sort.split(".");
    if (parts[0] === "id") { return d.id; }
    if (parts[0] === "title") { return d.title || ""; }
    var side = d.runs[parseInt(parts[parts.length - 1], 10)];
    if (!side) { return null; }
    if (parts[0] === "m") { return side.v[parseInt(parts[1], 10)]; }
    if (parts[0] === "n") { return side.n; }
    return side.f || "";
  }

  function header() {
    var top = h("tr"), sub = h("tr");
    var sortable = function (key, label, attrs) {
      var mark = state.sort === key ? (state.dir > 0 ? " ▲" : " ▼") : "";
      var th = h("th", Object.assign({ "data-sort": key, class: "sortable", tabindex: "0",
        "aria-sort": state.sort === key ? (state.dir > 0 ? "ascending" : "descending") : "none",
        text: label + mark }, attrs || {}));
      return th;
    };
    top.appendChild(sortable("id", "document", { rowspan: "2" }));
    top.appendChild(sortable("title", "title", { rowspan: "2" }));
    var groups = D.metrics.map(function (m, k) { return [m, "m." + k + "."]; });
    groups.push(["predicted", "n."], ["failure", "f."]);
    groups.forEach(function (g) {
      top.appendChild(h("th", { colspan: String(runs.length), text: g[0] }));
      runs.forEach(function (r, j) {
        var th = sortable(g[1] + j, r.label);
        th.style.color = r.color;
        sub.appendChild(th);
      });
    });
    var head = $("doc-table").tHead;
    head.replaceChildren(top, sub);
  }
  function row(i) {
    var d = docs[i];
    var open = h("button", { type: "button", class: "link mono", "data-doc": d.id, text: d.id });
    var tr = h("tr", { "data-doc": d.id }, [h("td", {}, [open]),
      h("td", { class: "title", text: d.title || "" })]);
    D.metrics.forEach(function (m, k) {
      d.runs.forEach(function (side, j) {
        if (!side) { tr.appendChild(h("td", { class: "cell" })); return; }
        var v = side.v[k];
        var cls = v === null ? "hnull" : "h" + Math.round(Math.min(Math.max(v, 0), 1) * 10);
        tr.appendChild(h("td", { class: "cell " + cls, title: runs[j].label + " " + m,
          text: num(v) + (side.f ? " ✗" : "") }));
      });
    });
    d.runs.forEach(function (side) {
      tr.appendChild(h("td", { class: "num", text: side ? String(side.n) : "" }));
    });
    d.runs.forEach(function (side) {
      tr.appendChild(h("td", { class: "fail", text: side && side.f ? side.f : "" }));
    });
    return tr;
  }

  function alignment(side) {
    var m = {};
    if (side) { side.p.forEach(function (c, k) { if (c[4] >= 0) { m[c[4]] = k; } }); }
    return m;
  }
  function versus(d, j) {
    var base = d.runs[state.b], side = d.runs[j];
    var out = { gained: {}, lost: {}, speaker: {}, moved: {}, n: [0, 0, 0, 0] };
    if (!base || !side || j === state.b) { return out; }
    var ma = alignment(base), mb = alignment(side);
    d.gold.forEach(function (g, gi) {
      var a = ma[gi], b = mb[gi];
      if (a === undefined && b !== undefined) { out.gained[gi] = true; out.n[0] += 1; }
      if (a !== undefined && b === undefined) { out.lost[gi] = true; out.n[1] += 1; }
      if (a === undefined || b === undefined) { return; }
      var pa = base.p[a], pb = side.p[b];
      if (pa[1] !== pb[1] || pa[5] !== pb[5]) { out.speaker[gi] = true; out.n[2] += 1; }
      if (JSON.stringify(pa[3]) !== JSON.stringify(pb[3])) { out.moved[gi] = true; out.n[3] += 1; }
    });
    return out;
  }
  function highlighted(raw, gold, pred) {
    // Offsets are Python code points: index an array of code points, not UTF-16 units.
    var cps = Array.from(raw), cuts = [0, cps.length];
    gold.concat(pred).forEach(function (c) { if (c[3]) { cuts.push(c[3][0], c[3][1]); } });
    cuts = cuts.filter(function (v, k, a) { return a.indexOf(v) === k; })
      .sort(function (a, b) { return a - b; });
    var p = h("p", { class: "doctext", dir: "auto" });
    var covers = function (s, e) { return function (c) { return c[3] && c[3][0] <= s && e <= c[3][1]; }; };
    for (var k = 0; k + 1 < cuts.length; k += 1) {
      var s = cuts[k], e = cuts[k + 1], piece = cps.slice(s, e).join("");
      var g = gold.some(covers(s, e)), q = pred.some(covers(s, e));
      p.appendChild(g || q ? h("mark", { class: g && q ? "hl-both" : g ? "hl-gold" : "hl-pred",
        text: piece }) : document.createTextNode(piece));
    }
    return p;
  }
  function claimCell(d, j, gi, vs) {
    var side = d.runs[j];
    if (!side) { return h("td", { class: "muted", text: "not scored" }); }
    var k = alignment(side)[gi];
    var td = h("td", {});
    if (k === undefined) {
      td.appendChild(h("span", { class: "muted", text: "missed" }));
    } else {
      var c = side.p[k];
      td.appendChild(h("span", { class: "tag p", text: "P" + (k + 1) }));
      td.appendChild(document.createTextNode(" " + (c[5] ? "✓ " : "✗ ") + (c[1] || "(article)")));
    }
    [["gained", "gained"], ["lost", "lost"], ["speaker", "speaker changed"], ["moved", "span moved"]]
      .forEach(function (f) {
        if (vs[f[0]][gi]) { td.appendChild(h("span", { class: "flag " + f[0], text: f[1] })); }
      });
    return td;
  }
  function panel() {
    var box = $("doc-panel");
    var i = byId[state.doc];
    if (i === undefined) { box.replaceChildren(); box.hidden = true; return; }
    var d = docs[i];
    var close = h("button", { type: "button", id: "doc-close", text: "close" });
    var vs = runs.map(function (r, j) { return versus(d, j); });
    var head = h("tr", {}, [h("th", { text: "gold claim" })]);
    var sums = h("tr", {}, [h("th", { text: "vs baseline " + runs[state.b].label })]);
    runs.forEach(function (r, j) {
      var side = d.runs[j];
      var th = h("th", { text: r.label + (j === state.b ? " (baseline)" : "") + ": " +
        (!side ? "not scored" : side.f ? "failed (" + side.f + ")" :
          "claim F1 " + num(side.v[0]) + ", attributed " + num(side.v[1])) });
      th.style.color = r.color;
      head.appendChild(th);
      var n = vs[j].n;
      sums.appendChild(h("td", { class: "summary", "data-run": r.label, text: j === state.b ? "–" :
        "+" + n[0] + " gained, −" + n[1] + " lost, " + n[2] + " speaker changes, " +
        n[3] + " spans moved" }));
    });
    var table = h("table", { class: "side" }, [head, sums]);
    d.gold.forEach(function (g, gi) {
      var tr = h("tr", {}, [h("td", {}, [h("span", { class: "tag g", text: "G" + (gi + 1) }),
        " " + g[0] + " — " + (g[1] || "(article)")])]);
      runs.forEach(function (r, j) { tr.appendChild(claimCell(d, j, gi, vs[j])); });
      table.appendChild(tr);
    });
    var extra = h("tr", {}, [h("td", { text: "predictions matching no gold claim" })]);
    d.runs.forEach(function (side) {
      var ul = h("ul");
      (side ? side.p : []).forEach(function (c, k) {
        if (c[4] < 0) {
          ul.appendChild(h("li", {}, [h("span", { class: "tag p", text: "P" + (k + 1) }),
            " " + c[0] + " — " + (c[1] || "(article)") + (c[3] ? "" : " (evidence not in text)")]));
        }
      });
      extra.appendChild(h("td", {}, [ul]));
    });
    table.appendChild(extra);
    var parts = [h("h3", { dir: "auto", text: d.id + (d.title ? " — " + d.title : "") }), close,
      h("div", { class: "scroll" }, [table])];
    if (d.text !== null) {
      var side = d.runs[state.r];
      parts.push(h("p", { class: "legend" }, [h("span", { class: "hl-gold", text: "gold evidence" }),
        h("span", { class: "hl-pred", text: runs[state.r].label + " evidence" }),
        h("span", { class: "hl-both", text: "both" })]));
      parts.push(highlighted(d.text, d.gold, side ? side.p : []));
    }
    box.replaceChildren.apply(box, parts);
    box.hidden = false;
  }

  function controls() {
    $("f-b").value = String(state.b);
    $("f-r").value = String(state.r);
    $("f-failed").checked = !!state.failed;
    $("f-flip").checked = !!state.flip;
    $("f-flip").disabled = state.b === state.r;
    $("f-fc").value = state.fc;
    $("f-st").value = state.st;
    if ($("f-q").value !== state.q) { $("f-q").value = state.q; }
  }
  function render() {
    var shown = visible();
    var pages = Math.max(1, Math.ceil(shown.length / D.page));
    state.page = Math.min(Math.max(state.page, 0), pages - 1);
    var body = document.createDocumentFragment();
    shown.slice(state.page * D.page, (state.page + 1) * D.page).forEach(function (i) {
      body.appendChild(row(i));
    });
    header();
    $("doc-table").tBodies[0].replaceChildren(body);
    $("shown").textContent = shown.length + " of " + docs.length + " shown";
    $("pageinfo").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0;
    $("next").disabled = state.page >= pages - 1;
    controls();
    panel();
    toHash();
  }

  function options(id, values, labels) {
    values.forEach(function (v, k) { $(id).appendChild(h("option", { value: v, text: labels[k] })); });
  }
  function read() {
    state.b = parseInt($("f-b").value, 10);
    state.r = parseInt($("f-r").value, 10);
    state.failed = $("f-failed").checked ? 1 : 0;
    state.flip = $("f-flip").checked ? 1 : 0; // kept, but not applied, while b === r
    state.fc = $("f-fc").value;
    state.st = $("f-st").value;
    state.q = $("f-q").value;
    state.page = 0;
    render();
  }
  var indices = runs.map(function (r, j) { return String(j); });
  var names = runs.map(function (r) { return r.label + " " + r.name; });
  options("f-b", indices, names);
  options("f-r", indices, names);
  options("f-fc", D.failures, D.failures);
  options("f-st", D.speaker_types, D.speaker_types);
  ["f-b", "f-r", "f-failed", "f-flip", "f-fc", "f-st"].forEach(function (id) {
    $(id).addEventListener("change", read);
  });
  $("f-q").addEventListener("input", read);
  $("f-reset").addEventListener("click", function () { state = Object.assign({}, DEFAULTS); render(); });
  $("prev").addEventListener("click", function () { state.page -= 1; render(); });
  $("next").addEventListener("click", function () { state.page += 1; render(); });
  $("doc-table").addEventListener("click", function (ev) {
    var th = ev.target.closest("th[data-sort]");
    var open = ev.target.closest("button[data-doc]");
    if (th) {
      var key = th.getAttribute("data-sort");
      state.dir = state.sort === key ? -state.dir : 1;
      state.sort = key;
      render();
    } else if (open) {
      state.doc = open.getAttribute("data-doc");
      render();
      $("doc-panel").scrollIntoView();
    }
  });
  $("doc-panel").addEventListener("click", function (ev) {
    if (ev.target.id === "doc-close") { state.doc = ""; render(); }
  });
  window.addEventListener("hashchange", function () {
    if (location.hash.indexOf("#view?") === 0) { state = fromHash(); render(); }
  });
  $("static-heat").hidden = true;
  root.hidden = false;
  render();
}());
