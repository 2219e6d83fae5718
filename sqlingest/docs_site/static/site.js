// The docs site's behaviour: search over the JSON index, and column lineage drawn from the compiler's data.
(function () {
  'use strict';
  var SITE = window.SQLINGEST_SITE;
  var root = document.body.getAttribute('data-root') || '';
  var SEP = '::';

  function esc(s) { return String(s).replace(/[&<>"']/g, function (c) {
    return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'}[c]; }); }
  function key(ds, col) { return ds + SEP + col; }
  function split(k) { var i = k.lastIndexOf(SEP); return [k.slice(0, i), k.slice(i + SEP.length)]; }
  function label(k) { var p = split(k); return p[0].replace(/^source:/, 'source ') + '.' + p[1]; }
  function columnUrl(k) { var p = split(k); var page = SITE.pages[p[0]];
    return page ? root + page + '#col-' + encodeURIComponent(p[1]) : null; }

  // ---- search ----------------------------------------------------------------------------------
  function search(query) {
    var words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) { return []; }
    var hits = [];
    SITE.search.forEach(function (e) {
      var name = e.name.toLowerCase(), hay = name + ' ' + e.kind + ' ' + (e.text || '').toLowerCase();
      if (!words.every(function (w) { return hay.indexOf(w) >= 0; })) { return; }
      var score = (name === words.join(' ') ? 0 : name.indexOf(words[0]) >= 0 ? 1 : 2) + (e.kind === 'column' ? 0.5 : 0);
      hits.push([score, e]);
    });
    hits.sort(function (a, b) { return a[0] - b[0] || a[1].name.localeCompare(b[1].name); });
    return hits.slice(0, 30).map(function (h) { return h[1]; });
  }
  var input = document.getElementById('search'), list = document.getElementById('search-results');
  if (input) {
    input.addEventListener('input', function () {
      var hits = search(input.value);
      list.innerHTML = hits.map(function (e, i) {
        return '<li' + (i === 0 ? ' class="active"' : '') + '><a href="' + esc(root + e.url) + '" data-kind="' + e.kind +
          '" data-name="' + esc(e.name) + '"><span class="kind">' + e.kind + '</span>' + esc(e.name) + '</a></li>';
      }).join('') || (input.value.trim() ? '<li class="none">no match</li>' : '');
      list.hidden = !input.value.trim();
    });
    input.addEventListener('keydown', function (ev) {
      if (ev.key === 'Enter') { var first = list.querySelector('a'); if (first) { location.href = first.href; } }
      if (ev.key === 'Escape') { list.hidden = true; }
    });
  }

  // ---- column lineage --------------------------------------------------------------------------
  var consumers = {};
  Object.keys(SITE.lineage).forEach(function (ds) {
    Object.keys(SITE.lineage[ds]).forEach(function (col) {
      SITE.lineage[ds][col].forEach(function (ref) {
        var from = key(ref[0], ref[1]);
        (consumers[from] = consumers[from] || []).push(key(ds, col));
      });
    });
  });
  function inputsOf(k) { var p = split(k); var cols = SITE.lineage[p[0]];
    return ((cols && cols[p[1]]) || []).map(function (r) { return key(r[0], r[1]); }); }

  // the column's upstream (negative levels) and downstream (positive) closure, and every edge between them
  function closure(start) {
    var level = {}, edges = {};
    level[start] = 0;
    function walk(next, sign) {
      var frontier = [start];
      while (frontier.length) {
        var k = frontier.shift();
        next(k).forEach(function (n) {
          var e = sign < 0 ? n + '>' + k : k + '>' + n;
          edges[e] = true;
          if (!(n in level)) { level[n] = level[k] + sign; frontier.push(n); }
        });
      }
    }
    walk(inputsOf, -1);
    walk(function (k) { return consumers[k] || []; }, 1);
    return {level: level, edges: Object.keys(edges).map(function (e) { return e.split('>'); })};
  }

  function draw(start) {
    var c = closure(start), byLevel = {};
    Object.keys(c.level).forEach(function (k) { (byLevel[c.level[k]] = byLevel[c.level[k]] || []).push(k); });
    var levels = Object.keys(byLevel).map(Number).sort(function (a, b) { return a - b; });
    var W = 210, H = 28, GX = 44, GY = 10, pos = {}, width = 0, height = 0;
    levels.forEach(function (lv, i) {
      byLevel[lv].sort().forEach(function (k, j) {
        pos[k] = {x: 10 + i * (W + GX), y: 10 + j * (H + GY)};
        width = Math.max(width, pos[k].x + W + 10); height = Math.max(height, pos[k].y + H + 10);
      });
    });
    var svg = ['<svg id="lineage-svg" xmlns="http://www.w3.org/2000/svg" width="' + width + '" height="' + height + '">',
      '<defs><marker id="larrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">' +
      '<path d="M0,0 L10,5 L0,10 z" fill="#94a3b8"/></marker></defs>'];
    c.edges.forEach(function (e) {
      var a = pos[e[0]], b = pos[e[1]]; if (!a || !b) { return; }
      var x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, m = (x1 + x2) / 2;
      svg.push('<path class="ledge" data-from="' + esc(e[0]) + '" data-to="' + esc(e[1]) + '" d="M' + x1 + ',' + y1 +
        ' C' + m + ',' + y1 + ' ' + m + ',' + y2 + ' ' + x2 + ',' + y2 + '" marker-end="url(#larrow)"/>');
    });
    Object.keys(pos).forEach(function (k) {
      var p = pos[k], url = columnUrl(k), text = esc(label(k));
      var body = '<rect x="' + p.x + '" y="' + p.y + '" width="' + W + '" height="' + H + '" rx="5"/><text x="' +
        (p.x + 8) + '" y="' + (p.y + 18) + '">' + text + '</text>';
      svg.push('<g class="lnode' + (k === start ? ' focus' : '') + '" data-ref="' + esc(k) + '">' +
        (url ? '<a href="' + esc(url) + '">' + body + '</a>' : body) + '</g>');
    });
    svg.push('</svg>');
    return {svg: svg.join(''), closure: c};
  }

  function li(k) { var url = columnUrl(k);
    return '<li data-ref="' + esc(k) + '">' + (url ? '<a href="' + esc(url) + '">' + esc(label(k)) + '</a>' : esc(label(k))) + '</li>'; }

  function showLineage() {
    var panel = document.getElementById('lineage');
    var m = /^#col-(.+)$/.exec(location.hash);
    if (!panel) { return; }
    document.querySelectorAll('tr.selected').forEach(function (tr) { tr.classList.remove('selected'); });
    if (!m) { panel.hidden = true; return; }
    var col = decodeURIComponent(m[1]), ds = document.body.getAttribute('data-page'), start = key(ds, col);
    var row = document.getElementById('col-' + col); if (row) { row.classList.add('selected'); }
    var g = draw(start), direct = inputsOf(start), feeds = consumers[start] || [];
    var origins = Object.keys(g.closure.level).filter(function (k) { return g.closure.level[k] < 0 && !inputsOf(k).length; });
    document.getElementById('lineage-title').textContent = 'Lineage of ' + label(start);
    document.getElementById('lineage-sources').innerHTML =
      (direct.map(li).join('') || '<li class="none">no input column (a constant, or not derived from a column)</li>') +
      (origins.length ? '<li class="origins">originally from: ' + origins.map(function (k) { return esc(label(k)); }).join(', ') + '</li>' : '');
    document.getElementById('lineage-consumers').innerHTML = feeds.map(li).join('') || '<li class="none">no column reads it</li>';
    document.getElementById('lineage-graph').innerHTML = g.svg;
    panel.hidden = false;
    panel.setAttribute('data-column', start);
  }
  window.addEventListener('hashchange', showLineage);
  showLineage();
  document.body.setAttribute('data-ready', '1');
})();
