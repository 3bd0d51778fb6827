// Silent Scalper dashboard. Every value that comes from data (keys above all: attacker-controlled text)
// reaches the DOM through textContent or a text node, never as HTML — and through printable() first, the
// same function (src/text/printable.js, served as /printable.js) the CLI and the logs use: control and
// bidi characters show as \uXXXX, so `invoice\u202Efdp.exe` cannot pass for `invoiceexe.pdf`. Keys are
// also bidi-isolated (<bdi>), so right-to-left letters in a key cannot reorder the text around it.
import { createCharts } from './charts.js';
// The one formatBytes of the project (src/text/formatBytes.js), served by the dashboard as it is.
import { formatBytes as fmtBytes } from './formatBytes.js';
import { printable } from './printable.js';

const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
const $ = (id) => document.getElementById(id);

/** Create an element: `text` becomes its textContent, `className` its classes; children are appended. */
const el = (tag, { text, className, title } = {}, children = []) => {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = printable(String(text));
  if (className) node.className = className;
  if (title) node.title = title;
  for (const child of children) node.append(child);
  return node;
};

/** An object key, escaped and bidi-isolated. */
const keyText = (key) => el('bdi', { text: key });

/** A button that shows a key (opens its timeline). */
const keyButton = (key) => {
  const button = el('button', { className: 'link' }, [keyText(key)]);
  button.type = 'button';
  return button;
};

/** Rows of the quarantine list (the file table filtered by QUARANTINED shows every one). */
const QUARANTINE_ROWS = 20;
const POLICY_REASONS = new Set([
  'EMPTY_FILE',
  'TOO_LARGE',
  'BLOCKED_TYPE',
  'TYPE_MISMATCH',
  'NOT_ALLOWED',
  'ARCHIVE_BLOCKED_ENTRY',
  'ARCHIVE_ENCRYPTED',
  'ARCHIVE_BOMB',
  'ARCHIVE_TOO_MANY_ENTRIES',
  'ARCHIVE_PATH_TRAVERSAL',
  'ARCHIVE_UNREADABLE',
]);
const numberFormat = new Intl.NumberFormat();
const fmtCount = (n) => (n === undefined || n === null ? '–' : numberFormat.format(n));
const fmtMs = (ms) => {
  if (ms === undefined || ms === null) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
};
const fmtTime = (iso) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? '') : date.toLocaleTimeString();
};
const fmtDateTime = (iso) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso ?? '') : date.toLocaleString();
};
const sniffedType = (row) =>
  row.mime ?? (row.ext ? `.${row.ext}` : row.contentClass ? `(${row.contentClass})` : 'unknown');

// ---------------------------------------------------------------- toasts and confirmation

const toast = (message, isError = false) => {
  const node = el('div', { text: message, className: isError ? 'toast error' : 'toast' });
  $('toasts').append(node);
  setTimeout(() => node.remove(), isError ? 9000 : 5000);
};

/** Ask before an action, in the page (no native dialog). Resolves to { ok, force }. */
const confirmAction = ({ title, text, key, forceText }) =>
  new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-title').textContent = printable(title);
    $('confirm-text').textContent = printable(text);
    $('confirm-key').replaceChildren(keyText(key ?? ''));
    $('confirm-key').hidden = key === undefined;
    const forceBox = $('confirm-force-box');
    forceBox.checked = false;
    $('confirm-force').hidden = !forceText;
    $('confirm-force-text').textContent = printable(forceText ?? '');
    const ok = $('confirm-ok');
    ok.disabled = Boolean(forceText);
    forceBox.onchange = () => {
      ok.disabled = Boolean(forceText) && !forceBox.checked;
    };
    const finish = (answer) => {
      dialog.close();
      ok.onclick = null;
      $('confirm-cancel').onclick = null;
      dialog.oncancel = null;
      resolve({ ok: answer, force: forceBox.checked });
    };
    ok.onclick = () => finish(true);
    $('confirm-cancel').onclick = () => finish(false);
    dialog.oncancel = () => finish(false);
    dialog.showModal();
  });

/** POST an action with the CSRF token; the server also checks the Origin header. */
const postAction = async (name, body) => {
  const response = await fetch(`/api/actions/${name}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
    body: JSON.stringify(body),
  });
  let result;
  try {
    result = await response.json();
  } catch {
    result = { message: `HTTP ${response.status}` };
  }
  const message = result.message ?? result.error ?? `HTTP ${response.status}`;
  toast(message, !response.ok);
  return response.ok;
};

const retryFile = async (file) => {
  const policy = POLICY_REASONS.has(file.reason);
  const answer = await confirmAction({
    title: 'Retry from quarantine',
    text: 'Copy this file back to the bucket it was uploaded to so the pipeline processes it again?',
    key: `s3://${file.bucket}/${file.key}`,
    forceText: policy
      ? `It was rejected by policy (${file.reason}): retrying only helps if the policy changed.`
      : undefined,
  });
  if (!answer.ok) return;
  await postAction('retry', { bucket: file.bucket, key: file.key, force: answer.force });
};

const replay = async () => {
  const depth = state.snapshot?.queue?.deadLetter ?? 0;
  const answer = await confirmAction({
    title: 'Replay the dead-letter queue',
    text: `Move ${fmtCount(depth)} message(s) from the DLQ back to the ingest queue? Poison messages (not S3 events) stay in the DLQ.`,
  });
  if (!answer.ok) return;
  await postAction('replay', {});
};

// ---------------------------------------------------------------- live snapshot

const state = {
  snapshot: undefined,
  dataVersion: undefined,
  /** Cursors of the pages before the current one (empty on the first page). */
  cursors: [],
  cursor: undefined,
  nextCursor: undefined,
  openFile: undefined,
  knownTypes: new Set(),
  loadingFiles: false,
  reloadFiles: false,
};

let updateCharts = () => undefined;

const renderDurations = (target, summary) => {
  const items = [
    ['p50', summary.p50],
    ['p95', summary.p95],
    ['p99', summary.p99],
    ['max', summary.max],
  ];
  target.replaceChildren(
    ...items.map(([label, value]) =>
      el('div', {}, [el('dt', { text: label }), el('dd', { text: fmtMs(value) })]),
    ),
  );
};

const renderHistogram = (summary) => {
  const max = Math.max(1, ...summary.bucketCounts);
  const bounds = summary.bucketBoundsMs;
  const label = (i) => (i < bounds.length ? `<${fmtMs(bounds[i])}` : `≥${fmtMs(bounds[bounds.length - 1])}`);
  $('histogram').replaceChildren(
    ...summary.bucketCounts.map((count, i) => {
      const col = el('div', { className: 'col', title: `${label(i)}: ${fmtCount(count)} file(s)` });
      col.style.height = `${(count / max) * 100}%`;
      return col;
    }),
  );
  $('histogram-axis').replaceChildren(...summary.bucketCounts.map((_, i) => el('span', { text: label(i) })));
};

const renderTypes = (types, total) => {
  const rows = types.slice(0, 12).map(({ type, count }) => {
    const bar = el('div', { className: 'bar' });
    bar.style.width = `${total > 0 ? (count / total) * 100 : 0}%`;
    return el('tr', {}, [
      el('td', { text: type }),
      el('td', { text: fmtCount(count), className: 'num' }),
      el('td', { title: `${((count / Math.max(1, total)) * 100).toFixed(1)} %` }, [bar]),
    ]);
  });
  if (rows.length === 0) rows.push(el('tr', {}, [el('td', { text: 'No files yet.', className: 'muted' })]));
  $('types').replaceChildren(...rows);
  // Offer every type seen as a filter.
  const select = $('filter-type');
  for (const { type } of types) {
    if (state.knownTypes.has(type)) continue;
    state.knownTypes.add(type);
    select.append(el('option', { text: type }));
  }
};

const renderQuarantine = (quarantine) => {
  const shown = quarantine.files.slice(0, QUARANTINE_ROWS);
  $('quarantine-count').textContent =
    quarantine.total > shown.length
      ? `(${fmtCount(quarantine.total)}, newest ${shown.length} shown: filter the file table by QUARANTINED for all)`
      : quarantine.total > 0
        ? `(${fmtCount(quarantine.total)})`
        : '';
  $('quarantine-empty').hidden = quarantine.total > 0;
  $('quarantine-body').replaceChildren(
    ...shown.map((file) => {
      const open = keyButton(file.key);
      open.addEventListener('click', () => openTimeline(file.bucket, file.key));
      const retry = el('button', { text: 'Retry…', className: 'small' });
      retry.type = 'button';
      retry.addEventListener('click', () => retryFile(file));
      return el('tr', {}, [
        el('td', { text: fmtTime(file.processedAt), title: fmtDateTime(file.processedAt) }),
        el('td', { className: 'key' }, [open]),
        el('td', { text: file.reason ?? '' }),
        el('td', { text: String(file.attempt ?? 0), className: 'num' }),
        el('td', { text: file.error ?? '', className: 'error-text' }),
        el('td', {}, [retry]),
      ]);
    }),
  );
};

const renderSnapshot = (snapshot) => {
  state.snapshot = snapshot;
  $('target').textContent = printable(`${snapshot.target.label} · ${snapshot.target.tableName}`);
  $('updated').textContent = `updated ${fmtTime(snapshot.generatedAt)}`;
  const c = snapshot.counters;
  $('count-processed').textContent = fmtCount(c.byStatus.PROCESSED ?? 0);
  $('count-quarantined').textContent = fmtCount(c.byStatus.QUARANTINED ?? 0);
  $('count-gone').textContent = fmtCount(c.byStatus.GONE ?? 0);
  $('reasons').replaceChildren(
    ...Object.entries(c.byReason)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, n]) => el('li', {}, [el('span', { text: reason }), el('span', { text: fmtCount(n) })])),
  );
  const q = snapshot.queue;
  $('queue-visible').textContent = q ? fmtCount(q.visible + (q.delayed ?? 0)) : '–';
  $('queue-inflight').textContent = q ? fmtCount(q.inFlight) : '–';
  $('queue-dlq').textContent = q ? fmtCount(q.deadLetter) : '–';
  $('replay').disabled = !q || q.deadLetter === 0;
  const v = snapshot.view;
  const span = v.since ? `since ${fmtDateTime(v.since)} (last ${v.windowHours} h)` : 'all time';
  $('window-note').textContent = v.loaded
    ? `Counters and charts cover ${fmtCount(v.records)} record(s) processed ${span}${v.truncated ? ', cut to the newest records kept in memory' : ''}.`
    : 'Loading records from the table…';
  const banner = $('banner');
  banner.hidden = !snapshot.error;
  banner.textContent = printable(snapshot.error ?? '');
  renderTypes(snapshot.types, c.total);
  renderDurations($('percentiles'), snapshot.durations);
  renderDurations($('latency'), snapshot.queueLatency);
  renderHistogram(snapshot.durations);
  renderQuarantine(snapshot.quarantine);
  updateCharts(snapshot);
  if (snapshot.dataVersion !== state.dataVersion) {
    const first = state.dataVersion === undefined;
    state.dataVersion = snapshot.dataVersion;
    if (!first) onDataChanged();
  }
};

const onDataChanged = () => {
  if (state.cursor === undefined) void loadFiles({ highlight: true });
  else $('files-new').hidden = false;
  if (state.openFile) void openTimeline(state.openFile.bucket, state.openFile.key, { keepScroll: true });
};

const setLive = (liveState, text) => {
  const pill = $('live');
  pill.dataset.state = liveState;
  pill.textContent = text;
};

/** Server-sent events; when the stream is down, poll the snapshot every 2 s until it is back. */
const connect = () => {
  let pollTimer;
  const poll = async () => {
    try {
      const response = await fetch('/api/snapshot');
      if (response.ok) renderSnapshot(await response.json());
    } catch {
      // still down; the next poll tries again
    }
  };
  const events = new EventSource('/api/events');
  events.addEventListener('snapshot', (event) => renderSnapshot(JSON.parse(event.data)));
  events.addEventListener('open', () => {
    setLive('live', 'live');
    clearInterval(pollTimer);
    pollTimer = undefined;
  });
  events.addEventListener('error', () => {
    setLive('reconnecting', 'reconnecting…');
    pollTimer ??= setInterval(poll, 2000);
  });
};

// ---------------------------------------------------------------- file table

const filters = () => {
  const params = new URLSearchParams();
  for (const [name, id] of [
    ['status', 'filter-status'],
    ['reason', 'filter-reason'],
    ['type', 'filter-type'],
    ['prefix', 'filter-prefix'],
  ]) {
    const value = $(id).value;
    if (value) params.set(name, value);
  }
  return params;
};

const fileRow = (row, fresh) => {
  const open = keyButton(row.key);
  open.addEventListener('click', () => openTimeline(row.bucket, row.key));
  const tr = el('tr', { className: fresh ? 'fresh' : '' }, [
    el('td', { text: fmtTime(row.processedAt), title: fmtDateTime(row.processedAt) }),
    el('td', { className: 'key' }, [open]),
    el('td', {}, [el('span', { text: row.status, className: `badge ${row.status}` })]),
    el('td', { text: row.reason ?? '' }),
    el('td', { text: sniffedType(row) }),
    el('td', { text: row.declaredContentType ?? '' }),
    el('td', { text: fmtBytes(row.size), className: 'num', title: `${row.size} bytes` }),
    el('td', { text: fmtMs(row.durationMs), className: 'num' }),
  ]);
  tr.dataset.status = row.status;
  return tr;
};

let shownIds = new Set();

const loadFiles = async ({ highlight = false } = {}) => {
  if (state.loadingFiles) {
    state.reloadFiles = true;
    return;
  }
  state.loadingFiles = true;
  try {
    const params = filters();
    if (state.cursor) params.set('cursor', state.cursor);
    params.set('limit', '50');
    const response = await fetch(`/api/files?${params}`);
    const page = await response.json();
    if (!response.ok) {
      toast(page.error ?? `HTTP ${response.status}`, true);
      return;
    }
    const ids = new Set(page.items.map((r) => r.id));
    $('files-body').replaceChildren(
      ...page.items.map((row) => fileRow(row, highlight && !shownIds.has(row.id))),
    );
    shownIds = ids;
    $('files-empty').hidden = page.items.length > 0;
    state.nextCursor = page.nextCursor;
    $('page-older').disabled = !page.nextCursor;
    $('page-newer').disabled = state.cursors.length === 0 && state.cursor === undefined;
    $('page-info').textContent = `page ${state.cursors.length + (state.cursor === undefined ? 1 : 2)}`;
    if (state.cursor === undefined) $('files-new').hidden = true;
  } catch (error) {
    toast(`Could not load files: ${error.message}`, true);
  } finally {
    state.loadingFiles = false;
    if (state.reloadFiles) {
      state.reloadFiles = false;
      void loadFiles({ highlight });
    }
  }
};

const firstPage = () => {
  state.cursors = [];
  state.cursor = undefined;
  void loadFiles();
};

// ---------------------------------------------------------------- timeline

const detailsList = (details) =>
  el(
    'dl',
    {},
    Object.entries(details).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]),
  );

const openTimeline = async (bucket, key, { keepScroll = false } = {}) => {
  state.openFile = { bucket, key };
  const drawer = $('timeline');
  drawer.hidden = false;
  $('timeline-key').replaceChildren(`s3://${printable(bucket)}/`, keyText(key));
  if (!keepScroll) drawer.scrollTop = 0;
  let timeline;
  try {
    const response = await fetch(`/api/file?${new URLSearchParams({ bucket, key })}`);
    timeline = await response.json();
    if (!response.ok) throw new Error(timeline.error ?? `HTTP ${response.status}`);
  } catch (error) {
    $('timeline-entries').replaceChildren(el('li', { text: `Could not load the history: ${error.message}` }));
    return;
  }
  if (state.openFile?.bucket !== bucket || state.openFile?.key !== key) return;
  const latest = timeline.uploads.at(-1);
  const summary = latest
    ? {
        status: latest.status + (latest.reason ? ` (${latest.reason})` : ''),
        size: `${fmtBytes(latest.size)} (${latest.size} bytes)`,
        'sniffed type': sniffedType(latest),
        'declared type': latest.declaredContentType ?? '(none)',
        'processing time': fmtMs(latest.durationMs),
        'waited in queue': fmtMs(latest.queueLatencyMs),
        uploads: String(timeline.uploads.length),
        ...(latest.error ? { error: latest.error } : {}),
      }
    : {};
  $('timeline-summary').replaceChildren(
    ...Object.entries(summary).flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]),
  );
  const actions = [];
  if (latest?.status === 'QUARANTINED') {
    const retry = el('button', { text: 'Retry…', className: 'primary' });
    retry.type = 'button';
    retry.addEventListener('click', () => retryFile({ bucket, key, reason: latest.reason }));
    actions.push(retry);
  }
  $('timeline-actions').replaceChildren(...actions);
  $('timeline-entries').replaceChildren(
    ...timeline.entries.map((entry) =>
      el('li', { className: entry.kind }, [
        el('div', { text: fmtDateTime(entry.at), className: 'when' }),
        el('div', { text: entry.title, className: 'title' }),
        detailsList(entry.details),
      ]),
    ),
  );
};

const closeTimeline = () => {
  state.openFile = undefined;
  $('timeline').hidden = true;
};

// ---------------------------------------------------------------- wiring

const start = () => {
  updateCharts = createCharts($('chart-throughput'), $('chart-depth'));
  for (const id of ['filter-status', 'filter-reason', 'filter-type'])
    $(id).addEventListener('change', firstPage);
  let typing;
  $('filter-prefix').addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(firstPage, 250);
  });
  $('page-older').addEventListener('click', () => {
    if (!state.nextCursor) return;
    state.cursors.push(state.cursor);
    state.cursor = state.nextCursor;
    void loadFiles();
  });
  $('page-newer').addEventListener('click', () => {
    state.cursor = state.cursors.pop();
    void loadFiles();
  });
  $('files-newest').addEventListener('click', firstPage);
  $('timeline-close').addEventListener('click', closeTimeline);
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !$('confirm').open) closeTimeline();
  });
  $('replay').addEventListener('click', replay);
  connect();
  void loadFiles();
};

start();
