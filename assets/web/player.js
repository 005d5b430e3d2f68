/* kmtalk QC page: one 3D player that opens under the line being reviewed.
 *
 * A classic script (no modules, no fetch of local files), so that the page works when opened
 * from a file:// URL. It needs kmtalk-viewer.min.js (three.js + GLTFLoader + OrbitControls, as
 * window.KMTALK_VIEWER) and the page's config in window.kmtalkReport.config:
 *   {lines: {id: {src, version, problems: [..], status}}, decisions: {format, version, lines},
 *    head: "report_files/head.js", decisionsFile: "decisions.json", channels: [..]}
 * Data files call kmtalkReport.headLoaded(payload) / kmtalkReport.lineLoaded(payload).
 *
 * Decisions: served by `kmtalk review` (http://127.0.0.1), a click POSTs to api/decision and the
 * server writes decisions.json beside report.html. Opened from a file, a click downloads the whole
 * decisions.json (the user moves it beside report.html); the page also keeps them in localStorage.
 * (c) kmtalk authors, Apache-2.0.
 */
(function () {
  'use strict';
  var R = window.kmtalkReport = window.kmtalkReport || {};
  var V = window.KMTALK_VIEWER;
  var cfg = R.config || {lines: {}, decisions: {lines: {}}};
  var DECISIONS_FORMAT = 'kmtalk.review.decisions';
  var lineData = {};
  var headData = null;
  R.state = 'idle';
  R.mode = 'file';
  R.errors = [];

  R.headLoaded = function (payload) { headData = payload; };
  R.lineLoaded = function (payload) { lineData[payload.id] = payload; };

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      s.src = src;
      s.onload = function () { resolve(); };
      s.onerror = function () { reject(new Error('could not load ' + src)); };
      document.head.appendChild(s);
    });
  }

  function b64bytes(text) {
    var bin = atob(text), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function f32(text) { var b = b64bytes(text); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in (attrs || {})) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /* ---------- decisions ---------- */
  var decisions = (cfg.decisions && cfg.decisions.lines) ? JSON.parse(JSON.stringify(cfg.decisions.lines)) : {};
  var storeKey = 'kmtalk-decisions:' + location.pathname;
  try {  // clicks of an earlier visit to this file (file:// mode keeps them here)
    var kept = JSON.parse(localStorage.getItem(storeKey) || '{}');
    for (var id in kept) {
      if (cfg.lines[id] && (!decisions[id] || (kept[id].at || '') > (decisions[id].at || ''))) decisions[id] = kept[id];
    }
  } catch (e) { /* localStorage refused: fine */ }

  function decisionDoc() {
    return {format: DECISIONS_FORMAT, version: 1, lines: decisions};
  }

  function decisionLabel(id) {
    var d = decisions[id], line = cfg.lines[id];
    if (!d) return ['unreviewed', 'none'];
    var stale = line && d.version && line.version && d.version !== line.version;
    return [d.decision + (stale ? ' (earlier version)' : ''), stale ? 'stale' : d.decision];
  }

  function refreshBadges() {
    var counts = {approved: 0, rejected: 0, none: 0, stale: 0};
    Object.keys(cfg.lines).forEach(function (id) {
      var lab = decisionLabel(id), badge = document.querySelector('.decision[data-id="' + CSS.escape(id) + '"]');
      counts[lab[1]] = (counts[lab[1]] || 0) + 1;
      if (badge) { badge.textContent = lab[0]; badge.className = 'decision ' + lab[1]; }
    });
    var sum = document.getElementById('review-summary');
    if (sum) {
      sum.textContent = counts.approved + ' approved, ' + counts.rejected + ' rejected, ' +
        (counts.none + counts.stale) + ' to review';
    }
  }

  function download(name, text) {
    var blob = new Blob([text], {type: 'application/json'});
    var a = el('a', {href: URL.createObjectURL(blob), download: name});
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }

  function decide(id, decision, note) {
    var line = cfg.lines[id] || {};
    var entry = {decision: decision, version: line.version || '', note: note || '', at: new Date().toISOString()};
    if (R.mode === 'server') {
      return fetch('api/decision', {
        method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({id: id, decision: decision, version: entry.version, note: entry.note})
      }).then(function (r) {
        if (!r.ok) return r.text().then(function (t) { throw new Error(t || r.statusText); });
        return r.json();
      }).then(function (doc) {
        decisions = doc.lines || {};
        refreshBadges();
        return 'saved to ' + (cfg.decisionsFile || 'decisions.json');
      });
    }
    if (decision === 'clear') delete decisions[id]; else decisions[id] = entry;
    try { localStorage.setItem(storeKey, JSON.stringify(decisions)); } catch (e) { /* ignore */ }
    download('decisions.json', JSON.stringify(decisionDoc(), null, 1));
    refreshBadges();
    return Promise.resolve('downloaded decisions.json: put it beside report.html, then rerun the batch');
  }

  /* ---------- 3D viewer ---------- */
  function Viewer(host) {
    var T = V.THREE;
    this.canvasHost = host;
    this.renderer = new T.WebGLRenderer({antialias: true, preserveDrawingBuffer: true});
    this.renderer.setPixelRatio(1);
    this.renderer.setSize(host.clientWidth || 480, host.clientHeight || 400);
    this.renderer.setClearColor(0x2b2f36, 1);
    host.appendChild(this.renderer.domElement);
    this.scene = new T.Scene();
    this.scene.add(new T.HemisphereLight(0xffffff, 0x404050, 0.9));
    var key = new T.DirectionalLight(0xffffff, 2.6);
    key.position.set(0.4, 0.6, 1.0);
    this.scene.add(key);
    var fill = new T.DirectionalLight(0xffffff, 0.7);
    fill.position.set(-0.6, 0.1, 0.6);
    this.scene.add(fill);
    this.camera = new T.PerspectiveCamera(30, (host.clientWidth || 480) / (host.clientHeight || 400), 0.01, 10);
    this.controls = new V.OrbitControls(this.camera, this.renderer.domElement);
    var self = this;
    this.controls.addEventListener('change', function () { self.render(); });
    this.meshes = [];
    this.root = null;
  }

  Viewer.prototype.setHead = function (head) {
    var self = this, T = V.THREE;
    return new Promise(function (resolve, reject) {
      var bytes = b64bytes(head.glb);
      new V.GLTFLoader().parse(bytes.buffer, '', function (gltf) {
        self.root = gltf.scene;
        self.scene.add(self.root);
        self.root.traverse(function (o) { if (o.isMesh && o.morphTargetInfluences) self.meshes.push(o); });
        var lm = head.landmarks, eyeY = (lm.eye_outer_left[1] + lm.eye_outer_right[1]) / 2, chinY = lm.chin[1];
        var height = (eyeY - chinY) * 2.0, cy = (eyeY + chinY) / 2;
        var dist = height / 2 / Math.tan(T.MathUtils.degToRad(self.camera.fov / 2));
        self.controls.target.set(0, cy, 0.05);
        self.camera.position.set(0, cy, 0.05 + dist);
        self.camera.lookAt(self.controls.target);
        self.controls.update();
        self.landmarks = lm;
        self.render();
        resolve();
      }, function (err) { reject(err); });
    });
  };

  Viewer.prototype.setLine = function (line) {
    this.line = line;
    this.weights = f32(line.weights);
    this.k = line.targets.length;
    this.pose = line.head_pose ? {r: f32(line.head_pose.rotation), t: f32(line.head_pose.translation)} : null;
    this.show(0);
  };

  Viewer.prototype.show = function (t) {
    var line = this.line;
    if (!line) return;
    var n = line.n_frames, k = this.k, f = Math.max(0, Math.min(n - 1, t * line.fps));
    var i0 = Math.floor(f), i1 = Math.min(n - 1, i0 + 1), a = f - i0, w = this.weights;
    for (var m = 0; m < this.meshes.length; m++) {
      var inf = this.meshes[m].morphTargetInfluences;
      for (var j = 0; j < k && j < inf.length; j++) inf[j] = (1 - a) * w[i0 * k + j] + a * w[i1 * k + j];
    }
    if (this.pose && this.root) {  // the glTF's LINEAR rotation/translation channels
      var T = V.THREE, r = this.pose.r, tr = this.pose.t;
      var q0 = new T.Quaternion(r[4 * i0], r[4 * i0 + 1], r[4 * i0 + 2], r[4 * i0 + 3]);
      var q1 = new T.Quaternion(r[4 * i1], r[4 * i1 + 1], r[4 * i1 + 2], r[4 * i1 + 3]);
      this.root.children[0].quaternion.copy(q0.slerp(q1, a));
      this.root.children[0].position.set((1 - a) * tr[3 * i0] + a * tr[3 * i1],
        (1 - a) * tr[3 * i0 + 1] + a * tr[3 * i1 + 1], (1 - a) * tr[3 * i0 + 2] + a * tr[3 * i1 + 2]);
    }
    this.render();
  };

  Viewer.prototype.render = function () { this.renderer.render(this.scene, this.camera); };

  /* Where the mouth is on the page (CSS px): the projected lip landmarks' box, for reviewers' tests. */
  Viewer.prototype.mouthRect = function () {
    var T = V.THREE, lm = this.landmarks, box = this.renderer.domElement.getBoundingClientRect();
    var xs = [], ys = [];
    ['upper_lip_outer', 'lower_lip_outer', 'mouth_corner_left', 'mouth_corner_right'].forEach(function (name) {
      var p = new T.Vector3(lm[name][0], lm[name][1], lm[name][2]);
      if (this.root) p.applyMatrix4(this.root.children[0].matrixWorld);
      p.project(this.camera);
      xs.push(box.left + (p.x + 1) / 2 * box.width);
      ys.push(box.top + (1 - p.y) / 2 * box.height);
    }, this);
    return {x: Math.min.apply(null, xs), y: Math.min.apply(null, ys),
            width: Math.max.apply(null, xs) - Math.min.apply(null, xs),
            height: Math.max.apply(null, ys) - Math.min.apply(null, ys)};
  };

  /* ---------- curves ---------- */
  var COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6'];

  function Curves(canvas, line, channels) {
    this.canvas = canvas;
    this.line = line;
    var w = f32(line.weights), k = line.targets.length;
    this.series = [];
    var self = this;
    channels.forEach(function (name) {
      var j = line.targets.indexOf(name);
      if (j < 0) return;
      var v = new Float32Array(line.n_frames);
      for (var i = 0; i < line.n_frames; i++) v[i] = w[i * k + j];
      self.series.push({name: name, values: v});
    });
  }

  Curves.prototype.draw = function (t) {
    var c = this.canvas, g = c.getContext('2d'), line = this.line;
    var W = c.width, H = c.height, top = 18, bottom = H - 22, left = 4, right = W - 4;
    var dur = Math.max(line.duration, 1e-3);
    var x = function (s) { return left + (right - left) * s / dur; };
    var y = function (v) { return bottom - (bottom - top) * v; };
    g.clearRect(0, 0, W, H);
    g.fillStyle = '#fafafa'; g.fillRect(0, 0, W, H);
    g.strokeStyle = '#ddd'; g.lineWidth = 1;
    [0, 0.5, 1].forEach(function (v) { g.beginPath(); g.moveTo(left, y(v)); g.lineTo(right, y(v)); g.stroke(); });
    g.font = '10px system-ui, sans-serif'; g.textBaseline = 'top';
    (line.phones || []).forEach(function (p) {
      g.strokeStyle = '#eee'; g.beginPath(); g.moveTo(x(p[1]), top); g.lineTo(x(p[1]), bottom); g.stroke();
      if (p[0] && p[0] !== 'sil' && p[0] !== '') { g.fillStyle = '#666'; g.fillText(p[0], x(p[1]) + 1, bottom + 4); }
    });
    (line.closures_missed || []).forEach(function (s) {
      g.fillStyle = 'rgba(176,0,32,0.18)'; g.fillRect(x(s) - 3, top, 6, bottom - top);
    });
    this.series.forEach(function (s, i) {
      g.strokeStyle = COLOURS[i % COLOURS.length]; g.lineWidth = 1.5; g.beginPath();
      for (var f = 0; f < s.values.length; f++) {
        var px = x(f / line.fps), py = y(s.values[f]);
        if (f) g.lineTo(px, py); else g.moveTo(px, py);
      }
      g.stroke();
      g.fillStyle = COLOURS[i % COLOURS.length]; g.fillText(s.name, left + 4 + i * 92, 3);
    });
    g.strokeStyle = '#111'; g.lineWidth = 1.5;
    g.beginPath(); g.moveTo(x(t), top - 2); g.lineTo(x(t), bottom + 2); g.stroke();
  };

  /* ---------- the panel ---------- */
  var viewer = null, panel = null, audio = null, curves = null, current = null, clock = null;

  function now() {
    if (audio && audio.src) return audio.currentTime;
    if (clock) return Math.min(clock.offset + (clock.running ? (performance.now() - clock.start) / 1000 : 0),
      current ? lineData[current].duration : 0);
    return 0;
  }

  function tick() {
    var t = now();
    if (viewer) viewer.show(t);
    if (curves) curves.draw(t);
    var timeEl = panel && panel.querySelector('.time');
    if (timeEl) timeEl.textContent = t.toFixed(2) + ' s';
    var playing = audio && audio.src ? !audio.paused : (clock && clock.running);
    if (playing) requestAnimationFrame(tick);
  }

  function buildPanel() {
    panel = el('div', {'class': 'player', id: 'player'});
    panel.innerHTML =
      '<div class="stage"><div class="view"></div><div class="side">' +
      '<div class="title"></div><audio controls preload="auto"></audio>' +
      '<div class="transport"><button type="button" class="play">play</button> <span class="time">0.00 s</span></div>' +
      '<ul class="flags"></ul>' +
      '<div class="decide"><input class="note" type="text" placeholder="note (optional)">' +
      '<button type="button" class="approve">approve</button> <button type="button" class="reject">reject</button>' +
      '<div class="saved" role="status"></div></div>' +
      '<p class="hint"></p></div></div><canvas class="curves" width="900" height="170"></canvas>';
    var play = panel.querySelector('.play');
    audio = panel.querySelector('audio');
    audio.addEventListener('play', function () { play.textContent = 'pause'; requestAnimationFrame(tick); });
    audio.addEventListener('pause', function () { play.textContent = 'play'; tick(); });
    audio.addEventListener('seeked', tick);
    audio.addEventListener('timeupdate', function () { if (audio.paused) tick(); });
    play.addEventListener('click', function () {
      if (audio.src) { if (audio.paused) { audio.play(); } else { audio.pause(); } return; }
      if (!clock) return;
      if (clock.running) { clock.offset = now(); clock.running = false; play.textContent = 'play'; } else {
        if (clock.offset >= lineData[current].duration) clock.offset = 0;
        clock.start = performance.now(); clock.running = true; play.textContent = 'pause';
        requestAnimationFrame(tick);
      }
    });
    panel.querySelector('.curves').addEventListener('click', function (ev) {
      if (!current) return;
      var box = ev.target.getBoundingClientRect(), s = (ev.clientX - box.left) / box.width * lineData[current].duration;
      if (audio.src) audio.currentTime = s; else if (clock) { clock.offset = s; clock.start = performance.now(); }
      tick();
    });
    ['approve', 'reject'].forEach(function (what) {
      panel.querySelector('.' + what).addEventListener('click', function () {
        var out = panel.querySelector('.saved');
        out.textContent = 'saving…';
        decide(current, what === 'approve' ? 'approved' : 'rejected', panel.querySelector('.note').value)
          .then(function (msg) { out.textContent = (what === 'approve' ? 'approved' : 'rejected') + ': ' + msg; },
                function (err) { out.textContent = 'not saved: ' + err.message; R.errors.push(String(err)); });
      });
    });
    return panel;
  }

  function ensureViewer() {
    if (viewer) return Promise.resolve();
    if (!V) return Promise.reject(new Error('the 3D viewer script (kmtalk-viewer.min.js) is missing'));
    viewer = new Viewer(panel.querySelector('.view'));
    var head = headData ? Promise.resolve() : loadScript(cfg.head);
    return head.then(function () { return viewer.setHead(headData); });
  }

  function open(id) {
    var info = cfg.lines[id];
    if (!info || !info.src) return Promise.reject(new Error('no player data for line ' + id));
    if (!panel) buildPanel();
    var row = document.querySelector('tr[data-line="' + CSS.escape(id) + '"]');
    var holder = document.getElementById('player-row');
    if (!holder) {
      holder = el('tr', {id: 'player-row'});
      var td = el('td', {colspan: String(row ? row.children.length : 1)});
      td.appendChild(panel);
      holder.appendChild(td);
    }
    if (row) row.after(holder);
    if (audio.src && !audio.paused) audio.pause();
    R.state = 'loading';
    panel.setAttribute('data-state', 'loading');
    current = id;
    var data = lineData[id] ? Promise.resolve() : loadScript(info.src);
    return data.then(ensureViewer).then(function () {
      var line = lineData[id];
      viewer.setLine(line);
      panel.querySelector('.title').textContent = id;
      if (line.audio) { audio.src = line.audio; audio.style.display = ''; clock = null; } else {
        audio.removeAttribute('src'); audio.load(); audio.style.display = 'none';
        clock = {start: 0, offset: 0, running: false};
      }
      curves = new Curves(panel.querySelector('.curves'), line, cfg.channels || ['jawOpen', 'mouthClose']);
      var flags = panel.querySelector('.flags');
      flags.innerHTML = '';
      (info.problems || []).forEach(function (p) { flags.appendChild(el('li', {'class': 'bad'}, p)); });
      if (!(info.problems || []).length) flags.appendChild(el('li', {'class': 'ok'}, 'no QC flags'));
      panel.querySelector('.note').value = (decisions[id] && decisions[id].note) || '';
      panel.querySelector('.saved').textContent = decisionLabel(id)[0];
      panel.querySelector('.hint').textContent = R.mode === 'server'
        ? 'Decisions are written to ' + (cfg.decisionsFile || 'decisions.json') + ' beside report.html by kmtalk review.'
        : 'Opened from a file: each decision downloads decisions.json. Put it beside report.html ' +
          '(replacing the old one); the next batch run reads it. `kmtalk review` saves decisions directly.';
      tick();
      R.state = 'ready';
      panel.setAttribute('data-state', 'ready');
    }).catch(function (err) {
      R.state = 'error';
      R.errors.push(String(err && err.message || err));
      panel.setAttribute('data-state', 'error');
      panel.querySelector('.saved').textContent = 'cannot play: ' + (err && err.message || err);
    });
  }

  R.open = open;
  R.decide = decide;
  R.mouthRect = function () { return viewer ? viewer.mouthRect() : null; };
  R.currentTime = now;
  R.decisions = function () { return decisionDoc(); };

  function init() {
    document.querySelectorAll('button.watch').forEach(function (b) {
      b.addEventListener('click', function () { open(b.getAttribute('data-id')); });
    });
    refreshBadges();
    var ready = Promise.resolve();
    if (location.protocol === 'http:' || location.protocol === 'https:') {
      ready = fetch('api/decisions').then(function (r) {
        if (!r.ok) throw new Error(r.statusText);
        return r.json();
      }).then(function (doc) {
        R.mode = 'server';
        decisions = doc.lines || {};
        refreshBadges();
      }).catch(function () { R.mode = 'file'; });
    }
    ready.then(function () {
      document.body.setAttribute('data-review-mode', R.mode);
      var wanted = /[?&]open=([^&]*)/.exec(location.search);  // report.html?open=<line id>
      if (wanted) open(decodeURIComponent(wanted[1]));
      R.initialised = true;
    });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init); else init();
})();
