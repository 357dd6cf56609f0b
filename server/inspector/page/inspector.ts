import type { StoreView } from '../api-types.ts';
import { loadEngine, RvfBytes } from './rvf-browser.ts';

/**
 * The web inspector page: the stores under the server's root, a picture of
 * each store's segments, commits and lineage, k-NN over the store's bytes on
 * WASM in this page, and read-only SQL, Cypher and SPARQL on the server.
 *
 * The page loads without the token (a navigation cannot carry one); every API
 * call sends the token kept in sessionStorage, and a 401 asks for it.
 */

// ------------------------------------------------------------ API shapes (server/inspector/routes.ts)


type SegmentInfo = StoreView['segments'][number];

interface QueryRows {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

interface KnnResult {
  id: number | string;
  distance: number;
  metadata: unknown;
}

declare global {
  interface Window {
    /** The last k-NN answer, for tests and the console. */
    __rvfLastResult?: { store: string; epoch: number; k: number; results: KnnResult[] };
    /** The last server query answer (or error). */
    __rvfLastQuery?: unknown;
    /** The page's copy of the selected store, as base64 (what "Download .rvf" saves). */
    __rvfExport?: () => string;
  }
}

// ------------------------------------------------------------ state

const TOKEN_KEY = 'rvf-inspector-token';
const SEGMENT_TYPES = ['vec', 'meta', 'journal', 'manifest', 'profile'] as const;
const QUERY_EXAMPLES: Record<string, string> = {
  sql: "SELECT id, metadata FROM vectors ORDER BY id LIMIT 20",
  cypher: 'MATCH (n) RETURN n LIMIT 20',
  sparql: 'SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20',
};

const state: {
  stores: StoreView[];
  selected: string | undefined;
  /** The page's copy of one store: its bytes opened on the engine, maybe changed here. */
  copy: { store: string; serverEpoch: number; rvf: RvfBytes; changed: boolean } | undefined;
} = { stores: [], selected: undefined, copy: undefined };

class AuthNeeded extends Error {}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
};

function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v);
  }
  el.append(...children);
  return el;
}

// ------------------------------------------------------------ API

function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const t = token();
  if (t) headers.set('authorization', `Bearer ${t}`);
  const res = await fetch(path, { ...init, headers, cache: 'no-store', credentials: 'omit' });
  if (res.status === 401) {
    askForToken(t ? 'That token was not accepted. Check the value the server was started with.' : '');
    throw new AuthNeeded('the server needs its token');
  }
  return res;
}

/** The message of an API failure: `{error: {code, message}}` (inspector) or `{error: {message}}` (the HTTP gates). */
async function failureOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    const code = typeof body.error?.code === 'string' ? `${body.error.code}: ` : '';
    if (typeof body.error?.message === 'string') return `${code}${body.error.message}`;
  } catch {
    // not JSON: show it as it is
  }
  return `HTTP ${res.status}: ${text.slice(0, 300)}`;
}

// ------------------------------------------------------------ token

function askForToken(message: string): void {
  sessionStorage.removeItem(TOKEN_KEY);
  $('token-panel').hidden = false;
  $('main').hidden = true;
  $('token-message').textContent = message;
  $('token-forget').hidden = true;
  document.body.dataset.state = 'token';
  $<HTMLInputElement>('token-input').focus();
}

function wireToken(): void {
  $<HTMLFormElement>('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $<HTMLInputElement>('token-input').value.trim();
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    $<HTMLInputElement>('token-input').value = '';
    void loadStores();
  });
  $('token-forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
}

// ------------------------------------------------------------ stores

async function loadStores(): Promise<void> {
  showGlobalError('');
  let data: { write: boolean; stores: StoreView[] };
  try {
    const res = await api('/inspector/api/stores');
    if (!res.ok) throw new Error(await failureOf(res));
    data = (await res.json()) as { write: boolean; stores: StoreView[] };
  } catch (err) {
    if (!(err instanceof AuthNeeded)) showGlobalError(`Could not read the stores: ${messageOf(err)}`);
    return;
  }
  $('token-panel').hidden = true;
  $('token-forget').hidden = token() === null;
  $('main').hidden = false;
  $('server-mode').textContent = data.write ? 'server: read-write (this page only reads)' : 'server: read-only';
  state.stores = data.stores;
  if (state.selected === undefined || !data.stores.some((s) => s.name === state.selected)) state.selected = data.stores.find((s) => !s.error)?.name;
  renderStores();
  renderLineage();
  renderDetail();
  document.body.dataset.state = 'ready';
}

function renderStores(): void {
  const body = $('stores-table').querySelector('tbody') as HTMLTableSectionElement;
  body.replaceChildren();
  $('stores-empty').hidden = state.stores.length > 0;
  $('root-note').textContent = `(${state.stores.length})`;
  for (const s of state.stores) {
    const st = s.status;
    const tr = h(
      'tr',
      { 'data-testid': 'store-row', 'data-store': s.name, tabindex: '0', title: s.error ? `${s.error.code}: ${s.error.message}` : `show ${s.name}` },
      h('td', { text: s.name }),
      h('td', { class: 'num', text: fmtInt(st.totalVectors) }),
      h('td', { class: 'num', text: String(st.dimensions) }),
      h('td', { text: st.metric }),
      h('td', { class: 'num', text: String(st.epoch) }),
      h('td', { class: 'num', text: fmtBytes(st.fileSizeBytes) }),
      h('td', { class: 'num', text: s.error ? s.error.code : fmtPercent(st.deadSpaceRatio) }),
      h('td', { class: 'num', text: s.error ? '' : String(s.segments.length) }),
    );
    if (s.name === state.selected) tr.classList.add('selected');
    if (s.error) tr.classList.add('broken');
    const pick = (): void => select(s.name);
    tr.addEventListener('click', pick);
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') pick();
    });
    body.append(tr);
  }
}

function select(name: string): void {
  state.selected = name;
  renderStores();
  renderLineage();
  renderDetail();
}

function selectedStore(): StoreView | undefined {
  return state.stores.find((s) => s.name === state.selected);
}

// ------------------------------------------------------------ lineage

function renderLineage(): void {
  const box = $('lineage-tree');
  box.replaceChildren();
  const byId = new Map(state.stores.filter((s) => s.status.fileId).map((s) => [s.status.fileId, s]));
  const byName = new Map(state.stores.map((s) => [s.name, s]));
  const children = new Map<string, StoreView[]>();
  const roots: StoreView[] = [];
  const ghosts = new Map<string, { label: string; kids: StoreView[] }>();
  for (const s of state.stores) {
    const l = s.status.lineage;
    if (!l) {
      roots.push(s);
      continue;
    }
    // The parent by file id; a parent compacted or exported keeps its id, a parent copied elsewhere may only match by name.
    const parent = byId.get(l.parentFileId) ?? (l.parentStore ? byName.get(l.parentStore) : undefined);
    if (parent && parent !== s) {
      const list = children.get(parent.name) ?? [];
      list.push(s);
      children.set(parent.name, list);
    } else {
      const key = l.parentFileId || l.parentName;
      const ghost = ghosts.get(key) ?? { label: `${l.parentName || `file ${l.parentFileId.slice(0, 8)}`} (not under the root)`, kids: [] };
      ghost.kids.push(s);
      ghosts.set(key, ghost);
    }
  }
  const anyLineage = state.stores.some((s) => s.status.lineage);
  if (!anyLineage) {
    box.append(h('p', { class: 'muted', text: 'No derived stores: each store here is a root. rvf_derive makes a child that records its parent.' }));
    return;
  }
  const seen = new Set<string>();
  const nodeOf = (s: StoreView): HTMLLIElement => {
    seen.add(s.name);
    const l = s.status.lineage;
    const label = h('span', { class: `node${s.name === state.selected ? ' selected' : ''}`, 'data-testid': 'lineage-node', 'data-store': s.name, text: s.name });
    label.addEventListener('click', () => select(s.name));
    const li = h('li', {}, label);
    if (l) li.append(h('span', { class: 'muted', text: ` derived at parent epoch ${l.parentEpoch >= 0 ? l.parentEpoch : '?'}, depth ${l.depth}` }));
    const kids = (children.get(s.name) ?? []).filter((k) => !seen.has(k.name));
    if (kids.length > 0) li.append(h('ul', { class: 'tree' }, ...kids.map(nodeOf)));
    return li;
  };
  const top = h('ul', { class: 'tree' });
  for (const r of roots) top.append(nodeOf(r));
  for (const g of ghosts.values()) {
    top.append(h('li', {}, h('span', { class: 'node ghost', 'data-testid': 'lineage-ghost', text: g.label }), h('ul', { class: 'tree' }, ...g.kids.map(nodeOf))));
  }
  box.append(top);
}

// ------------------------------------------------------------ one store: facts, segments, commits

function renderDetail(): void {
  const s = selectedStore();
  $('detail').hidden = !s;
  $('knn-panel').hidden = !s || s.error !== undefined;
  $('query-panel').hidden = !s || s.error !== undefined;
  if (!s) return;
  const st = s.status;
  $('detail-name').textContent = s.name;
  const facts: [string, string][] = [
    ['vectors', fmtInt(st.totalVectors)],
    ['dimension', String(st.dimensions)],
    ['metric', st.metric],
    ['epoch', String(st.epoch)],
    ['file size', `${fmtBytes(st.fileSizeBytes)} (${fmtInt(st.fileSizeBytes)} bytes)`],
    ['dead space', fmtPercent(st.deadSpaceRatio)],
    ['segments', String(s.segments.length)],
    ['file id', st.fileId || '?'],
  ];
  if (st.embedder) facts.push(['embedder', `${st.embedder.name} (${st.embedder.dimensions})`]);
  facts.push(['index', st.index.kind === 'none' ? `none (${st.index.setting})` : `${st.index.kind} · ${fmtInt(st.index.indexed)} indexed · ${fmtInt(st.index.pending)} pending`]);
  if (st.lineage) facts.push(['parent', `${st.lineage.parentStore ?? st.lineage.parentName ?? st.lineage.parentFileId} @ epoch ${st.lineage.parentEpoch}`]);
  if (s.error) facts.push(['cannot open', `${s.error.code}: ${s.error.message}`]);
  if (s.replication) {
    const r = s.replication;
    const where = r.epoch === null ? 'not yet in Postgres' : `Postgres at epoch ${r.epoch}, ${r.lag === 0 ? 'current' : `${r.lag} commit(s) behind`}`;
    facts.push(['replication', `${r.target} as ${r.name}: ${where}${r.lastError ? ` (last error: ${r.lastError})` : ''}`]);
  }
  $('detail-facts').replaceChildren(...facts.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
  renderSegments(s);
  renderHistory(s);
  $('knn-dim').textContent = String(st.dimensions);
  $<HTMLInputElement>('query-text').placeholder = QUERY_EXAMPLES[$<HTMLSelectElement>('query-lang').value] ?? '';
  renderCopyStatus();
}

function typeClass(type: string): string {
  return (SEGMENT_TYPES as readonly string[]).includes(type) ? `seg-${type}` : 'seg-other';
}

/** Rows in a VEC payload (`dim u16 | count u32 | rows of 8 + 4 dim bytes`), ids in one of our JOURNAL payloads. */
function vecRows(seg: SegmentInfo, dim: number): number {
  return Math.max(0, Math.round((seg.payloadLength - 6) / (8 + 4 * dim)));
}
function journalIds(seg: SegmentInfo): number {
  return Math.max(0, Math.floor((seg.payloadLength - 16) / 12));
}

/** The epoch the file was last rewritten at (compaction or export keep one commit for everything before); 0 if never. */
function rewriteEpoch(s: StoreView): number {
  return s.segments[0]?.epoch ?? 0;
}

function renderSegments(s: StoreView): void {
  const chart = $('segments-chart');
  const dim = s.status.dimensions;
  const rewritten = rewriteEpoch(s);
  chart.replaceChildren(
    ...s.segments.map((seg) => {
      let what = '';
      if (seg.type === 'vec') what = `, ${fmtInt(vecRows(seg, dim))} rows`;
      if (seg.type === 'journal') what = `, deletes ${fmtInt(journalIds(seg))} ids`;
      const bar = h('div', {
        class: `seg ${typeClass(seg.type)}${seg.epoch === rewritten && rewritten > 0 ? ' compacted' : ''}`,
        'data-testid': 'segment-bar',
        'data-type': seg.type,
        'data-epoch': String(seg.epoch),
        title: `#${seg.id} ${seg.type.toUpperCase()} at byte ${fmtInt(seg.offset)}: ${fmtInt(seg.payloadLength)} payload bytes, epoch ${seg.epoch}${what}`,
      });
      // CSSOM, not a style attribute: the page's CSP allows no inline styles.
      bar.style.flexGrow = String(Math.max(1, seg.payloadLength));
      return bar;
    }),
  );
  const present = new Set(s.segments.map((seg) => typeClass(seg.type)));
  const legend = [...SEGMENT_TYPES.map((t) => [`seg-${t}`, t.toUpperCase()] as const), ['seg-other', 'other'] as const].filter(([c]) => present.has(c));
  $('segments-legend').replaceChildren(
    ...legend.map(([c, label]) => h('span', {}, h('span', { class: `swatch ${c}` }), label)),
    ...(rewritten > 0 ? [h('span', {}, h('span', { class: 'swatch seg-vec compacted' }), `rewritten at epoch ${rewritten}`)] : []),
  );
  // Rows written to VEC segments vs rows still live: the difference was deleted or replaced.
  const written = s.segments.filter((seg) => seg.type === 'vec').reduce((n, seg) => n + vecRows(seg, dim), 0);
  const live = s.status.totalVectors;
  const dead = Math.max(0, written - live);
  const bar = h('div', { class: 'rows-bar', 'data-testid': 'rows-bar' });
  if (written > 0) {
    const l = h('div', { class: 'live', title: `${fmtInt(live)} live rows` });
    l.style.flexGrow = String(live);
    const d = h('div', { class: 'dead', title: `${fmtInt(dead)} deleted or replaced rows` });
    d.style.flexGrow = String(dead);
    bar.append(l, d);
  }
  $('rows-summary').replaceChildren(
    h('span', { 'data-testid': 'rows-text', text: `rows written ${fmtInt(written)} · live ${fmtInt(live)} · deleted or replaced ${fmtInt(dead)} · dead space ${fmtPercent(s.status.deadSpaceRatio)}` }),
    bar,
  );
}

function renderHistory(s: StoreView): void {
  const byEpoch = new Map<number, SegmentInfo[]>();
  for (const seg of s.segments) byEpoch.set(seg.epoch, [...(byEpoch.get(seg.epoch) ?? []), seg]);
  const rewritten = rewriteEpoch(s);
  const dim = s.status.dimensions;
  $('compaction-note').textContent =
    rewritten > 0
      ? `The file was rewritten at epoch ${rewritten} (compaction or export): commits 0-${rewritten} are folded into that one commit, and deleted rows were dropped.`
      : s.status.lineage
        ? 'A derived store: its first commit holds the live rows of its parent.'
        : 'Never compacted: every commit since the store was created is still in the file.';
  const rows = [...byEpoch.entries()].sort((a, b) => b[0] - a[0]).map(([epoch, segs]) => {
    const types = segs.map((x) => x.type);
    const vec = segs.filter((x) => x.type === 'vec').reduce((n, x) => n + vecRows(x, dim), 0);
    const del = segs.filter((x) => x.type === 'journal').reduce((n, x) => n + journalIds(x), 0);
    const what: string[] = [];
    if (types.includes('profile')) what.push(epoch === 0 ? (s.status.lineage ? 'derived' : 'created') : 'rewritten (compaction)');
    if (vec > 0) what.push(`${fmtInt(vec)} rows${epoch === rewritten && rewritten > 0 ? ' kept' : ' added or replaced'}`);
    if (del > 0) what.push(`${fmtInt(del)} ids deleted`);
    if (types.includes('meta') && vec === 0) what.push('query-language write (SQL, Cypher or SPARQL rows)');
    const bytes = segs.reduce((n, x) => n + 64 + x.payloadLength, 0);
    return h(
      'tr',
      { 'data-testid': 'history-row', 'data-epoch': String(epoch) },
      h('td', { class: 'num', text: String(epoch) }),
      h('td', { text: what.join(', ') || 'commit' }),
      h('td', { text: types.map((t) => t.toUpperCase()).join(' + ') }),
      h('td', { class: 'num', text: fmtBytes(bytes) }),
    );
  });
  ($('history-table').querySelector('tbody') as HTMLTableSectionElement).replaceChildren(...rows);
}

// ------------------------------------------------------------ k-NN in the page

let engineReady: Promise<unknown> | undefined;

/** The page's copy of `name`: fetched from the server when missing or behind, kept while changed here. */
async function copyOf(s: StoreView): Promise<NonNullable<typeof state.copy>> {
  const copy = state.copy;
  if (copy && copy.store === s.name && (copy.changed || copy.serverEpoch === s.status.epoch)) return copy;
  engineReady ??= loadEngine();
  await engineReady;
  for (let attempt = 0; ; attempt++) {
    setText('knn-status', `fetching ${s.name}…`);
    const res = await api(`/inspector/api/stores/${encodeURIComponent(s.name)}/bytes`);
    if (!res.ok) throw new Error(await failureOf(res));
    const served = Number(res.headers.get('x-rvf-epoch'));
    const bytes = new Uint8Array(await res.arrayBuffer());
    setText('knn-status', `opening ${fmtBytes(bytes.length)}…`);
    const rvf = await RvfBytes.open(bytes, { metric: s.status.metric as 'cosine' | 'l2' | 'dotproduct' });
    const epoch = rvf.status().epoch;
    // The server names the epoch it sent; if the bytes say otherwise the file moved while it was read.
    if (Number.isFinite(served) && epoch !== served && attempt < 2) {
      rvf.close?.();
      continue;
    }
    state.copy?.rvf.close?.();
    state.copy = { store: s.name, serverEpoch: epoch, rvf, changed: false };
    renderCopyStatus();
    return state.copy;
  }
}

function parseVector(text: string, dim: number): number[] {
  const t = text.trim();
  let values: unknown;
  if (t.startsWith('[')) {
    try {
      values = JSON.parse(t);
    } catch {
      throw new Error('the vector is not a valid JSON array.');
    }
  } else {
    values = t.split(/[\s,;]+/).filter(Boolean).map(Number);
  }
  if (!Array.isArray(values) || values.some((v) => typeof v !== 'number' || !Number.isFinite(v))) throw new Error('the vector must be numbers only.');
  if (values.length !== dim) throw new Error(`the vector has ${values.length} numbers; this store's dimension is ${dim}.`);
  return values as number[];
}

async function runKnn(): Promise<void> {
  const s = selectedStore();
  if (!s) return;
  setText('knn-error', '');
  const started = performance.now();
  try {
    const vector = parseVector($<HTMLTextAreaElement>('knn-vector').value, s.status.dimensions);
    const k = Number($<HTMLInputElement>('knn-k').value);
    if (!Number.isInteger(k) || k < 1) throw new Error('k must be a whole number, 1 or more.');
    const copy = await copyOf(s);
    const t0 = performance.now();
    const results = copy.rvf.query(vector, k) as KnnResult[];
    const ms = performance.now() - t0;
    window.__rvfLastResult = { store: s.name, epoch: copy.rvf.status().epoch, k, results };
    renderKnn(results);
    setText('knn-status', `${results.length} results in ${ms.toFixed(1)} ms on WASM (epoch ${copy.rvf.status().epoch}${copy.changed ? ', changed in this page' : ''}; ${(performance.now() - started).toFixed(0)} ms in all)`);
    document.body.dataset.knn = String((Number(document.body.dataset.knn) || 0) + 1);
  } catch (err) {
    if (!(err instanceof AuthNeeded)) setText('knn-error', messageOf(err));
    setText('knn-status', '');
  }
}

function renderKnn(results: KnnResult[]): void {
  const body = $('knn-results').querySelector('tbody') as HTMLTableSectionElement;
  body.replaceChildren(
    ...results.map((r, i) =>
      h(
        'tr',
        { 'data-testid': 'knn-row', 'data-id': String(r.id), 'data-distance': String(r.distance) },
        h('td', { class: 'num', text: String(i + 1) }),
        h('td', { text: String(r.id) }),
        h('td', { class: 'num', title: String(r.distance), text: r.distance.toPrecision(7) }),
        h('td', { class: 'meta', text: r.metadata === null || r.metadata === undefined ? '' : JSON.stringify(r.metadata) }),
      ),
    ),
  );
}

function randomVector(dim: number): number[] {
  // Normal deviates (Box-Muller), scaled to unit length: a direction with no favourite axis.
  const v = Array.from({ length: dim }, () => Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random()));
  const n = Math.hypot(...v) || 1;
  return v.map((x) => Number((x / n).toFixed(6)));
}

// ------------------------------------------------------------ the page's copy: add, delete, export

function renderCopyStatus(): void {
  const copy = state.copy;
  const s = selectedStore();
  if (!copy || !s || copy.store !== s.name) {
    setText('local-status', 'The copy is fetched from the server on the first search.');
    return;
  }
  const st = copy.rvf.status();
  setText('local-status', `Copy of ${copy.store}: epoch ${st.epoch}, ${fmtInt(st.totalVectors)} vectors, ${fmtBytes(st.fileSizeBytes)}${copy.changed ? ' (changed in this page; the server still has epoch ' + copy.serverEpoch + ')' : ''}.`);
}

async function localChange(change: (rvf: RvfBytes) => void): Promise<void> {
  const s = selectedStore();
  if (!s) return;
  setText('local-error', '');
  try {
    const copy = await copyOf(s);
    change(copy.rvf);
    copy.changed = true;
    renderCopyStatus();
    setText('knn-status', 'the copy changed; search again to see it.');
  } catch (err) {
    if (!(err instanceof AuthNeeded)) setText('local-error', messageOf(err));
  }
}

function exportCopy(): string {
  const copy = state.copy;
  if (!copy) throw new Error('no copy yet: run a search first.');
  const bytes = copy.rvf.bytes();
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function download(): void {
  const copy = state.copy;
  if (!copy) {
    setText('local-error', 'no copy yet: run a search first.');
    return;
  }
  const bytes = copy.rvf.bytes();
  const blob = new Blob([bytes.slice().buffer as ArrayBuffer], { type: 'application/octet-stream' });
  const a = h('a', { href: URL.createObjectURL(blob), download: `${copy.store}${copy.changed ? '-edited' : ''}.rvf` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

function wireKnn(): void {
  $<HTMLFormElement>('knn-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void runKnn();
  });
  $('knn-random').addEventListener('click', () => {
    const s = selectedStore();
    if (s) $<HTMLTextAreaElement>('knn-vector').value = randomVector(s.status.dimensions).join(', ');
  });
  $('local-add').addEventListener('click', () =>
    void localChange((rvf) => {
      let entries: unknown;
      try {
        entries = JSON.parse($<HTMLTextAreaElement>('local-entries').value);
      } catch {
        throw new Error('the entries are not valid JSON; give an array of {"id", "vector", "metadata"}.');
      }
      if (!Array.isArray(entries)) throw new Error('give an array of {"id", "vector", "metadata"}.');
      rvf.add(entries as Parameters<RvfBytes['add']>[0]);
    }),
  );
  $('local-delete').addEventListener('click', () =>
    void localChange((rvf) => {
      const ids = $<HTMLInputElement>('local-delete-ids').value.split(/[\s,;]+/).filter(Boolean);
      if (ids.length === 0) throw new Error('give the ids to delete, separated by commas.');
      rvf.delete(ids.map((id) => (/^\d{1,15}$/.test(id) ? Number(id) : id)) as Parameters<RvfBytes['delete']>[0]);
    }),
  );
  $('local-download').addEventListener('click', download);
  $('local-reset').addEventListener('click', () => {
    state.copy?.rvf.close?.();
    state.copy = undefined;
    renderCopyStatus();
  });
  window.__rvfExport = exportCopy;
}

// ------------------------------------------------------------ server queries

function wireQuery(): void {
  const lang = $<HTMLSelectElement>('query-lang');
  const hint = (): void => {
    $<HTMLTextAreaElement>('query-text').placeholder = QUERY_EXAMPLES[lang.value] ?? '';
    setText('query-hint', lang.value === 'sql' ? 'tables: vectors(id, metadata, epoch), graph_*, rdf_quads; rvf_knn(vector_json, k)' : lang.value === 'cypher' ? 'MATCH … RETURN; CALL rvf.knn($vector, 10)' : 'SELECT / ASK / CONSTRUCT over the store triples');
  };
  lang.addEventListener('change', hint);
  hint();
  $<HTMLFormElement>('query-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void runServerQuery();
  });
}

async function runServerQuery(): Promise<void> {
  const s = selectedStore();
  if (!s) return;
  setText('query-error', '');
  setText('query-status', 'running…');
  const table = $('query-results');
  try {
    const paramsText = $<HTMLInputElement>('query-params').value.trim();
    let params: unknown;
    if (paramsText) {
      try {
        params = JSON.parse(paramsText);
      } catch {
        throw new Error('params must be JSON: an array or an object.');
      }
    }
    const started = performance.now();
    const res = await api('/inspector/api/query', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ store: s.name, lang: $<HTMLSelectElement>('query-lang').value, query: $<HTMLTextAreaElement>('query-text').value, params }),
    });
    if (!res.ok) {
      const message = await failureOf(res);
      window.__rvfLastQuery = { error: message };
      throw new Error(message);
    }
    const rows = (await res.json()) as QueryRows;
    window.__rvfLastQuery = rows;
    (table.querySelector('thead') as HTMLTableSectionElement).replaceChildren(h('tr', {}, ...rows.columns.map((c) => h('th', { text: c }))));
    (table.querySelector('tbody') as HTMLTableSectionElement).replaceChildren(
      ...rows.rows.map((r) => h('tr', { 'data-testid': 'query-row' }, ...r.map((v) => h('td', { class: 'meta', text: cellText(v) })))),
    );
    setText('query-status', `${rows.rows.length} rows${rows.truncated ? ' (truncated)' : ''} in ${(performance.now() - started).toFixed(0)} ms`);
  } catch (err) {
    (table.querySelector('thead') as HTMLTableSectionElement).replaceChildren();
    (table.querySelector('tbody') as HTMLTableSectionElement).replaceChildren();
    setText('query-status', '');
    if (!(err instanceof AuthNeeded)) setText('query-error', messageOf(err));
  }
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

// ------------------------------------------------------------ helpers

function setText(id: string, text: string): void {
  $(id).textContent = text;
}

function showGlobalError(message: string): void {
  const el = $('global-error');
  el.textContent = message;
  el.hidden = message === '';
}

function messageOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.startsWith(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

function fmtPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.001 ? 2 : 1)}%`;
}

// ------------------------------------------------------------ start

wireToken();
wireKnn();
wireQuery();
$('refresh').addEventListener('click', () => void loadStores());
void loadStores();
