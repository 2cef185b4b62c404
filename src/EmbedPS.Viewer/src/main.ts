// Entry point: loads what the first frame needs, draws it, wires the UI and the URL, then loads the rest of the data
// (ids, the other columns, then the search index and the other layouts), and exposes window.embedAtlas, the hooks
// that scripts and browser tests drive the atlas with.
import { Atlas, FilterSpec, preferredTheme } from './atlas';
import { AtlasData } from './atlas-data';
import { PointRenderer } from './renderer';
import { AtlasUi } from './ui';
import { applyHash, currentState, hashNeeds, toHash } from './state';
import { byId } from './dom';
import { loadData } from './data';

interface AtlasHooks {
  /** Resolves after the first frame (the map drawn; the panels may still be filling). */
  ready: Promise<void>;
  /** Resolves when the rest of the data is in: ids and every column, so the filters, the details and the hooks answer. */
  loaded: Promise<void>;
  pointCount(): number;
  visibleCount(): number;
  search(text: string): string[];
  /** Resolves when search answers from the exporter's index (loaded after the first frame). */
  searchReady(): Promise<void>;
  /** The plain scan over every text, the reference the index must agree with (tests). */
  searchNaive(text: string): string[];
  /** performance.now() of the first frame, of the rest of the data being in and of the search index being ready (null until then). */
  timings(): { firstFrame: number; loaded: number | null; searchReady: number | null };
  /** Resolves when the details panel shows the selected entity's neighbours (or at once without a selection). */
  detailsReady(): Promise<void>;
  select(id: string | null): boolean;
  setColor(field: string | null): void;
  setFilter(field: string, spec: FilterSpec | string[] | null): void;
  setLayout(name: string): Promise<void>;
  highlight(ids: string[] | null): { matched: number; missing: string[] };
  state(): ReturnType<typeof currentState>;
  setMode(mode: 'map' | 'galaxy'): Promise<void>;
  screenPosition(id: string): [number, number] | null;
  transitionProgress(): number;
  renderFrame(): number;
  movingBudget(): number;
  /** Where a layout places an entity (null while that layout is still loading: it loads after the search index, or on setLayout). */
  layoutPosition(id: string, layout: string): [number, number] | null;
  pick(x: number, y: number): string | null;
  panBy(dx: number, dy: number): void;
  zoomBy(factor: number): void;
  worldPosition(x: number, y: number): [number, number];
  /** Lasso/box: selects the visible points drawn inside a polygon (CSS pixels of the map); returns how many are selected. */
  selectRegion(points: [number, number][], mode?: 'replace' | 'add' | 'subtract'): number;
  /** The ids of the group selection, in row order. */
  selection(): string[];
  /** The CSV the "Download CSV" button would save. */
  exportSelection(): string;
  /** The labels drawn in the last frame, in CSS pixels of the map. */
  labels(): { text: string; x: number; y: number }[];
  /** Bin counts of a number field over the points passing the other filters (40 equal bins between its min and max; of the log on a log-scale field). */
  histogram(field: string): number[];
  /** Counts per category of a field over the points passing the other filters. */
  categoryCounts(field: string): number[];
  /** A point's radius on screen now (CSS pixels), and its place in the draw order (later is on top). */
  pointRadius(id: string): number;
  drawRank(id: string): number;
  /** The part of the map no panel covers: [left, top, right, bottom] in CSS pixels of the map. */
  freeRect(): [number, number, number, number];
  setDensity(on: boolean): void;
  isolate(ids: string[] | null): void;
}

declare global {
  interface Window {
    embedAtlas: AtlasHooks;
  }
}

let resolveReady: () => void = () => {};
let rejectReady: (e: unknown) => void = () => {};
const ready = new Promise<void>((resolve, reject) => {
  resolveReady = resolve;
  rejectReady = reject;
});
let resolveLoaded: () => void = () => {};
let rejectLoaded: (e: unknown) => void = () => {};
const loaded = new Promise<void>((resolve, reject) => {
  resolveLoaded = resolve;
  rejectLoaded = reject;
});

/** Runs work when the page is idle (after the frame that is being drawn). */
function whenIdle(work: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(work, { timeout: 1000 });
  else setTimeout(work, 50);
}

function status(text: string): void {
  byId('status').textContent = text;
}

async function showFallback(message: string): Promise<void> {
  const box = byId('nogl');
  box.hidden = false;
  byId('nogl-message').textContent = message;
  try {
    const meta = (await loadData('meta')) as { preview: string | null; title: string; theme: 'light' | 'dark' };
    byId('title').textContent = meta.title;
    byId('app').dataset.theme = preferredTheme() ?? meta.theme;
    if (meta.preview) {
      const img = byId('nogl-image') as HTMLImageElement;
      img.src = meta.preview;
      img.hidden = false;
    }
  } catch {
    // The message alone has to do.
  }
}

async function noWebGl(): Promise<void> {
  byId('app').classList.add('nogl');
  await showFallback('This browser or machine has no WebGL2, so the interactive atlas cannot run. Below is a still image of the map.');
  rejectReady(new Error('WebGL2 unavailable'));
  rejectLoaded(new Error('WebGL2 unavailable'));
}

async function start(): Promise<void> {
  const canvas = byId('gl') as HTMLCanvasElement;
  const overlay = byId('overlay') as HTMLCanvasElement;
  const started = performance.now();
  status('Loading the atlas description');
  let data: AtlasData;
  try {
    data = await AtlasData.open();
  } catch (error) {
    if (!PointRenderer.create(canvas)) return noWebGl();
    throw error;
  }
  status(`Loading ${data.count.toLocaleString('en-US')} points`);
  // The first frame needs one layout and the colour and size fields; a link that names entities or filters needs
  // everything before it can show its view. The rest loads after the first frame.
  const needs = hashNeeds(data.meta, location.hash);
  const firstData = Promise.all([data.first([needs.layout], [needs.color, data.meta.color, data.meta.size]), needs.all ? data.all() : Promise.resolve()]);
  firstData.catch(() => undefined); // Awaited below, or moot without WebGL2.
  // The map's own WebGL2 context and shaders (no throwaway probe), made while those files stream in: in a software
  // renderer this takes a while. Without WebGL2 the page shows the still image instead.
  const renderer = PointRenderer.create(canvas);
  if (!renderer) return noWebGl();
  renderer.resize();
  const glReady = performance.now();
  await firstData;
  const dataIn = performance.now();
  const atlas = Atlas.create(data, renderer, overlay, needs.layout);
  const ui = new AtlasUi(atlas);
  const initialTheme = atlas.view.theme;
  ui.build();
  if (location.hash.length > 1) {
    await applyHash(atlas, location.hash);
    ui.refresh();
  }
  // With no camera in the link, frame the points inside the part of the map the panels leave free.
  if (!new URLSearchParams(location.hash.slice(1)).has('camera')) atlas.fitCamera();
  let writing = 0;
  let lastHash = '';
  const writeHash = () => {
    clearTimeout(writing);
    writing = window.setTimeout(() => {
      const hash = toHash(atlas, initialTheme);
      if (hash !== lastHash) {
        lastHash = hash;
        history.replaceState(null, '', '#' + hash);
      }
    }, 150);
  };
  atlas.onChange(writeHash);
  window.addEventListener('atlas-state', writeHash);
  window.addEventListener('hashchange', () => {
    if (location.hash.slice(1) !== lastHash) void applyHash(atlas, location.hash).then(() => ui.refresh());
  });
  const rowOf = (id: string) => data.rowOfId(String(id));
  let loadedAt: number | null = null;
  window.embedAtlas = {
    ready,
    loaded,
    pointCount: () => atlas.count,
    visibleCount: () => atlas.visibleCount(),
    search: (text) => data.searchEngine().find(text, 100).map((row) => data.ids[row]),
    searchReady: () => Promise.all([data.all(), data.loadSearch()]).then(() => undefined),
    searchNaive: (text) => data.naiveSearch().find(text, 100).map((row) => data.ids[row]),
    detailsReady: () => ui.detailsReady(),
    timings: () => ({ firstFrame, loaded: loadedAt, searchReady: data.searchReadyAt }),
    select: (id) => {
      const row = id === null ? -1 : rowOf(id);
      ui.select(row, row >= 0);
      return row >= 0 || id === null;
    },
    setColor: (field) => atlas.view.setColor(field),
    setFilter: (field, spec) => atlas.view.setFilter(field, spec),
    setLayout: (name) => {
      const index = atlas.meta.layouts.findIndex((l) => l.name === name);
      if (index < 0) return Promise.reject(new Error(`No layout '${name}'. Layouts: ${atlas.meta.layouts.map((l) => l.name).join(', ')}`));
      return atlas.setLayout(index);
    },
    highlight: (ids) => atlas.setHighlight(ids),
    state: () => ({ ...currentState(atlas), visible: atlas.visibleCount() } as ReturnType<typeof currentState>),
    setMode: (mode) => atlas.setMode(mode === 'galaxy' ? '3d' : '2d'),
    screenPosition: (id) => {
      const row = rowOf(id);
      return row < 0 ? null : atlas.screenPosition(row);
    },
    transitionProgress: () => atlas.transitionProgress(),
    renderFrame: () => atlas.renderNow(),
    movingBudget: () => atlas.movingBudget,
    pick: (x, y) => {
      const row = atlas.pick(x, y);
      return row < 0 ? null : data.ids[row];
    },
    worldPosition: (x, y) => atlas.screenToWorld(x, y),
    panBy: (dx, dy) => atlas.pan(dx, dy),
    zoomBy: (factor) => {
      const c = canvas.getBoundingClientRect();
      atlas.zoomAt(factor, c.width / 2, c.height / 2);
    },
    selectRegion: (points, mode) => ui.input.selectRegion(points, mode ?? 'replace'),
    selection: () => atlas.view.selectedRows().map((r) => data.ids[r]),
    exportSelection: () => ui.selectionCsv(),
    labels: () => atlas.drawnLabels.map((l) => ({ ...l })),
    histogram: (field) => atlas.view.histogram(field),
    categoryCounts: (field) => atlas.view.categoryCounts(field),
    pointRadius: (id) => atlas.screenRadius(rowOf(id)),
    drawRank: (id) => atlas.rank[rowOf(id)],
    freeRect: () => {
      const r = atlas.freeRect();
      return [r.left, r.top, r.right, r.bottom];
    },
    setDensity: (on) => atlas.view.setDensity(on),
    isolate: (ids) => {
      if (!ids) return atlas.view.setIsolated(null);
      const rows = new Uint8Array(atlas.count);
      for (const id of ids) if (rowOf(id) >= 0) rows[rowOf(id)] = 1;
      atlas.view.setIsolated(rows);
    },
    layoutPosition: (id, layout) => {
      const row = rowOf(id);
      const index = atlas.meta.layouts.findIndex((l) => l.name === layout);
      const positions = index < 0 ? null : data.layout(index);
      if (row < 0 || !positions) return null;
      return [positions[2 * row], positions[2 * row + 1]];
    },
  };
  // The first frame, timed to the GPU's finish: it sizes the level of detail used while the view moves.
  const prepared = performance.now();
  const drawMs = atlas.renderNow();
  atlas.calibrate(drawMs);
  const firstFrame = performance.now();
  requestAnimationFrame(() => {
    status('');
    byId('app').classList.add('loaded');
    const ms = (a: number, b: number) => Math.round(b - a);
    console.info(`EmbedPS atlas: ${atlas.count} points drawn in ${ms(started, firstFrame)} ms (page ${Math.round(started)} ms before; WebGL2 ready at ${ms(started, glReady)} ms, the first frame's data at ${ms(started, dataIn)} ms, then preparation ${ms(dataIn, prepared)} ms and the frame ${Math.round(drawMs)} ms)`);
    resolveReady();
    // After the first frame, so that they never delay the map: the ids and the other columns (labels, filters,
    // details), then the search index and the other layouts, and in idle time the id index.
    setTimeout(() => {
      data.all().then(() => {
        loadedAt = performance.now();
        console.info(`EmbedPS atlas: ids and every field in ${Math.round(loadedAt - firstFrame)} ms after the first frame`);
        resolveLoaded();
        const search = data.loadSearch().catch((error: unknown) => status(`Search index: ${error instanceof Error ? error.message : String(error)}`));
        whenIdle(() => data.prepareIdIndex());
        // The other layouts last (the layout menu loads one itself if it is chosen before).
        void search.then(() => Promise.all(data.meta.layouts.map((_, i) => data.loadLayout(i)))).catch(() => undefined);
      }, (error: unknown) => {
        status(`The atlas could not load its data: ${error instanceof Error ? error.message : String(error)}`);
        rejectLoaded(error);
      });
    }, 0);
  });
}

ready.catch(() => {}); // The page shows the error itself; an unobserved rejection would only add console noise.
loaded.catch(() => {});
window.embedAtlas = { ready, loaded } as AtlasHooks;
document.addEventListener('DOMContentLoaded', () => {
  start().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    status(`The atlas could not start: ${message}`);
    rejectReady(error);
    rejectLoaded(error);
  });
});
