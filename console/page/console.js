// The qfn console page: live charts of every function's queue, replicas and scale decisions, and its
// dead letters. Plain browser JavaScript (no build step), uPlot for the charts. Data comes from
// `api/stream` (Server-Sent Events read through fetch, so the admin token goes in a header, never in a URL).
(() => {
  'use strict';

  const tokenKey = 'qfn-console-token';
  const adminPath = document.querySelector('meta[name="qfn-admin-path"]').content;
  const $ = (id) => document.getElementById(id);

  const state = {
    snapshot: null,
    selected: null,
    windowSeconds: 300,
    charts: {},
    stream: null,
    retryMs: 1000,
    deadLetters: [],
    selectedLetters: 0,
    firstChartAt: null,
  };

  // ---- token ---------------------------------------------------------------------------------
  function readToken() {
    const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
    if (match) {
      sessionStorage.setItem(tokenKey, decodeURIComponent(match[1]));
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem(tokenKey);
  }
  const authHeaders = () => ({ authorization: `Bearer ${sessionStorage.getItem(tokenKey) || ''}` });

  function showNotice(text, kind) {
    const notice = $('notice');
    notice.textContent = text;
    notice.dataset.kind = kind || 'error';
    notice.hidden = !text;
  }

  function setConnection(stateName, text) {
    const el = $('connection');
    el.dataset.state = stateName;
    el.textContent = text;
  }

  /** No data on the page once the token is refused: charts, lists and letters go. */
  function refuse(status, message) {
    stopStream();
    state.snapshot = null;
    destroyCharts();
    $('main').hidden = true;
    $('token-form').hidden = false;
    setConnection('refused', status === 403 ? 'admin API off' : 'not authorised');
    showNotice(
      status === 403
        ? `The admin API is turned off on this installation (403): ${message || 'set ADMIN_API_TOKEN'}. The console uses the same token.`
        : status === 401
          ? `The admin token was not accepted (401${message ? `: ${message}` : ''}). Enter the value of ADMIN_API_TOKEN.`
          : 'This console needs the admin token (the value of ADMIN_API_TOKEN). npm start prints a link that carries it.',
    );
  }

  // ---- stream --------------------------------------------------------------------------------
  function stopStream() {
    if (state.stream) state.stream.abort();
    state.stream = null;
  }

  async function connect() {
    stopStream();
    if (!sessionStorage.getItem(tokenKey)) return refuse(0);
    const controller = new AbortController();
    state.stream = controller;
    setConnection('connecting', 'connecting…');
    let response;
    try {
      response = await fetch('api/stream', { headers: { ...authHeaders(), accept: 'text/event-stream' }, signal: controller.signal, cache: 'no-store' });
    } catch (error) {
      if (controller.signal.aborted) return;
      return retry(`cannot reach the server (${error.message})`);
    }
    if (response.status === 401 || response.status === 403) {
      const body = await response.json().catch(() => ({}));
      return refuse(response.status, body.message);
    }
    if (!response.ok || !response.body) return retry(`the server answered ${response.status}`);
    setConnection('live', 'live');
    showNotice('');
    state.retryMs = 1000;
    try {
      await readEvents(response.body, controller.signal);
    } catch (error) {
      if (controller.signal.aborted) return;
    }
    if (!controller.signal.aborted) retry('the stream ended');
  }

  function retry(why) {
    setConnection('retrying', `reconnecting (${why})`);
    const wait = state.retryMs;
    state.retryMs = Math.min(state.retryMs * 2, 10_000);
    const controller = new AbortController();
    state.stream = controller;
    setTimeout(() => {
      if (!controller.signal.aborted) connect();
    }, wait);
  }

  async function readEvents(body, signal) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length > 0) handleEvent(event, JSON.parse(data.join('\n')));
      }
    }
  }

  function handleEvent(event, data) {
    if (event === 'snapshot') return applySnapshot(data);
    if (event !== 'update' || !state.snapshot) return;
    const touched = new Set();
    for (const update of data) {
      const snap = state.snapshot;
      if (update.type === 'sample') {
        const points = (snap.series[update.function] ||= []);
        points.push(update.point);
        const oldest = update.point.t - snap.historySeconds * 1000;
        while (points.length && points[0].t < oldest) points.shift();
        touched.add(update.function);
      } else if (update.type === 'marker') {
        snap.markers.push(update.marker);
        touched.add(update.marker.function);
        if (update.marker.function === state.selected) renderDecisions();
      } else if (update.type === 'coldstart') {
        snap.coldStarts.push(update.coldStart);
        touched.add(update.coldStart.function);
      } else if (update.type === 'functions') {
        snap.functions = update.functions;
        renderFunctions();
      } else if (update.type === 'warnings') {
        snap.warnings = update.warnings;
        renderWarnings();
      }
    }
    renderFunctionFigures();
    if (touched.has(state.selected)) scheduleDraw();
  }

  function applySnapshot(snapshot) {
    state.snapshot = snapshot;
    $('main').hidden = false;
    $('token-form').hidden = true;
    const info = snapshot.installation;
    $('installation').textContent = `${info.name} · ${info.mode === 'local' ? 'local runner' : 'Kubernetes'} · ${info.detail}`;
    if (!state.selected || !snapshot.functions.some((fn) => fn.name === state.selected)) state.selected = snapshot.functions[0]?.name ?? null;
    renderFunctions();
    renderWarnings();
    selectFunction(state.selected);
    if (!events.catalog) loadCatalog();
  }

  function renderWarnings() {
    const warnings = state.snapshot?.warnings ?? [];
    if (warnings.length) showNotice(warnings.join(' · '), 'warn');
    else if ($('notice').dataset.kind === 'warn') showNotice('');
  }

  // ---- functions list and figures --------------------------------------------------------------
  const latest = (name) => {
    const points = state.snapshot?.series[name];
    return points?.length ? points[points.length - 1] : null;
  };
  const fmt = (value, digits = 0) => (value === null || value === undefined ? '–' : Number(value).toLocaleString('en-US', { maximumFractionDigits: digits }));

  function renderFunctions() {
    const nav = $('functions');
    nav.replaceChildren();
    for (const fn of state.snapshot.functions) {
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.function = fn.name;
      button.setAttribute('aria-current', String(fn.name === state.selected));
      const name = document.createElement('span');
      name.className = 'fn-name';
      name.textContent = fn.name;
      const figures = document.createElement('span');
      figures.className = 'fn-figures';
      button.append(name, figures);
      button.addEventListener('click', () => selectFunction(fn.name));
      nav.append(button);
    }
    if (state.snapshot.functions.length === 0) nav.textContent = 'no functions yet';
    renderFunctionFigures();
  }

  function renderFunctionFigures() {
    for (const button of $('functions').querySelectorAll('button')) {
      const point = latest(button.dataset.function);
      const depth = point && point.ready !== null ? point.ready + (point.inFlight ?? 0) : null;
      button.querySelector('.fn-figures').textContent = `replicas ${fmt(point?.readyReplicas)}/${fmt(point?.desired)} · depth ${fmt(depth)}`;
    }
    renderStats();
  }

  function renderStats() {
    const point = state.selected ? latest(state.selected) : null;
    const stats = [
      ['replicas', 'ready / desired', point ? `${fmt(point.readyReplicas)} / ${fmt(point.desired)}` : '–'],
      ['depth', 'ready + in flight', point && point.ready !== null ? fmt(point.ready + (point.inFlight ?? 0)) : '–'],
      ['processed', 'processed / s', fmt(point?.processedPerSecond, 1)],
      ['lag', 'queue lag p99', point?.lagP99 === null || !point ? '–' : `${fmt(point.lagP99)} ms`],
    ];
    const box = $('stats');
    box.replaceChildren(
      ...stats.map(([key, label, value]) => {
        const tile = document.createElement('div');
        tile.className = 'stat';
        tile.dataset.stat = key;
        const b = document.createElement('b');
        b.textContent = value;
        const span = document.createElement('span');
        span.textContent = label;
        tile.append(b, span);
        return tile;
      }),
    );
  }

  function selectFunction(name) {
    state.selected = name;
    for (const button of $('functions').querySelectorAll('button')) button.setAttribute('aria-current', String(button.dataset.function === name));
    const fn = state.snapshot.functions.find((f) => f.name === name);
    $('fn-name').textContent = name ?? 'no functions';
    const v = (value) => (value === null || value === undefined ? '?' : value);
    $('fn-policy').textContent = fn
      ? `replicas ${v(fn.minReplicaCount)}–${v(fn.maxReplicaCount)} · target ${v(fn.targetQueueLength)}/replica · activation ${v(fn.activationQueueLength)} · polling ${v(fn.pollingInterval)} s · cooldown ${v(fn.cooldownPeriod)} s`
      : '';
    destroyCharts();
    if (name) buildCharts();
    renderStats();
    renderDecisions();
    state.deadLetters = [];
    state.selectedLetters = 0;
    $('dlq-body').hidden = true;
    renderDeadLetters();
    if (name) loadDeadLetters();
    if (events.catalog) renderCatalog();
  }

  // ---- charts --------------------------------------------------------------------------------
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  const markersOf = (name) => (state.snapshot?.markers ?? []).filter((m) => m.function === name);
  const coldStartsOf = (name) => (state.snapshot?.coldStarts ?? []).filter((c) => c.function === name);

  /** Vertical lines at each decision (dashed for holds), labelled with the change; cold starts as triangles. */
  function markerPlugin(withLabels, withColdStarts) {
    return {
      hooks: {
        draw: [
          (u) => {
            const { ctx, bbox } = u;
            const markers = markersOf(state.selected);
            const [xMin, xMax] = [u.scales.x.min, u.scales.x.max];
            ctx.save();
            ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
            let drawn = 0;
            let lastLabelAt = -Infinity;
            let labelRow = 0;
            for (const marker of markers) {
              const x = marker.at / 1000;
              if (x < xMin || x > xMax) continue;
              // Holds only where replicas are drawn; other charts get the changes, faintly.
              if (!withLabels && marker.kind !== 'scale') continue;
              const px = Math.round(u.valToPos(x, 'x', true));
              ctx.strokeStyle = marker.kind === 'scale' ? css('--marker') : css('--hold');
              ctx.globalAlpha = withLabels ? 1 : 0.35;
              ctx.lineWidth = devicePixelRatio;
              ctx.setLineDash(marker.kind === 'scale' ? [] : [3 * devicePixelRatio, 3 * devicePixelRatio]);
              ctx.beginPath();
              ctx.moveTo(px, bbox.top);
              ctx.lineTo(px, bbox.top + bbox.height);
              ctx.stroke();
              if (withLabels && marker.kind === 'scale' && marker.from !== null) {
                const label = `${marker.from}→${marker.to}`;
                // Labels that would overlap go on the next row, three rows at most; the rest are in the list below.
                labelRow = px - lastLabelAt < ctx.measureText(label).width + 6 * devicePixelRatio ? labelRow + 1 : 0;
                if (labelRow < 3) {
                  ctx.fillStyle = css('--marker');
                  ctx.fillText(label, px + 3 * devicePixelRatio, bbox.top + 12 * devicePixelRatio * (1 + labelRow));
                  if (labelRow === 0) lastLabelAt = px;
                }
              }
              ctx.globalAlpha = 1;
              drawn++;
            }
            if (withColdStarts) {
              ctx.fillStyle = css('--cold');
              const size = 5 * devicePixelRatio;
              for (const cold of coldStartsOf(state.selected)) {
                const x = cold.at / 1000;
                if (x < xMin || x > xMax) continue;
                const px = u.valToPos(x, 'x', true);
                const py = bbox.top + bbox.height;
                ctx.beginPath();
                ctx.moveTo(px, py - size * 1.6);
                ctx.lineTo(px - size, py);
                ctx.lineTo(px + size, py);
                ctx.closePath();
                ctx.fill();
              }
            }
            ctx.restore();
            u.root.dataset.markers = String(drawn);
          },
        ],
        setCursor: [(u) => showMarkerTip(u)],
      },
    };
  }

  function showMarkerTip(u) {
    const tip = $('marker-tip');
    const left = u.cursor.left;
    if (left === undefined || left < 0) return (tip.hidden = true);
    const near = (item) => Math.abs(u.valToPos(item.at / 1000, 'x') - left) <= 5;
    const marker = markersOf(state.selected).find(near);
    const cold = coldStartsOf(state.selected).find(near);
    if (!marker && !cold) return (tip.hidden = true);
    const when = (at) => new Date(at).toLocaleTimeString();
    tip.textContent = [
      marker ? `${when(marker.at)} ${marker.by === 'none' ? 'hold' : marker.by.toUpperCase()}: ${marker.reason}` : '',
      cold ? `${when(cold.at)} cold start ${cold.replica}${cold.coldStartMs !== null ? `: ${cold.coldStartMs} ms to consuming` : ''}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    const rect = u.over.getBoundingClientRect();
    tip.style.left = `${Math.min(rect.left + left + 12, innerWidth - 430)}px`;
    tip.style.top = `${rect.top + 8}px`;
    tip.hidden = false;
  }

  const clock = (seconds) => new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const compact = (value) => (Math.abs(value) >= 1000 ? `${Number((value / 1000).toFixed(1))}k` : String(Number(value.toFixed(2))));

  const chartDefs = {
    depth: {
      series: [
        ['ready', '--depth-ready'],
        ['in flight', '--depth-inflight'],
        ['delayed', '--depth-delayed'],
      ],
      values: (p) => [p.ready, p.inFlight, p.delayed],
      labels: false,
      cold: false,
    },
    replicas: {
      series: [
        ['desired', '--desired'],
        ['ready', '--ready'],
      ],
      values: (p) => [p.desired, p.readyReplicas],
      labels: true,
      cold: true,
      stepped: true,
    },
    processed: { series: [['processed/s', '--processed']], values: (p) => [p.processedPerSecond], labels: false, cold: false },
    lag: {
      series: [
        ['p50', '--p50'],
        ['p99', '--p99'],
      ],
      values: (p) => [p.lagP50, p.lagP99],
      labels: false,
      cold: false,
      gaps: true,
    },
  };

  function chartData(def) {
    const points = state.snapshot.series[state.selected] ?? [];
    const columns = [points.map((p) => p.t / 1000)];
    def.series.forEach((_, i) => columns.push(points.map((p) => def.values(p)[i])));
    return columns;
  }

  function chartWidth(el) {
    return Math.max(300, Math.floor(el.parentElement.getBoundingClientRect().width - 16));
  }

  function buildCharts() {
    for (const [key, def] of Object.entries(chartDefs)) {
      const el = $(`chart-${key}`);
      const stepped = def.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
      const options = {
        width: chartWidth(el),
        height: 170,
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
        scales: {
          x: {
            time: true,
            range: () => {
              const now = Date.now() / 1000;
              return [now - state.windowSeconds, now];
            },
          },
          y: { range: (u, min, max) => [0, Math.max(key === 'replicas' ? 2 : 1, Math.ceil((max || 0) * 1.15))] },
        },
        axes: [
          { stroke: css('--muted'), grid: { stroke: css('--grid') }, ticks: { stroke: css('--grid') }, space: 70, values: (u, ticks) => ticks.map(clock) },
          { stroke: css('--muted'), grid: { stroke: css('--grid') }, ticks: { stroke: css('--grid') }, size: 50, values: (u, ticks) => ticks.map(compact) },
        ],
        series: [
          {},
          ...def.series.map(([label, color]) => ({
            label,
            stroke: css(color),
            width: 1.6,
            points: { show: false },
            spanGaps: !def.gaps,
            ...(stepped ? { paths: stepped } : {}),
          })),
        ],
        plugins: [markerPlugin(def.labels, def.cold)],
      };
      state.charts[key] = { plot: new uPlot(options, chartData(def), el), def };
    }
    if (state.firstChartAt === null) {
      state.firstChartAt = performance.now();
      document.documentElement.dataset.firstChartMs = String(Math.round(state.firstChartAt));
    }
  }

  function destroyCharts() {
    for (const chart of Object.values(state.charts)) chart.plot.destroy();
    state.charts = {};
  }

  let drawPending = false;
  function scheduleDraw() {
    if (drawPending) return;
    drawPending = true;
    requestAnimationFrame(() => {
      drawPending = false;
      for (const chart of Object.values(state.charts)) chart.plot.setData(chartData(chart.def));
    });
  }

  // The x range follows the clock even when no sample arrives (a quiet function).
  setInterval(() => {
    if (Object.keys(state.charts).length) scheduleDraw();
  }, 1000);
  addEventListener('resize', () => {
    for (const [key, chart] of Object.entries(state.charts)) chart.plot.setSize({ width: chartWidth($(`chart-${key}`)), height: 170 });
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (state.selected) {
      destroyCharts();
      buildCharts();
    }
  });

  // ---- decisions -------------------------------------------------------------------------------
  function renderDecisions() {
    const list = $('decisions');
    const markers = markersOf(state.selected).slice().reverse();
    $('decision-count').textContent = markers.length ? `(${markers.length})` : '';
    list.replaceChildren(
      ...markers.slice(0, 200).map((marker) => {
        const li = document.createElement('li');
        li.dataset.kind = marker.kind;
        li.dataset.by = marker.by;
        const time = document.createElement('time');
        time.dateTime = new Date(marker.at).toISOString();
        time.textContent = new Date(marker.at).toLocaleTimeString();
        const change = document.createElement('span');
        change.className = 'change';
        change.textContent = marker.kind === 'scale' ? `${marker.from ?? '?'}→${marker.to ?? '?'} ${marker.by.toUpperCase()}` : 'hold';
        const reason = document.createElement('span');
        reason.className = 'reason';
        reason.textContent = marker.reason;
        li.append(time, change, reason);
        return li;
      }),
    );
  }

  // ---- dead letters ----------------------------------------------------------------------------
  const dlqUrl = (suffix = '') => `${adminPath}/dlq/${encodeURIComponent(state.selected)}${suffix}`;

  async function adminRequest(url, init = {}) {
    const response = await fetch(url, { ...init, headers: { ...authHeaders(), ...(init.headers || {}) } });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) {
      refuse(response.status, body.message);
      throw new Error(body.message || `HTTP ${response.status}`);
    }
    if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
    return body;
  }

  function dlqStatus(text) {
    $('dlq-status').textContent = text;
  }

  async function loadDeadLetters() {
    const name = state.selected;
    try {
      const body = await adminRequest(dlqUrl('?limit=200'));
      if (name !== state.selected) return;
      state.deadLetters = body.items;
      state.selectedLetters = Math.min(state.selectedLetters, body.items.length);
      renderDeadLetters();
    } catch (error) {
      if (name === state.selected) dlqStatus(`could not list the dead letters: ${error.message}`);
    }
  }

  function renderDeadLetters() {
    const letters = state.deadLetters;
    $('dlq-count').textContent = `(${letters.length}${letters.length === 200 ? '+' : ''})`;
    $('dlq-rows').replaceChildren(
      ...letters.map((letter, index) => {
        const row = document.createElement('tr');
        row.dataset.eventId = letter.eventId ?? letter.handle;
        row.setAttribute('aria-selected', String(index < state.selectedLetters));
        const check = document.createElement('input');
        check.type = 'checkbox';
        check.checked = index < state.selectedLetters;
        check.setAttribute('aria-label', `select up to ${letter.eventId ?? letter.handle}`);
        check.addEventListener('click', (event) => {
          event.stopPropagation();
          state.selectedLetters = check.checked ? index + 1 : index;
          renderDeadLetters();
        });
        const cells = [
          check,
          letter.eventId ?? '(no id)',
          String(letter.attempts),
          letter.deadLetteredAt ? new Date(letter.deadLetteredAt).toLocaleString() : '?',
          letter.reason,
        ];
        cells.forEach((content, i) => {
          const td = document.createElement('td');
          if (i === 4) {
            td.className = 'reason';
            td.title = letter.reason;
          }
          if (typeof content === 'string') td.textContent = content;
          else td.append(content);
          row.append(td);
        });
        row.addEventListener('click', () => showLetter(letter));
        return row;
      }),
    );
    $('dlq-replay-selected').disabled = state.selectedLetters === 0;
    $('dlq-replay-selected').textContent = state.selectedLetters ? `Replay selected (${state.selectedLetters})` : 'Replay selected';
    $('dlq-replay-all').disabled = letters.length === 0;
    $('dlq-purge').disabled = letters.length === 0;
  }

  async function showLetter(letter) {
    const pre = $('dlq-body');
    try {
      const full = await adminRequest(dlqUrl(`/${encodeURIComponent(letter.eventId ?? letter.handle)}`));
      pre.textContent = `event ${full.eventId ?? '(none)'} · ${full.attempts} attempt(s) · ${full.deadLetteredAt ?? '?'}\nreason: ${full.reason}\n\n${
        full.bodyBase64 !== undefined ? `(not JSON; base64) ${full.bodyBase64}` : JSON.stringify(full.body, null, 2)
      }`;
      pre.hidden = false;
    } catch (error) {
      dlqStatus(`could not read the message: ${error.message}`);
    }
  }

  async function replay(limit) {
    dlqStatus('replaying…');
    try {
      const body = await adminRequest(dlqUrl(limit ? `/replay?limit=${limit}` : '/replay'), { method: 'POST' });
      dlqStatus(`replayed ${body.replayed} message${body.replayed === 1 ? '' : 's'} of ${body.function} to its queue`);
      state.selectedLetters = 0;
      $('dlq-body').hidden = true;
      await loadDeadLetters();
    } catch (error) {
      dlqStatus(`replay failed: ${error.message}`);
    }
  }

  function askPurge() {
    const name = state.selected;
    const dialog = $('purge-dialog');
    $('purge-text').textContent =
      `Delete the dead letters of ${name} for good (${state.deadLetters.length}${state.deadLetters.length === 200 ? '+' : ''})? Type ${name} to confirm.`;
    $('purge-input').value = '';
    $('purge-input').placeholder = name;
    $('purge-confirm').disabled = true;
    dialog.dataset.function = name;
    dialog.showModal();
  }

  $('purge-input').addEventListener('input', () => {
    $('purge-confirm').disabled = $('purge-input').value !== $('purge-dialog').dataset.function;
  });
  $('purge-dialog').addEventListener('close', async () => {
    const dialog = $('purge-dialog');
    const name = dialog.dataset.function;
    if (dialog.returnValue !== 'purge' || $('purge-input').value !== name || name !== state.selected) return;
    try {
      const body = await adminRequest(`${dlqUrl()}?confirm=${encodeURIComponent(name)}`, { method: 'DELETE' });
      dlqStatus(`purged ${body.purged} dead letter${body.purged === 1 ? '' : 's'} of ${body.function}`);
      $('dlq-body').hidden = true;
      await loadDeadLetters();
    } catch (error) {
      dlqStatus(`purge failed: ${error.message}`);
    }
  });
  $('dlq-refresh').addEventListener('click', () => {
    dlqStatus('');
    loadDeadLetters();
  });
  $('dlq-replay-all').addEventListener('click', () => replay(undefined));
  $('dlq-replay-selected').addEventListener('click', () => replay(state.selectedLetters));
  $('dlq-purge').addEventListener('click', askPurge);

  // ---- event catalog ---------------------------------------------------------------------------
  // The publish function's own catalog (GET /events) and endpoint (POST /events/{type}): the same
  // validation, limits and answers as any producer gets. The local runner forwards both to its publish function.
  const events = { catalog: null, type: null };
  const publishTokenKey = 'qfn-console-publish-token';

  function eventsStatus(text, kind) {
    const el = $('events-status');
    el.textContent = text;
    el.dataset.kind = kind || '';
  }

  async function loadCatalog() {
    try {
      const response = await fetch('/events', { headers: { accept: 'application/json' }, cache: 'no-cache' });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new Error(body.message || `HTTP ${response.status}`);
      events.catalog = body;
      renderCatalog();
    } catch (error) {
      eventsStatus(`could not read the event catalog: ${error.message}`, 'error');
    }
  }

  function renderCatalog() {
    const types = Object.keys(events.catalog?.events ?? {});
    $('events-revision').textContent = events.catalog ? `(${types.length} types · revision ${events.catalog.revision})` : '';
    // The selected function's own types first: what a user testing that function wants to send.
    const own = (type) => (events.catalog.events[type].subscribers.includes(state.selected) ? 0 : 1);
    const ordered = [...types].sort((a, b) => own(a) - own(b) || a.localeCompare(b));
    const select = $('events-type');
    select.replaceChildren(
      ...ordered.map((type) => {
        const option = document.createElement('option');
        option.value = type;
        const subscribers = events.catalog.events[type].subscribers;
        option.textContent = subscribers.length ? type : `${type} (no subscriber)`;
        return option;
      }),
    );
    if (!events.type || !types.includes(events.type) || own(events.type) === 1) events.type = ordered[0] ?? null;
    if (events.type) select.value = events.type;
    showEventType(events.type);
  }

  function showEventType(type) {
    events.type = type;
    const entry = type ? events.catalog?.events[type] : null;
    $('events-schema').textContent = entry ? JSON.stringify(entry.schema, null, 2) : '';
    $('events-description').textContent = entry
      ? `${entry.description ?? ''}${entry.description ? ' · ' : ''}version ${entry.version}`
      : 'no event types declared';
    $('events-subscribers').textContent = entry
      ? entry.subscribers.length
        ? `→ ${entry.subscribers.join(', ')}`
        : 'nobody subscribes: publishing answers 422'
      : '';
    $('events-target').textContent = type ? `POST /events/${type}` : 'POST /events/…';
    $('events-data').value = entry ? JSON.stringify(exampleOf(entry.schema), null, 2) : '';
    $('events-publish').disabled = !entry;
    $('events-result').hidden = true;
    eventsStatus('');
  }

  /** A value the schema accepts, where one can be made without guessing: defaults, enums, bounds, formats. */
  function exampleOf(schema, depth = 0) {
    if (!schema || typeof schema !== 'object' || depth > 8) return null;
    if ('default' in schema) return schema.default;
    if ('const' in schema) return schema.const;
    if (Array.isArray(schema.enum)) return schema.enum[0];
    if (Array.isArray(schema.examples) && schema.examples.length) return schema.examples[0];
    const options = schema.anyOf || schema.oneOf;
    if (Array.isArray(options)) return exampleOf(options.find((o) => o.type !== 'null') ?? options[0], depth + 1);
    if (Array.isArray(schema.allOf)) return exampleOf(Object.assign({}, ...schema.allOf), depth + 1);
    const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
    switch (type) {
      case 'object': {
        const out = {};
        const required = new Set(schema.required ?? []);
        for (const [key, property] of Object.entries(schema.properties ?? {})) {
          if (required.has(key) || (property && 'default' in property)) out[key] = exampleOf(property, depth + 1);
        }
        return out;
      }
      case 'array':
        return Array.from({ length: schema.minItems ?? 0 }, () => exampleOf(schema.items, depth + 1));
      case 'integer':
      case 'number': {
        const low = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
        const value = schema.maximum !== undefined ? Math.min(low, schema.maximum) : low;
        return type === 'integer' ? Math.ceil(value) : value;
      }
      case 'boolean':
        return false;
      case 'string': {
        const formats = {
          uuid: () => crypto.randomUUID(),
          'date-time': () => new Date().toISOString(),
          date: () => new Date().toISOString().slice(0, 10),
          email: () => 'someone@example.com',
          ipv4: () => '192.0.2.1',
          ipv6: () => '2001:db8::1',
          uri: () => 'https://example.com/',
          url: () => 'https://example.com/',
        };
        if (formats[schema.format]) return formats[schema.format]();
        return 'x'.repeat(Math.max(schema.minLength ?? 0, 1)).slice(0, schema.maxLength ?? Infinity);
      }
      default:
        return null;
    }
  }

  async function publishTestEvent(event) {
    event.preventDefault();
    const type = events.type;
    if (!type) return;
    let data;
    try {
      data = JSON.parse($('events-data').value);
    } catch (error) {
      return eventsStatus(`not JSON: ${error.message}`, 'error');
    }
    const typed = $('events-token').value.trim();
    if (typed) sessionStorage.setItem(publishTokenKey, typed);
    const publishToken = sessionStorage.getItem(publishTokenKey);
    eventsStatus('publishing…');
    try {
      const response = await fetch(`/events/${encodeURIComponent(type)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(publishToken ? { authorization: `Bearer ${publishToken}` } : {}) },
        body: JSON.stringify(data),
      });
      const body = await response.json().catch(() => ({}));
      const result = $('events-result');
      result.textContent = `HTTP ${response.status}\n${JSON.stringify(body, null, 2)}`;
      result.hidden = false;
      if (response.status === 401) {
        $('events-token-label').hidden = false;
        sessionStorage.removeItem(publishTokenKey);
        return eventsStatus('the publish API asks for a client token: enter one of PUBLISH_API_TOKENS', 'error');
      }
      if (!response.ok) {
        const fields = (body.issues ?? body.details ?? []).map((issue) => `${issue.path}: ${issue.message}`).join(' · ');
        return eventsStatus(`refused (${response.status}): ${body.message ?? body.error ?? ''}${fields ? ` — ${fields}` : ''}`, 'error');
      }
      eventsStatus(`accepted: ${type} ${body.id ?? ''} → ${(events.catalog.events[type]?.subscribers ?? []).join(', ')}`, 'ok');
    } catch (error) {
      eventsStatus(`publishing failed: ${error.message}`, 'error');
    }
  }

  $('events-type').addEventListener('change', (event) => showEventType(event.target.value));
  $('events-example').addEventListener('click', () => showEventType(events.type));
  $('events-form').addEventListener('submit', publishTestEvent);

  // ---- start ---------------------------------------------------------------------------------
  $('window-select').addEventListener('change', (event) => {
    state.windowSeconds = Number(event.target.value);
    scheduleDraw();
  });
  $('token-button').addEventListener('click', () => {
    $('token-form').hidden = !$('token-form').hidden;
    $('token-input').focus();
  });
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token-input').value.trim();
    $('token-input').value = '';
    if (token) sessionStorage.setItem(tokenKey, token);
    else sessionStorage.removeItem(tokenKey);
    connect();
  });

  /** For tests and the curious: what the charts are drawing. */
  window.qfnConsole = {
    series: (name) => state.snapshot?.series[name] ?? [],
    markers: (name) => markersOf(name),
    coldStarts: (name) => coldStartsOf(name),
    select: (name) => selectFunction(name),
  };

  readToken();
  connect();
})();
