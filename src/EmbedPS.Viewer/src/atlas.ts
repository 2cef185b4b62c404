// The atlas: data, view state and everything drawn. UI panels (ui.ts) call its methods; so do the test hooks.
import { AtlasMeta, Column, cellText, forgetData, loadColumn, loadData, loadFloat32, decodeBase64 } from './data';
import { PointRenderer } from './renderer';
import { PointGrid } from './grid';
import { OrbitCamera, projectToScreen } from './galaxy';
import { PrebuiltSearch, SearchEngine, SearchIndex } from './search';
import { MISSING_COLOR, Rgb, categoryCodeColor, categoryColor, scaleUnit, viridis } from './colors';

// Level of detail while the view moves: when a full frame takes longer than FRAME_BUDGET_MS on this machine (measured on
// the first frame), a moving view draws only as many points as fit the budget — the biggest, since the draw order puts
// them first, and never fewer than MIN_MOVING_POINTS — and everything once the view rests. On a real GPU a million
// points fit the budget and nothing changes; in a software renderer panning stays usable.
const FRAME_BUDGET_MS = 40;
const MIN_MOVING_POINTS = 100_000;
const MOVE_SETTLE_MS = 160;

// Galaxy point diameter in pixels = 2r · GALAXY_SIZE · focal length / depth.
const GALAXY_SIZE = 0.0035;

export type FilterSpec = { in?: string[]; min?: number; max?: number };

export interface Camera2D {
  centerX: number;
  centerY: number;
  zoom: number;
}

const THEMES: Record<'light' | 'dark', { background: Rgb; text: string; halo: string; dim: Rgb }> = {
  light: { background: [250, 250, 248], text: '#1d1d1f', halo: 'rgba(250,250,248,0.9)', dim: [200, 200, 200] },
  dark: { background: [17, 19, 26], text: '#f2f2f2', halo: 'rgba(17,19,26,0.9)', dim: [70, 72, 80] },
};

export class Atlas {
  readonly count: number;
  readonly ids: string[];
  readonly columns = new Map<string, Column>();
  readonly layouts: Float32Array[] = [];
  galaxy: Float32Array | null = null;
  private grids: (PointGrid | null)[] = [];
  readonly renderer: PointRenderer;
  readonly overlay: CanvasRenderingContext2D;

  // View state.
  layout = 0;
  mode: '2d' | '3d' = '2d';
  colorField: string | null;
  selected = -1;
  hovered = -1;
  filters = new Map<string, FilterSpec>();
  hiddenCategories = new Set<number>();
  highlighted: Uint8Array | null = null;
  highlightIds: string[] = [];
  theme: 'light' | 'dark';
  sizeMultiplier = 1;
  camera: Camera2D = { centerX: 0, centerY: 0, zoom: 1 };
  readonly orbit = new OrbitCamera();

  // Derived per-point arrays.
  readonly visible: Uint8Array;
  private visibleTotal: number;
  private readonly rgba: Uint8Array;
  readonly radius: Float32Array;
  private maxRadius = 1;
  private readonly baseAlpha: number;
  private readonly densityScale: number;

  // Transition between layouts.
  private transition: { from: number; to: number; start: number; duration: number; resolve: () => void } | null = null;
  private transitionT = 0;
  private flight: { from: Camera2D; to: Camera2D; start: number; duration: number } | null = null;

  private search: SearchIndex | null = null;
  private prebuiltSearch: PrebuiltSearch | null = null;
  private searchLoading: Promise<void> | null = null;
  private readonly neighborChunks = new Map<number, Int32Array>();
  private changes = new Map<string, Uint8Array>();
  private categoryLabels: { x: number; y: number; text: string; weight: number }[] = [];
  private frameRequested = false;
  frames = 0;
  lastFrameMs = 0;
  /** Time between the last two frames when they came back to back (a measure of the real frame time, GPU included). */
  private frameInterval = 0;
  private previousFrameAt = -Infinity;
  private readonly listeners: (() => void)[] = [];

  constructor(readonly meta: AtlasMeta, ids: string[], canvas: HTMLCanvasElement, overlay: HTMLCanvasElement) {
    this.count = meta.count;
    this.ids = ids;
    this.renderer = new PointRenderer(canvas, this.count);
    this.overlay = overlay.getContext('2d')!;
    this.colorField = meta.color;
    this.theme = meta.theme;
    this.visible = new Uint8Array(this.count).fill(1);
    this.visibleTotal = this.count;
    this.rgba = new Uint8Array(this.count * 4);
    this.radius = new Float32Array(this.count);
    // Dense maps need smaller, more transparent points; these follow the point count only, never the data's values.
    this.baseAlpha = Math.min(0.9, Math.max(0.45, 1.25 - 0.125 * Math.log10(Math.max(10, this.count))));
    this.densityScale = Math.min(1.3, Math.max(0.4, Math.pow(20000 / Math.max(1, this.count), 0.25)));
  }

  static async load(canvas: HTMLCanvasElement, overlay: HTMLCanvasElement, progress: (text: string) => void): Promise<Atlas> {
    const started = performance.now();
    progress('Loading the atlas description');
    const meta = (await loadData('meta')) as AtlasMeta;
    progress(`Loading ${meta.count.toLocaleString('en-US')} points`);
    const [ids, layouts, columns] = await Promise.all([
      loadData(meta.ids) as Promise<string[]>,
      Promise.all(meta.layouts.map((l) => loadFloat32(l.file))),
      Promise.all(meta.fields.map((f) => loadColumn(f))),
    ]);
    const loaded = performance.now();
    const atlas = new Atlas(meta, ids, canvas, overlay);
    for (const column of columns) atlas.columns.set(column.meta.name, column);
    for (const positions of layouts) {
      atlas.layouts.push(positions);
      atlas.renderer.addLayout(positions);
      atlas.grids.push(null);
    }
    atlas.renderer.setLayouts(0, 0);
    atlas.computeSizes();
    atlas.fitCamera();
    atlas.refreshVisibility();
    atlas.loadTimings = { data: Math.round(loaded - started), prepare: Math.round(performance.now() - loaded) };
    return atlas;
  }

  /** Milliseconds spent loading and decoding the data files, and preparing buffers, grids and colours. */
  loadTimings = { data: 0, prepare: 0 };

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  // ---------- fields ----------

  column(name: string | null): Column | undefined {
    return name ? this.columns.get(name) : undefined;
  }

  label(row: number): string {
    const column = this.column(this.meta.label);
    const text = column ? cellText(column, row) : '';
    return text || this.ids[row];
  }

  popularity(row: number): number {
    const column = this.column(this.meta.size);
    if (column?.kind === 'number') {
      const v = column.values[row];
      return Number.isNaN(v) ? 0 : v;
    }
    return 0;
  }

  rowOfId(id: string): number {
    if (!this.idIndex) {
      this.idIndex = new Map();
      this.ids.forEach((value, row) => this.idIndex!.set(value, row));
    }
    return this.idIndex.get(String(id)) ?? -1;
  }
  private idIndex: Map<string, number> | null = null;

  /** The search: the exporter's index once loaded (loadSearch), else the plain scan (older atlases, or before it loads). */
  searchIndex(): SearchEngine {
    return this.prebuiltSearch ?? this.naiveSearch();
  }

  /** Whether search answers from the exporter's index now (or the atlas has none, so the plain scan is all there is). */
  searchReady(): boolean {
    return this.prebuiltSearch !== null || !this.meta.searchIndex || this.searchFailed;
  }

  /** The index could not be loaded (a damaged folder): search falls back to the plain scan. */
  private searchFailed = false;

  /** Loads and prepares the exporter's search index, once; resolves at once for an atlas without one. */
  loadSearch(): Promise<void> {
    const info = this.meta.searchIndex;
    if (!info) return Promise.resolve();
    if (!this.searchLoading) {
      this.searchLoading = Promise.all([
        loadData(info.text) as Promise<string>,
        loadData(info.starts),
        loadData(info.words),
        loadData(info.order),
      ]).then(([text, starts, words, order]) => {
        const ints = (payload: unknown) => new Int32Array(decodeBase64(payload as string));
        this.prebuiltSearch = new PrebuiltSearch(text, ints(starts), ints(words), ints(order));
        this.searchReadyAt = performance.now();
        for (const name of [info.text, info.starts, info.words, info.order]) forgetData(name);
      }).catch((error: unknown) => {
        this.searchFailed = true;
        throw error;
      });
    }
    return this.searchLoading;
  }

  /** When (performance.now) the search index was ready; null before. */
  searchReadyAt: number | null = null;

  /** The plain scan over every text (search.ts's reference implementation). */
  naiveSearch(): SearchIndex {
    if (!this.search) {
      const sources: ((row: number) => string)[] = [(row) => this.label(row), (row) => this.ids[row]];
      for (const name of this.meta.search) {
        const column = this.column(name);
        if (column && name !== this.meta.label) sources.push((row) => cellText(column, row));
      }
      this.search = new SearchIndex(sources, this.count, (row) => this.popularity(row));
    }
    return this.search;
  }

  /** The details neighbours of a row; loads only the chunk of rows it is in (data/neighbors-<c>.js). */
  async neighborsOf(row: number): Promise<number[]> {
    const info = this.meta.neighbors;
    if (!info) return [];
    const rows = info.chunkRows ?? this.count;
    const chunk = Math.floor(row / rows);
    let values = this.neighborChunks.get(chunk);
    if (!values) {
      const file = info.chunkRows === undefined ? info.file : `${info.file}-${chunk}`;
      values = this.neighborChunks.get(chunk) ?? new Int32Array(decodeBase64((await loadData(file)) as string));
      this.neighborChunks.set(chunk, values);
      forgetData(file);
    }
    const first = (row - chunk * rows) * info.k;
    const result: number[] = [];
    for (let j = 0; j < info.k; j++) {
      const n = values[first + j];
      if (n >= 0) result.push(n);
    }
    return result;
  }

  async neighborhoodChange(a: number, b: number): Promise<Float32Array | null> {
    const entry = this.meta.changes.find((c) => (c.a === a && c.b === b) || (c.a === b && c.b === a));
    if (!entry) return null;
    let overlap = this.changes.get(entry.file);
    if (!overlap) {
      overlap = new Uint8Array(decodeBase64((await loadData(entry.file)) as string));
      this.changes.set(entry.file, overlap);
    }
    // Jaccard distance between the k-NN sets in the two layouts, from the size of their intersection.
    const k = entry.k;
    const result = new Float32Array(this.count);
    for (let i = 0; i < this.count; i++) result[i] = 1 - overlap[i] / (2 * k - overlap[i]);
    return result;
  }

  // ---------- sizes, colours, visibility ----------

  /** Point radius in CSS pixels at zoom 1: r = a + b·ln(n) + c·n, clamped (the osu! atlas's partial log scale). */
  private computeSizes(): void {
    const column = this.column(this.meta.size);
    const sizes = new Float32Array(this.count);
    let maxN = 1;
    if (column?.kind === 'number') for (let i = 0; i < this.count; i++) if (column.values[i] > maxN) maxN = column.values[i];
    const a = 1.0, b = 0.55, c = 3 / maxN;
    let maxRadius = 0;
    for (let i = 0; i < this.count; i++) {
      let r = 2.2;
      if (column?.kind === 'number') {
        const n = Math.max(1, Number.isNaN(column.values[i]) ? 1 : column.values[i]);
        r = Math.min(12, Math.max(1, a + b * Math.log(n) + c * n));
      }
      r *= this.densityScale;
      this.radius[i] = r;
      sizes[i] = 2 * r;
      if (r > maxRadius) maxRadius = r;
    }
    this.maxRadius = maxRadius;
    this.renderer.setSizes(sizes);
    this.computeOrder();
  }

  /**
   * Draw order: highlighted points last, then bigger before smaller, ties by row. A numeric sort of packed keys
   * (highlight bit, quantised radius, row) on a Float64Array: no comparator calls, so a million points sort in ~0.1 s.
   */
  private computeOrder(): void {
    const n = this.count;
    const order = new Uint32Array(n);
    const h = this.highlighted;
    const r = this.radius;
    if (n < 1 << 21) {
      const keys = new Float64Array(n);
      const scale = 1023 / Math.max(this.maxRadius, 1e-9);
      for (let i = 0; i < n; i++) {
        const quantised = 1023 - Math.round(r[i] * scale);
        keys[i] = ((h ? h[i] : 0) * 1024 + quantised) * 2097152 + i;
      }
      keys.sort();
      for (let i = 0; i < n; i++) order[i] = keys[i] % 2097152;
    } else {
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((p, q) => (h ? h[p] - h[q] : 0) || r[q] - r[p] || p - q);
    }
    this.renderer.setOrder(order);
  }

  refreshVisibility(): void {
    const visible = this.visible;
    visible.fill(1);
    for (const [name, spec] of this.filters) {
      const column = this.column(name);
      if (!column) continue;
      if (column.kind === 'category' && spec.in) {
        const allowed = new Uint8Array(column.meta.categories!.length);
        for (const value of spec.in) {
          const code = column.meta.categories!.indexOf(value);
          if (code >= 0) allowed[code] = 1;
        }
        for (let i = 0; i < this.count; i++) if (!allowed[column.codes[i]]) visible[i] = 0;
      } else if (column.kind === 'number') {
        const min = spec.min ?? -Infinity, max = spec.max ?? Infinity;
        for (let i = 0; i < this.count; i++) {
          const v = column.values[i];
          if (!(v >= min && v <= max)) visible[i] = 0;
        }
      }
    }
    const color = this.column(this.colorField);
    if (color?.kind === 'category' && this.hiddenCategories.size > 0) {
      for (let i = 0; i < this.count; i++) if (this.hiddenCategories.has(color.codes[i])) visible[i] = 0;
    }
    let total = 0;
    for (let i = 0; i < this.count; i++) total += visible[i];
    this.visibleTotal = total;
    // Category labels follow the visible points and the colour field; highlight and theme changes leave them alone.
    this.computeCategoryLabels();
    this.refreshColors();
  }

  colorOf(row: number): Rgb {
    const column = this.column(this.colorField);
    if (!column) return categoryColor(0);
    if (column.kind === 'category') {
      const code = column.codes[row];
      return categoryCodeColor(code, column.meta.missing);
    }
    if (column.kind === 'number') {
      const v = column.values[row];
      if (Number.isNaN(v)) return MISSING_COLOR;
      return viridis(scaleUnit(v, column.meta.min!, column.meta.max!, !!column.meta.log));
    }
    return categoryColor(0);
  }

  refreshColors(): void {
    const rgba = this.rgba;
    const h = this.highlighted;
    const dim = THEMES[this.theme].dim;
    const alpha = Math.round(this.baseAlpha * 255);
    const column = this.column(this.colorField);
    // Category colours are looked up once per category, not per point.
    const palette = column?.kind === 'category' ? column.meta.categories!.map((_, code) => categoryCodeColor(code, column.meta.missing)) : null;
    for (let i = 0; i < this.count; i++) {
      const o = 4 * i;
      if (!this.visible[i]) {
        rgba[o + 3] = 0;
        continue;
      }
      const c = palette && column?.kind === 'category' ? palette[column.codes[i]] : this.colorOf(i);
      if (h && !h[i]) {
        rgba[o] = dim[0]; rgba[o + 1] = dim[1]; rgba[o + 2] = dim[2]; rgba[o + 3] = 28;
      } else {
        rgba[o] = c[0]; rgba[o + 1] = c[1]; rgba[o + 2] = c[2]; rgba[o + 3] = h ? 255 : alpha;
      }
    }
    this.renderer.setColors(rgba);
    this.requestRender();
    this.changed();
  }

  visibleCount(): number {
    return this.visibleTotal;
  }

  setColor(field: string | null): void {
    if (field !== null && !this.columns.has(field)) throw new Error(`No field '${field}'. Fields: ${[...this.columns.keys()].join(', ')}`);
    if (field !== null && this.columns.get(field)!.kind === 'text') throw new Error(`'${field}' is a text field; colour by a category or number field.`);
    this.colorField = field;
    this.hiddenCategories.clear();
    this.refreshVisibility();
  }

  toggleCategory(code: number, only = false): void {
    const column = this.column(this.colorField);
    if (column?.kind !== 'category') return;
    if (only) {
      const all = column.meta.categories!.length;
      const isolated = this.hiddenCategories.size === all - 1 && !this.hiddenCategories.has(code);
      this.hiddenCategories.clear();
      if (!isolated) for (let c = 0; c < all; c++) if (c !== code) this.hiddenCategories.add(c);
    } else if (this.hiddenCategories.has(code)) this.hiddenCategories.delete(code);
    else this.hiddenCategories.add(code);
    this.refreshVisibility();
  }

  setFilter(field: string, spec: FilterSpec | string[] | null): void {
    const column = this.column(field);
    if (!column) throw new Error(`No field '${field}'. Fields: ${[...this.columns.keys()].join(', ')}`);
    if (spec === null) this.filters.delete(field);
    else if (Array.isArray(spec)) this.filters.set(field, { in: spec.map(String) });
    else this.filters.set(field, spec);
    this.refreshVisibility();
  }

  setHighlight(ids: string[] | null): { matched: number; missing: string[] } {
    if (!ids || ids.length === 0) {
      this.highlighted = null;
      this.highlightIds = [];
      this.computeOrder();
      this.refreshColors();
      return { matched: 0, missing: [] };
    }
    const mask = new Uint8Array(this.count);
    const missing: string[] = [];
    let matched = 0;
    const index = this.searchIndex();
    for (const raw of ids) {
      const text = raw.trim();
      if (!text) continue;
      let rows = [this.rowOfId(text)].filter((r) => r >= 0);
      if (rows.length === 0) rows = index.exact(text);
      if (rows.length === 0) missing.push(text);
      for (const r of rows) if (!mask[r]) { mask[r] = 1; matched++; }
    }
    this.highlighted = matched > 0 ? mask : null;
    this.highlightIds = matched > 0 ? ids.map((s) => s.trim()).filter((s) => s) : [];
    this.computeOrder();
    this.refreshColors();
    return { matched, missing };
  }

  highlightRows(rows: number[]): void {
    this.setHighlight(rows.map((r) => this.ids[r]));
  }

  setTheme(theme: 'light' | 'dark'): void {
    this.theme = theme;
    this.refreshColors();
  }

  setSizeMultiplier(value: number): void {
    this.sizeMultiplier = Math.min(5, Math.max(0.2, value));
    this.requestRender();
    this.changed();
  }

  // ---------- camera ----------

  private viewport(): { width: number; height: number } {
    return { width: this.renderer.canvas.clientWidth || 1, height: this.renderer.canvas.clientHeight || 1 };
  }

  private basePixelsPerUnit(): number {
    const { width, height } = this.viewport();
    const v = this.meta.layouts[0].view;
    return Math.min(width / Math.max(v[2] - v[0], 1e-9), height / Math.max(v[3] - v[1], 1e-9)) * 0.92;
  }

  pixelsPerUnit(camera: Camera2D = this.camera): number {
    return this.basePixelsPerUnit() * camera.zoom;
  }

  fitCamera(): void {
    const v = this.meta.layouts[this.layout].view;
    this.camera = { centerX: (v[0] + v[2]) / 2, centerY: (v[1] + v[3]) / 2, zoom: 1 };
    this.requestRender();
    this.changed();
  }

  /** Points drawn while the view moves (Infinity: all); set by calibrate(). */
  movingBudget = Infinity;
  private lastMove = -Infinity;
  private settleTimer = 0;

  /** Sizes the moving-view budget from the time a full frame took (see FRAME_BUDGET_MS). */
  calibrate(fullFrameMs: number): void {
    this.movingBudget = fullFrameMs > FRAME_BUDGET_MS ? Math.max(MIN_MOVING_POINTS, Math.floor((this.count * FRAME_BUDGET_MS) / fullFrameMs)) : Infinity;
  }

  /** How long after the last move the view counts as resting: longer when frames are slow, so a slow frame never ends a pan. */
  private settleMs(): number {
    return Math.max(MOVE_SETTLE_MS, 2.5 * this.frameInterval);
  }

  /** Marks the view as moving and schedules the full-detail frame for when it rests. */
  noteMove(): void {
    this.lastMove = performance.now();
    clearTimeout(this.settleTimer);
    this.settleTimer = window.setTimeout(() => this.requestRender(), this.settleMs() + 10);
  }

  private drawLimit(now: number): number {
    const moving = this.flight !== null || this.transition !== null || now - this.lastMove < this.settleMs();
    return moving && !this.highlighted && this.count > this.movingBudget ? this.movingBudget : Infinity;
  }

  setCamera(camera: Camera2D): void {
    this.noteMove();
    this.camera = { centerX: camera.centerX, centerY: camera.centerY, zoom: Math.min(20000, Math.max(0.2, camera.zoom)) };
    this.requestRender();
    this.changed();
  }

  pan(dxPixels: number, dyPixels: number): void {
    const ppu = this.pixelsPerUnit();
    this.setCamera({ ...this.camera, centerX: this.camera.centerX - dxPixels / ppu, centerY: this.camera.centerY + dyPixels / ppu });
  }

  /** Zooms by factor keeping the world point under (sx, sy) in place. */
  zoomAt(factor: number, sx: number, sy: number): void {
    const before = this.screenToWorld(sx, sy);
    const zoom = Math.min(20000, Math.max(0.2, this.camera.zoom * factor));
    const ppu = this.basePixelsPerUnit() * zoom;
    const { width, height } = this.viewport();
    this.setCamera({ centerX: before[0] - (sx - width / 2) / ppu, centerY: before[1] + (sy - height / 2) / ppu, zoom });
  }

  screenToWorld(sx: number, sy: number): [number, number] {
    const { width, height } = this.viewport();
    const ppu = this.pixelsPerUnit();
    return [this.camera.centerX + (sx - width / 2) / ppu, this.camera.centerY - (sy - height / 2) / ppu];
  }

  /** Where a row is drawn now (CSS pixels), following a running transition; null when off-screen in galaxy mode. */
  screenPosition(row: number): [number, number] | null {
    const { width, height } = this.viewport();
    if (this.mode === '3d' && this.galaxy) {
      const m = this.orbit.viewProjection(width / height);
      const p = projectToScreen(m, this.galaxy[3 * row], this.galaxy[3 * row + 1], this.galaxy[3 * row + 2], width, height);
      return p ? [p[0], p[1]] : null;
    }
    const [x, y] = this.currentPosition(row);
    const ppu = this.pixelsPerUnit();
    return [width / 2 + (x - this.camera.centerX) * ppu, height / 2 - (y - this.camera.centerY) * ppu];
  }

  currentPosition(row: number): [number, number] {
    const t = this.transition ? this.transitionT : 0;
    const from = this.layouts[this.transition ? this.transition.from : this.layout];
    const to = this.layouts[this.transition ? this.transition.to : this.layout];
    return [from[2 * row] + (to[2 * row] - from[2 * row]) * t, from[2 * row + 1] + (to[2 * row + 1] - from[2 * row + 1]) * t];
  }

  flyTo(row: number): void {
    if (row < 0) return;
    if (this.mode === '3d' && this.galaxy) {
      this.orbit.target = [this.galaxy[3 * row], this.galaxy[3 * row + 1], this.galaxy[3 * row + 2]];
      this.orbit.distance = Math.min(this.orbit.distance, 0.45);
      this.requestRender();
      this.changed();
      return;
    }
    const [x, y] = this.currentPosition(row);
    this.flight = {
      from: { ...this.camera },
      to: { centerX: x, centerY: y, zoom: Math.max(this.camera.zoom, 6) },
      start: performance.now(),
      duration: 650,
    };
    this.requestRender();
  }

  // ---------- layouts and modes ----------

  setLayout(index: number, animate = true): Promise<void> {
    if (index < 0 || index >= this.layouts.length) return Promise.reject(new Error(`No layout ${index}.`));
    if (this.transition) this.finishTransition();
    if (index === this.layout) return Promise.resolve();
    if (!animate || this.mode === '3d') {
      this.layout = index;
      this.renderer.setLayouts(index, index);
      this.computeCategoryLabels();
      this.requestRender();
      this.changed();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.transition = { from: this.layout, to: index, start: performance.now(), duration: 1100, resolve };
      this.transitionT = 0;
      this.renderer.setLayouts(this.layout, index);
      this.requestRender();
    });
  }

  private finishTransition(): void {
    const t = this.transition!;
    this.transition = null;
    this.transitionT = 0;
    this.layout = t.to;
    this.renderer.setLayouts(t.to, t.to);
    this.computeCategoryLabels();
    this.changed();
    t.resolve();
  }

  transitionProgress(): number {
    return this.transition ? this.transitionT : 1;
  }

  inTransition(): boolean {
    return this.transition !== null;
  }

  async setMode(mode: '2d' | '3d'): Promise<void> {
    if (mode === '3d' && !this.meta.galaxy) throw new Error('This atlas has no 3-D embedding (export with -Embedding).');
    if (mode === '3d' && !this.galaxy) {
      this.galaxy = await loadFloat32(this.meta.galaxy!.file);
      this.renderer.setGalaxy(this.galaxy);
    }
    if (this.transition) this.finishTransition();
    this.mode = mode;
    this.hovered = -1;
    this.requestRender();
    this.changed();
  }

  // ---------- picking ----------

  private grid(): PointGrid {
    let grid = this.grids[this.layout];
    if (!grid) {
      grid = new PointGrid(this.layouts[this.layout], this.count, this.meta.layouts[this.layout].bounds);
      this.grids[this.layout] = grid;
    }
    return grid;
  }

  pick(sx: number, sy: number): number {
    if (this.transition) return -1;
    const scale = this.pointScale();
    if (this.mode === '3d') return this.pick3d(sx, sy);
    const ppu = this.pixelsPerUnit();
    const [x, y] = this.screenToWorld(sx, sy);
    const maxRadius = (this.maxRadius * scale) / ppu;
    return this.grid().pick(x, y, maxRadius, 4 / ppu, (i) => (this.radius[i] * scale) / ppu, (i) => this.visible[i] === 1 && (!this.highlighted || this.highlighted[i] === 1));
  }

  private pick3d(sx: number, sy: number): number {
    if (!this.galaxy) return -1;
    const { width, height } = this.viewport();
    const m = this.orbit.viewProjection(width / height);
    const focal = this.orbit.focalPixels(height);
    let best = -1, bestDepth = Infinity;
    for (let i = 0; i < this.count; i++) {
      if (!this.visible[i]) continue;
      const p = projectToScreen(m, this.galaxy[3 * i], this.galaxy[3 * i + 1], this.galaxy[3 * i + 2], width, height);
      if (!p) continue;
      const r = Math.min(48, Math.max(0.5, (this.radius[i] * this.sizeMultiplier * focal * GALAXY_SIZE) / p[2])) + 3;
      const dx = p[0] - sx, dy = p[1] - sy;
      if (dx * dx + dy * dy <= r * r && p[2] < bestDepth) {
        best = i;
        bestDepth = p[2];
      }
    }
    return best;
  }

  /** Point radius multiplier at the current zoom: points grow with the square root of the zoom. */
  pointScale(): number {
    return this.sizeMultiplier * Math.sqrt(this.camera.zoom);
  }

  // ---------- labels ----------

  /** Category labels: for each category of the colour field, the densest cell of a 24×24 grid of its points. */
  private computeCategoryLabels(): void {
    this.categoryLabels = [];
    const column = this.column(this.colorField);
    if (column?.kind !== 'category' || column.meta.categories!.length > 200) return;
    const positions = this.layouts[this.layout];
    const b = this.meta.layouts[this.layout].view;
    const side = 24;
    const categories = column.meta.categories!.length;
    const counts = new Uint32Array(categories * side * side);
    const cellOf = (i: number) => {
      const cx = Math.max(0, Math.min(side - 1, Math.floor(((positions[2 * i] - b[0]) / Math.max(b[2] - b[0], 1e-9)) * side)));
      const cy = Math.max(0, Math.min(side - 1, Math.floor(((positions[2 * i + 1] - b[1]) / Math.max(b[3] - b[1], 1e-9)) * side)));
      return cy * side + cx;
    };
    for (let i = 0; i < this.count; i++) if (this.visible[i]) counts[column.codes[i] * side * side + cellOf(i)]++;
    const bestCell = new Int32Array(categories).fill(-1);
    const bestCount = new Uint32Array(categories);
    for (let c = 0; c < categories; c++) {
      for (let cell = 0; cell < side * side; cell++) {
        const n = counts[c * side * side + cell];
        if (n > bestCount[c]) { bestCount[c] = n; bestCell[c] = cell; }
      }
    }
    const sx = new Float64Array(categories), sy = new Float64Array(categories), n = new Uint32Array(categories);
    for (let i = 0; i < this.count; i++) {
      if (!this.visible[i]) continue;
      const c = column.codes[i];
      if (bestCell[c] !== cellOf(i)) continue;
      sx[c] += positions[2 * i]; sy[c] += positions[2 * i + 1]; n[c]++;
    }
    for (let c = 0; c < categories; c++) {
      if (n[c] < 3 || c === column.meta.missing) continue;
      this.categoryLabels.push({ x: sx[c] / n[c], y: sy[c] / n[c], text: column.meta.categories![c], weight: bestCount[c] });
    }
  }

  /** Galaxy mode: each category's name at the 3-D mean of its visible points, nearest first. */
  private drawGalaxyLabels(ctx: CanvasRenderingContext2D, width: number, height: number): void {
    const column = this.column(this.colorField);
    const galaxy = this.galaxy;
    if (!galaxy) return;
    const theme = THEMES[this.theme];
    const m = this.orbit.viewProjection(width / height);
    const labels: [number, number, number, string][] = [];
    if (column?.kind === 'category' && column.meta.categories!.length <= 200) {
      const k = column.meta.categories!.length;
      const sum = new Float64Array(3 * k), n = new Uint32Array(k);
      for (let i = 0; i < this.count; i++) {
        if (!this.visible[i]) continue;
        const c = column.codes[i];
        sum[3 * c] += galaxy[3 * i]; sum[3 * c + 1] += galaxy[3 * i + 1]; sum[3 * c + 2] += galaxy[3 * i + 2]; n[c]++;
      }
      for (let c = 0; c < k; c++) {
        if (n[c] < 3 || c === column.meta.missing) continue;
        const p = projectToScreen(m, sum[3 * c] / n[c], sum[3 * c + 1] / n[c], sum[3 * c + 2] / n[c], width, height);
        if (p) labels.push([p[0], p[1], p[2], column.meta.categories![c]]);
      }
    }
    if (this.selected >= 0 && this.visible[this.selected]) {
      const p = projectToScreen(m, galaxy[3 * this.selected], galaxy[3 * this.selected + 1], galaxy[3 * this.selected + 2], width, height);
      if (p) labels.push([p[0], p[1] - 16, 0, this.label(this.selected)]);
    }
    labels.sort((a, b) => a[2] - b[2]);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = 'bold 13px system-ui, sans-serif';
    for (const [x, y, , text] of labels.slice(0, 60)) {
      ctx.lineWidth = 3.5;
      ctx.strokeStyle = theme.halo;
      ctx.strokeText(text, x, y, 220);
      ctx.fillStyle = theme.text;
      ctx.fillText(text, x, y, 220);
    }
  }

  private drawLabels(ctx: CanvasRenderingContext2D, width: number, height: number): void {
    if (this.transition) return;
    if (this.mode === '3d') {
      this.drawGalaxyLabels(ctx, width, height);
      return;
    }
    const placed: [number, number, number, number][] = [];
    const placedTexts = new Set<string>();
    const ppu = this.pixelsPerUnit();
    const zoomLevel = Math.log2(Math.max(1, this.camera.zoom));
    const theme = THEMES[this.theme];
    const toScreen = (x: number, y: number): [number, number] => [width / 2 + (x - this.camera.centerX) * ppu, height / 2 - (y - this.camera.centerY) * ppu];
    const place = (text: string, x: number, y: number, font: string, maxWidth = 220): boolean => {
      if (placedTexts.has(text)) return false;
      ctx.font = font;
      const w = Math.min(maxWidth, ctx.measureText(text).width) + 6;
      const h = 16;
      const box: [number, number, number, number] = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
      if (box[0] < 0 || box[2] > width || box[1] < 0 || box[3] > height) return false;
      for (const p of placed) if (box[0] < p[2] && box[2] > p[0] && box[1] < p[3] && box[3] > p[1]) return false;
      placed.push(box);
      placedTexts.add(text);
      ctx.lineWidth = 3.5;
      ctx.strokeStyle = theme.halo;
      ctx.strokeText(text, x, y, maxWidth);
      ctx.fillStyle = theme.text;
      ctx.fillText(text, x, y, maxWidth);
      return true;
    };
    // Panels floating over the map (legend, details) are taken: no label is placed under them.
    const canvasBox = this.renderer.canvas.getBoundingClientRect();
    for (const id of ['legend', 'details']) {
      const panel = document.getElementById(id);
      if (!panel || panel.hidden) continue;
      const r = panel.getBoundingClientRect();
      if (r.width > 0) placed.push([r.left - canvasBox.left, r.top - canvasBox.top, r.right - canvasBox.left, r.bottom - canvasBox.top]);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    // The selection first, then category names, then cluster labels of deepening levels as the zoom grows, then the
    // most popular visible entities: each label is skipped when it would overlap one already placed.
    if (this.selected >= 0 && this.visible[this.selected]) {
      const [x, y] = this.screenPosition(this.selected)!;
      place(this.label(this.selected), x, y - 16, 'bold 13px system-ui, sans-serif', 320);
    }
    const categories = [...this.categoryLabels].sort((a, b) => b.weight - a.weight);
    for (const label of categories) {
      const [x, y] = toScreen(label.x, label.y);
      place(label.text, x, y, 'bold 14px system-ui, sans-serif');
    }
    const clusters = this.meta.clusters.filter((c) => c.layout === this.layout && c.level <= zoomLevel + 0.6).sort((a, b) => a.level - b.level || b.priority - a.priority);
    for (const label of clusters) {
      const [x, y] = toScreen(label.x, label.y);
      place(label.text, x, y, `${label.level === 0 ? 'bold ' : ''}12px system-ui, sans-serif`);
      if (placed.length > 90) break;
    }
    if (this.camera.zoom >= 3) {
      const [x0, y1] = this.screenToWorld(0, 0);
      const [x1, y0] = this.screenToWorld(width, height);
      const grid = this.grid();
      if (grid.cellsInRect(x0, y0, x1, y1) <= 6000) {
        const candidates: number[] = [];
        grid.forEachInRect(x0, y0, x1, y1, (i) => {
          if (this.visible[i] && (!this.highlighted || this.highlighted[i])) candidates.push(i);
        });
        candidates.sort((a, b) => this.popularity(b) - this.popularity(a) || a - b);
        for (const i of candidates.slice(0, 60)) {
          const [x, y] = toScreen(this.layouts[this.layout][2 * i], this.layouts[this.layout][2 * i + 1]);
          place(this.label(i), x, y - (this.radius[i] * this.pointScale() + 8), '11px system-ui, sans-serif', 180);
        }
      }
    }
  }

  // ---------- frame ----------

  requestRender(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame((now) => this.frame(now));
  }

  /** Draws one frame now and waits for the GPU to finish it; returns the milliseconds it took. */
  renderNow(): number {
    const started = performance.now();
    this.draw(started);
    // Reading one pixel back waits until the GPU has finished the frame (gl.finish() returns earlier in Chromium).
    this.renderer.gl.readPixels(0, 0, 1, 1, this.renderer.gl.RGBA, this.renderer.gl.UNSIGNED_BYTE, new Uint8Array(4));
    return performance.now() - started;
  }

  private frame(now: number): void {
    this.frameRequested = false;
    this.draw(now);
  }

  private draw(now: number): void {
    let again = false;
    const sincePrevious = now - this.previousFrameAt;
    if (sincePrevious < 1500) this.frameInterval = sincePrevious;
    this.previousFrameAt = now;
    if (this.transition) {
      const u = Math.min(1, (now - this.transition.start) / this.transition.duration);
      this.transitionT = u < 0.5 ? 4 * u * u * u : 1 - Math.pow(-2 * u + 2, 3) / 2;
      if (u >= 1) this.finishTransition();
      else again = true;
    }
    if (this.flight) {
      const u = Math.min(1, (now - this.flight.start) / this.flight.duration);
      const e = u < 0.5 ? 2 * u * u : 1 - Math.pow(-2 * u + 2, 2) / 2;
      const f = this.flight.from, t = this.flight.to;
      this.camera = {
        centerX: f.centerX + (t.centerX - f.centerX) * e,
        centerY: f.centerY + (t.centerY - f.centerY) * e,
        zoom: Math.exp(Math.log(f.zoom) + (Math.log(t.zoom) - Math.log(f.zoom)) * e),
      };
      if (u >= 1) {
        this.flight = null;
        this.changed();
      } else again = true;
    }
    const started = performance.now();
    const { width, height } = this.renderer.resize();
    const theme = THEMES[this.theme];
    this.renderer.clear(theme.background);
    const css = this.viewport();
    if (this.mode === '3d' && this.galaxy) {
      const focal = this.orbit.focalPixels(css.height);
      this.renderer.draw3d(this.orbit.viewProjection(css.width / css.height), this.sizeMultiplier * focal * GALAXY_SIZE, this.drawLimit(now));
    } else {
      this.renderer.draw2d({
        centerX: this.camera.centerX,
        centerY: this.camera.centerY,
        pixelsPerUnit: this.pixelsPerUnit(),
        t: this.transition ? this.transitionT : 0,
        sizeScale: this.pointScale(),
      }, this.drawLimit(now));
    }
    const ctx = this.overlay;
    const ratio = window.devicePixelRatio || 1;
    if (ctx.canvas.width !== width || ctx.canvas.height !== height) {
      ctx.canvas.width = width;
      ctx.canvas.height = height;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, css.width, css.height);
    for (const [row, color, extra] of [[this.hovered, '#888', 2], [this.selected, theme.text, 4]] as const) {
      if (row < 0 || !this.visible[row]) continue;
      const p = this.screenPosition(row);
      if (!p) continue;
      const r = this.mode === '3d' ? 8 : Math.min(48, this.radius[row] * this.pointScale()) + extra;
      ctx.beginPath();
      ctx.arc(p[0], p[1], r, 0, Math.PI * 2);
      ctx.lineWidth = 2;
      ctx.strokeStyle = color;
      ctx.stroke();
    }
    this.drawLabels(ctx, css.width, css.height);
    this.lastFrameMs = performance.now() - started;
    this.frames++;
    if (again) this.requestRender();
  }
}
