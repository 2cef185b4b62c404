// The atlas coordinator: the camera, picking, labels and the frame loop, over the data (atlas-data.ts) and one view
// state (view.ts). What the user chose to see lives in the ViewState, which panels and input write through its
// setters; the atlas listens to it and re-derives colours, draw order and labels. The data is AtlasData's: loaded in
// two steps (the first frame's columns, then the rest), read here, never written. Drawing is the PointRenderer's
// (renderer.ts); input is the InputController's (input.ts); panels are AtlasUi's (ui.ts). Other modules change the
// atlas only through its methods (setCamera, setLayout, setHovered, setLasso, orbitBy …), never by writing its fields.
// A frame redraws the points only when they changed (camera, colours, layout, size); the selection ring, hover,
// neighbours, lasso, labels and density (density.ts) are on the overlay canvas and redraw alone (requestOverlay), which
// matters when a million points take hundreds of milliseconds to draw in software.
import { AtlasMeta, cellText } from './data';
import { AtlasData } from './atlas-data';
import { PointRenderer } from './renderer';
import { PointGrid } from './grid';
import { OrbitCamera, projectToScreen } from './galaxy';
import { MISSING_COLOR, Rgb, categoryCodeColor, categoryColor, scaleUnit, viridis } from './colors';
import { ViewChange, ViewState } from './view';
import { LabelPlacer, LabelSource, RegionLabel, regionLabels2d, regionLabels3d } from './labels';
import { DensityLayer } from './density';

export type { FilterSpec } from './view';

// Level of detail while the view moves: when a full frame takes longer than FRAME_BUDGET_MS on this machine (measured on
// the first frame), a moving view draws only as many points as fit the budget — the biggest, since the draw order puts
// them first, and never fewer than MIN_MOVING_POINTS — and everything once the view rests. On a real GPU a million
// points fit the budget and nothing changes; in a software renderer panning stays usable.
const FRAME_BUDGET_MS = 40;
const MIN_MOVING_POINTS = 100_000;
const MOVE_SETTLE_MS = 160;

// Galaxy point diameter in pixels = 2r · GALAXY_SIZE · focal length / depth, never more than GALAXY_MAX_PX.
const GALAXY_SIZE = 0.0035;
export const GALAXY_MAX_PX = 24;

/** The map panels that float over the canvas: no label goes under them, and Fit and fly-to keep points clear of them. */
const MAP_PANELS = ['legend', 'details', 'selection-panel', 'map-tools'];

export interface Camera2D {
  centerX: number;
  centerY: number;
  zoom: number;
}

export interface Rect {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const THEMES: Record<'light' | 'dark', { background: Rgb; text: string; halo: string; dim: Rgb; density: Rgb }> = {
  light: { background: [250, 250, 248], text: '#1d1d1f', halo: 'rgba(250,250,248,0.9)', dim: [200, 200, 200], density: [34, 102, 204] },
  dark: { background: [17, 19, 26], text: '#f2f2f2', halo: 'rgba(17,19,26,0.9)', dim: [70, 72, 80], density: [127, 176, 255] },
};

/** The theme the operating system asks for (prefers-color-scheme), or null when it states none. */
export function preferredTheme(): 'light' | 'dark' | null {
  if (typeof matchMedia !== 'function') return null;
  if (matchMedia('(prefers-color-scheme: dark)').matches) return 'dark';
  if (matchMedia('(prefers-color-scheme: light)').matches) return 'light';
  return null;
}

export class Atlas {
  readonly renderer: PointRenderer;
  private readonly overlay: CanvasRenderingContext2D;
  readonly view: ViewState;
  private readonly grids: (PointGrid | null)[];

  // Camera and mode (read through getters; changed only through the methods below).
  private layoutIndex: number;
  private modeValue: '2d' | '3d' = '2d';
  private hoveredRow = -1;
  private cameraValue: Camera2D = { centerX: 0, centerY: 0, zoom: 1 };
  private readonly orbit = new OrbitCamera();
  /** The lasso or box being drawn (CSS pixels of the map), shown on the overlay. */
  private lassoPoints: [number, number][] | null = null;
  /** The selected entity's neighbours, ringed on the map. */
  private neighborList: number[] = [];

  // Derived per-point arrays.
  private readonly rgba: Uint8Array;
  readonly radius: Float32Array;
  /** Position of each point in the draw order (later = drawn on top). */
  readonly rank: Uint32Array;
  private maxRadius = 1;
  private readonly baseAlpha: number;
  private readonly densityScale: number;

  // Transition between layouts.
  private transition: { from: number; to: number; start: number; duration: number; resolve: () => void } | null = null;
  private transitionT = 0;
  private flight: { from: Camera2D; to: Camera2D; start: number; duration: number } | null = null;

  private regions2d: (RegionLabel[] | null)[];
  private readonly density = new DensityLayer();
  /** Counts filter changes (the density layer's picture depends on them). */
  private filterVersion = 0;
  private regions3d: RegionLabel[] | null = null;
  /** The labels drawn in the last frame (CSS pixels of the map). */
  drawnLabels: { text: string; x: number; y: number }[] = [];
  private frameRequested = false;
  /** The next frame redraws the points too (not only the overlay). */
  private pointsDirty = true;
  frames = 0;
  lastFrameMs = 0;
  /** Time between the last two frames when they came back to back (a measure of the real frame time, GPU included). */
  private frameInterval = 0;
  private previousFrameAt = -Infinity;
  private readonly listeners: (() => void)[] = [];

  private constructor(readonly data: AtlasData, renderer: PointRenderer, overlay: HTMLCanvasElement, layout: number) {
    const count = data.count;
    this.layoutIndex = layout;
    this.renderer = renderer;
    this.overlay = overlay.getContext('2d')!;
    this.view = new ViewState(data, data.meta.color, preferredTheme() ?? data.meta.theme);
    this.grids = data.meta.layouts.map(() => null);
    this.regions2d = data.meta.layouts.map(() => null);
    this.rgba = new Uint8Array(count * 4);
    this.radius = new Float32Array(count);
    this.rank = new Uint32Array(count);
    // Dense maps need smaller, more transparent points; these follow the point count only, never the data's values.
    this.baseAlpha = Math.min(0.9, Math.max(0.45, 1.25 - 0.125 * Math.log10(Math.max(10, count))));
    this.densityScale = Math.min(1.3, Math.max(0.4, Math.pow(20000 / Math.max(1, count), 0.25)));
    this.view.on((change) => this.viewChanged(change));
    // Labels name regions by the label and search fields too: they appear once every column is in.
    data.onComplete(() => {
      this.regions2d = this.regions2d.map(() => null);
      this.regions3d = null;
      this.requestOverlay();
    });
  }

  /**
   * The atlas over loaded data: the layout shown first must be loaded, and the size and colour columns (if any) for
   * the first frame to show them (AtlasData.first).
   */
  static create(data: AtlasData, renderer: PointRenderer, overlay: HTMLCanvasElement, layout = 0): Atlas {
    const atlas = new Atlas(data, renderer, overlay, layout);
    atlas.uploadLayout(layout);
    atlas.renderer.setLayouts(layout, layout);
    atlas.computeSizes();
    atlas.fitCamera();
    atlas.refreshColors();
    return atlas;
  }

  get meta(): AtlasMeta {
    return this.data.meta;
  }

  get count(): number {
    return this.data.count;
  }

  get layout(): number {
    return this.layoutIndex;
  }

  get mode(): '2d' | '3d' {
    return this.modeValue;
  }

  get camera(): Readonly<Camera2D> {
    return this.cameraValue;
  }

  get hovered(): number {
    return this.hoveredRow;
  }

  get lasso(): readonly [number, number][] | null {
    return this.lassoPoints;
  }

  get neighborRows(): readonly number[] {
    return this.neighborList;
  }

  /** The point under the pointer (-1: none), ringed on the overlay. */
  setHovered(row: number): void {
    if (row === this.hoveredRow) return;
    this.hoveredRow = row;
    this.requestOverlay();
  }

  /** The lasso or box being drawn (null: none). */
  setLasso(points: [number, number][] | null): void {
    this.lassoPoints = points;
    this.requestOverlay();
  }

  /** The rows ringed as the selected entity's neighbours. */
  setNeighborRows(rows: number[]): void {
    if (rows.length === 0 && this.neighborList.length === 0) return;
    this.neighborList = rows;
    this.requestOverlay();
  }

  /** Uploads a loaded layout's positions to the GPU, once. */
  private uploadLayout(index: number): void {
    if (!this.renderer.hasLayout(index)) this.renderer.setLayout(index, this.data.layout(index)!);
  }

  /** The positions of the layout shown now. */
  private positions(): Float32Array {
    return this.data.layout(this.layoutIndex)!;
  }

  /** The galaxy's coordinates once loaded (setMode('3d') loads them). */
  private get galaxy(): Float32Array | null {
    return this.data.galaxy;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Point radius in CSS pixels at zoom 1: r = a + b·ln(n) + c·n, clamped (the osu! atlas's partial log scale). */
  private computeSizes(): void {
    const n = this.count;
    const column = this.data.column(this.meta.size);
    const values = column?.kind === 'number' ? column.values : null;
    const radius = this.radius;
    const scale = this.densityScale;
    if (values) {
      let maxN = 1;
      for (let i = 0; i < n; i++) if (values[i] > maxN) maxN = values[i];
      const a = 1.0, b = 0.55, c = 3 / maxN;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        const p = v >= 1 ? v : 1; // NaN and values under 1 count as 1
        const r = a + b * Math.log(p) + c * p;
        radius[i] = (r < 1 ? 1 : r > 12 ? 12 : r) * scale;
      }
    } else radius.fill(2.2 * scale);
    let maxRadius = 0;
    for (let i = 0; i < n; i++) if (radius[i] > maxRadius) maxRadius = radius[i];
    this.maxRadius = maxRadius;
    const sizes = new Float32Array(n);
    for (let i = 0; i < n; i++) sizes[i] = 2 * radius[i];
    this.renderer.setSizes(sizes);
    this.computeOrder();
  }

  // ---------- reacting to the view state ----------

  private viewChanged(change: ViewChange): void {
    switch (change) {
      case 'filter':
      case 'color':
        if (change === 'filter') this.filterVersion++;
        this.regions2d = this.meta.layouts.map(() => null);
        this.regions3d = null;
        this.refreshColors();
        break;
      case 'selection':
      case 'highlight':
        this.computeOrder();
        this.refreshColors();
        break;
      case 'theme':
        this.refreshColors();
        break;
      case 'selected':
      case 'density':
        // The selection ring, its label and the density layer are drawn on the overlay: the points stay as they are.
        this.requestOverlay();
        break;
      default:
        this.requestRender();
    }
    this.changed();
  }

  /** Per point, 1 where it is emphasised (the group selection, else "my items"); null when nothing is. */
  private emphasis(): Uint8Array | null {
    return this.view.selection ?? this.view.highlighted;
  }

  /**
   * Draw order: emphasised points last, then bigger before smaller (the radius quantised to 1,024 steps), ties by row.
   * A counting sort on that key: two passes over the points and no comparisons, so a million points order in a few
   * milliseconds (selections and highlights re-order them).
   */
  private computeOrder(): void {
    const n = this.count;
    const order = new Uint32Array(n);
    const h = this.emphasis();
    const r = this.radius;
    const scale = 1023 / Math.max(this.maxRadius, 1e-9);
    const keys = new Uint16Array(n);
    const starts = new Uint32Array(2048 + 1);
    for (let i = 0; i < n; i++) {
      const key = (h && h[i] ? 1024 : 0) + 1023 - Math.min(1023, Math.max(0, Math.round(r[i] * scale)));
      keys[i] = key;
      starts[key + 1]++;
    }
    for (let k = 0; k < 2048; k++) starts[k + 1] += starts[k];
    for (let i = 0; i < n; i++) order[starts[keys[i]]++] = i;
    const rank = this.rank;
    for (let k = 0; k < n; k++) rank[order[k]] = k;
    this.renderer.setOrder(order);
  }

  colorOf(row: number): Rgb {
    const column = this.data.column(this.view.colorField);
    if (!column) return categoryColor(0);
    if (column.kind === 'category') return categoryCodeColor(column.codes[row], column.meta.missing);
    if (column.kind === 'number') {
      const v = column.values[row];
      if (Number.isNaN(v)) return MISSING_COLOR;
      return viridis(scaleUnit(v, column.meta.min!, column.meta.max!, !!column.meta.log));
    }
    return categoryColor(0);
  }

  refreshColors(): void {
    const rgba = this.rgba;
    const h = this.emphasis();
    const visible = this.view.visible;
    const dim = THEMES[this.view.theme].dim;
    const alpha = Math.round(this.baseAlpha * 255);
    const column = this.data.column(this.view.colorField);
    // Category colours are looked up once per category, not per point.
    const palette = column?.kind === 'category' ? column.meta.categories!.map((_, code) => categoryCodeColor(code, column.meta.missing)) : null;
    for (let i = 0; i < this.count; i++) {
      const o = 4 * i;
      if (!visible[i]) {
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
  }

  visibleCount(): number {
    return this.view.visibleCount();
  }

  /** Highlights ids or names ("my items"); returns how many matched and which were not found. */
  setHighlight(ids: string[] | null): { matched: number; missing: string[] } {
    if (!ids || ids.length === 0) {
      this.view.setHighlight(null, []);
      return { matched: 0, missing: [] };
    }
    const mask = new Uint8Array(this.count);
    const missing: string[] = [];
    let matched = 0;
    const index = this.data.searchEngine();
    for (const raw of ids) {
      const text = raw.trim();
      if (!text) continue;
      let rows = [this.data.rowOfId(text)].filter((r) => r >= 0);
      if (rows.length === 0) rows = index.exact(text);
      if (rows.length === 0) missing.push(text);
      for (const r of rows) if (!mask[r]) { mask[r] = 1; matched++; }
    }
    this.view.setHighlight(matched > 0 ? mask : null, ids.map((s) => s.trim()).filter((s) => s));
    return { matched, missing };
  }

  highlightRows(rows: number[]): void {
    this.setHighlight(rows.map((r) => this.data.ids[r]));
  }

  // ---------- camera ----------

  viewport(): { width: number; height: number } {
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

  /** The panels floating over the map, as rectangles in the map's CSS pixels. */
  panelRects(): Rect[] {
    const canvasBox = this.renderer.canvas.getBoundingClientRect();
    const rects: Rect[] = [];
    for (const id of MAP_PANELS) {
      const panel = document.getElementById(id);
      if (!panel || panel.hidden) continue;
      const r = panel.getBoundingClientRect();
      if (r.width <= 0 || r.height <= 0) continue;
      const rect = { left: r.left - canvasBox.left, top: r.top - canvasBox.top, right: r.right - canvasBox.left, bottom: r.bottom - canvasBox.top };
      if (rect.right <= 0 || rect.bottom <= 0 || rect.left >= canvasBox.width || rect.top >= canvasBox.height) continue;
      rects.push(rect);
    }
    return rects;
  }

  /**
   * The part of the map no panel covers: for each panel (biggest first), the map loses the strip beside it — left,
   * right, above or below, whichever leaves the most room.
   */
  freeRect(): Rect {
    const { width, height } = this.viewport();
    let free: Rect = { left: 0, top: 0, right: width, bottom: height };
    const area = (r: Rect) => Math.max(0, r.right - r.left) * Math.max(0, r.bottom - r.top);
    const panels = this.panelRects().sort((a, b) => area(b) - area(a));
    for (const p of panels) {
      if (p.right <= free.left || p.left >= free.right || p.bottom <= free.top || p.top >= free.bottom) continue;
      const options: Rect[] = [
        { ...free, left: Math.max(free.left, p.right) },
        { ...free, right: Math.min(free.right, p.left) },
        { ...free, top: Math.max(free.top, p.bottom) },
        { ...free, bottom: Math.min(free.bottom, p.top) },
      ];
      const best = options.reduce((a, b) => (area(b) > area(a) ? b : a));
      // A panel that would leave almost nothing (a sheet over the whole map) is ignored.
      if (area(best) >= 0.15 * width * height) free = best;
    }
    return free;
  }

  /** Frames the visible points (the central 99.6 % of them) inside the free part of the map; galaxy: the start view. */
  fitCamera(animate = false): void {
    if (this.mode === '3d') {
      this.orbit.reset();
      this.noteMove();
      this.requestRender();
      this.changed();
      return;
    }
    const b = this.visibleBounds();
    const free = this.freeRect();
    const { width, height } = this.viewport();
    const fw = Math.max(40, free.right - free.left), fh = Math.max(40, free.bottom - free.top);
    const ppu = Math.min(fw / Math.max(b[2] - b[0], 1e-9), fh / Math.max(b[3] - b[1], 1e-9)) * 0.9;
    const zoom = Math.min(20000, Math.max(0.2, ppu / this.basePixelsPerUnit()));
    const realPpu = this.basePixelsPerUnit() * zoom;
    const fcx = (free.left + free.right) / 2, fcy = (free.top + free.bottom) / 2;
    const target = { centerX: (b[0] + b[2]) / 2 - (fcx - width / 2) / realPpu, centerY: (b[1] + b[3]) / 2 + (fcy - height / 2) / realPpu, zoom };
    if (animate) this.flyCamera(target);
    else this.setCamera(target);
  }

  /** Bounds of the visible points: the layout's view when all are visible, else their central 99.6 %. */
  private visibleBounds(): [number, number, number, number] {
    const positions = this.positions();
    const visible = this.view.visible;
    const n = this.view.visibleCount();
    if (n === this.count || n === 0) return this.meta.layouts[this.layout].view;
    const stride = Math.max(1, Math.floor(n / 20000));
    const xs: number[] = [], ys: number[] = [];
    let k = 0;
    for (let i = 0; i < this.count; i++) {
      if (!visible[i] || k++ % stride !== 0) continue;
      xs.push(positions[2 * i]);
      ys.push(positions[2 * i + 1]);
    }
    xs.sort((a, b) => a - b);
    ys.sort((a, b) => a - b);
    const cut = xs.length >= 250 ? Math.floor(xs.length * 0.002) : 0;
    return [xs[cut], ys[cut], xs[xs.length - 1 - cut], ys[ys.length - 1 - cut]];
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
    return moving && !this.emphasis() && this.count > this.movingBudget ? this.movingBudget : Infinity;
  }

  setCamera(camera: Camera2D): void {
    this.noteMove();
    this.cameraValue = { centerX: camera.centerX, centerY: camera.centerY, zoom: Math.min(20000, Math.max(0.2, camera.zoom)) };
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

  /** One zoom step (buttons, + and − keys): 1.5× in or out, about the middle of the free part of the map. */
  zoomStep(direction: 1 | -1): void {
    if (this.mode === '3d') {
      this.orbit.dolly(direction > 0 ? 1 / 1.5 : 1.5);
      this.noteMove();
      this.requestRender();
      this.changed();
      return;
    }
    const free = this.freeRect();
    this.zoomAt(direction > 0 ? 1.5 : 1 / 1.5, (free.left + free.right) / 2, (free.top + free.bottom) / 2);
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
    const from = this.data.layout(this.transition ? this.transition.from : this.layout)!;
    const to = this.data.layout(this.transition ? this.transition.to : this.layout)!;
    return [from[2 * row] + (to[2 * row] - from[2 * row]) * t, from[2 * row + 1] + (to[2 * row + 1] - from[2 * row + 1]) * t];
  }

  private flyCamera(to: Camera2D): void {
    this.flight = { from: { ...this.camera }, to, start: performance.now(), duration: 650 };
    this.requestRender();
  }

  /** A camera that shows a row at the middle of the free part of the map, at a zoom. */
  private cameraOn(row: number, zoom: number): Camera2D {
    const [x, y] = this.currentPosition(row);
    const free = this.freeRect();
    const { width, height } = this.viewport();
    const ppu = this.basePixelsPerUnit() * zoom;
    return { centerX: x - ((free.left + free.right) / 2 - width / 2) / ppu, centerY: y + ((free.top + free.bottom) / 2 - height / 2) / ppu, zoom };
  }

  flyTo(row: number): void {
    if (row < 0) return;
    if (this.mode === '3d' && this.galaxy) {
      this.orbit.target = [this.galaxy[3 * row], this.galaxy[3 * row + 1], this.galaxy[3 * row + 2]];
      this.orbit.distance = Math.min(this.orbit.distance, 0.45);
      this.noteMove();
      this.requestRender();
      this.changed();
      return;
    }
    this.flyCamera(this.cameraOn(row, Math.max(this.camera.zoom, 6)));
  }

  /** Moves the map (not the zoom) when a row sits under a panel or off the map, so that it shows. */
  keepClear(row: number): void {
    if (row < 0 || this.mode === '3d') return;
    const p = this.screenPosition(row);
    const free = this.freeRect();
    const margin = 24;
    if (p && p[0] >= free.left + margin && p[0] <= free.right - margin && p[1] >= free.top + margin && p[1] <= free.bottom - margin) return;
    this.flyCamera(this.cameraOn(row, this.camera.zoom));
  }

  // ---------- galaxy camera ----------

  /** Galaxy: orbits the camera by a drag of (dx, dy) pixels. */
  orbitBy(dx: number, dy: number): void {
    this.orbit.orbit(dx, dy);
    this.noteMove();
    this.requestRender();
  }

  /** Galaxy: moves the camera toward (factor < 1) or away from the target. */
  dollyBy(factor: number): void {
    this.orbit.dolly(factor);
    this.noteMove();
    this.requestRender();
  }

  /** Galaxy: flies forward, right and up (each -1, 0 or 1) one step. */
  flyBy(forward: number, right: number, up: number): void {
    this.orbit.fly(forward, right, up);
    this.noteMove();
    this.requestRender();
  }

  /** The galaxy camera as numbers (for the URL), and back. */
  orbitState(): number[] {
    return this.orbit.state();
  }

  restoreOrbit(values: number[]): void {
    this.orbit.restore(values);
    this.requestRender();
  }

  // ---------- layouts and modes ----------

  /** Shows a layout (loading it first when it is not in yet), animated from the current one unless told otherwise. */
  async setLayout(index: number, animate = true): Promise<void> {
    if (index < 0 || index >= this.meta.layouts.length) throw new Error(`No layout ${index}.`);
    if (!this.data.layout(index)) await this.data.loadLayout(index);
    this.uploadLayout(index);
    if (this.transition) this.finishTransition();
    if (index === this.layout) return;
    if (!animate || this.mode === '3d') {
      this.layoutIndex = index;
      this.renderer.setLayouts(index, index);
      this.requestRender();
      this.changed();
      return;
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
    this.layoutIndex = t.to;
    this.renderer.setLayouts(t.to, t.to);
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
    if (mode === '3d' && !this.renderer.hasGalaxy()) this.renderer.setGalaxy(await this.data.loadGalaxy());
    if (this.transition) this.finishTransition();
    this.modeValue = mode;
    this.hoveredRow = -1;
    this.requestRender();
    this.changed();
  }

  // ---------- picking and regions ----------

  private grid(): PointGrid {
    let grid = this.grids[this.layout];
    if (!grid) {
      grid = new PointGrid(this.positions(), this.count, this.meta.layouts[this.layout].bounds);
      this.grids[this.layout] = grid;
    }
    return grid;
  }

  /** The largest point radius the renderer draws, in CSS pixels. */
  private maxScreenRadius(): number {
    return this.mode === '3d' ? GALAXY_MAX_PX / 2 : this.renderer.maxPointSize / 2 / (window.devicePixelRatio || 1);
  }

  /** A row's radius on screen now, in CSS pixels (as the renderer draws it); 0 when not drawn. */
  screenRadius(row: number): number {
    if (!this.view.visible[row]) return 0;
    if (this.mode === '3d') {
      if (!this.galaxy) return 0;
      const { width, height } = this.viewport();
      const p = projectToScreen(this.orbit.viewProjection(width / height), this.galaxy[3 * row], this.galaxy[3 * row + 1], this.galaxy[3 * row + 2], width, height);
      if (!p) return 0;
      return Math.min(GALAXY_MAX_PX / 2, Math.max(0.5, (this.radius[row] * this.view.sizeMultiplier * this.orbit.focalPixels(height) * GALAXY_SIZE) / p[2]));
    }
    return Math.max(0.5, Math.min(this.maxScreenRadius(), this.radius[row] * this.pointScale()));
  }

  private pickable(i: number): boolean {
    const h = this.view.highlighted;
    return this.view.visible[i] === 1 && (!h || h[i] === 1 || (this.view.selection !== null && this.view.selection[i] === 1));
  }

  /**
   * The point under (sx, sy): of the points whose disc covers it, the one drawn on top (latest in the draw order; in
   * galaxy mode the nearest); when none covers it, the one whose edge is nearest within a few pixels. -1 when none.
   */
  pick(sx: number, sy: number): number {
    if (this.transition) return -1;
    if (this.mode === '3d') return this.pick3d(sx, sy);
    const ppu = this.pixelsPerUnit();
    const [x, y] = this.screenToWorld(sx, sy);
    const tolerance = 4;
    const reach = (Math.min(this.maxScreenRadius(), this.maxRadius * this.pointScale()) + tolerance) / ppu;
    let top = -1, topRank = -1, near = -1, nearGap = Infinity;
    this.grid().forEachInRect(x - reach, y - reach, x + reach, y + reach, (i) => {
      if (!this.pickable(i)) return;
      const positions = this.positions();
      const d = Math.hypot(positions[2 * i] - x, positions[2 * i + 1] - y) * ppu;
      const r = this.screenRadius(i);
      if (d <= r) {
        if (this.rank[i] > topRank) { top = i; topRank = this.rank[i]; }
      } else if (d - r <= tolerance && d - r < nearGap) {
        near = i;
        nearGap = d - r;
      }
    });
    return top >= 0 ? top : near;
  }

  private pick3d(sx: number, sy: number): number {
    if (!this.galaxy) return -1;
    const { width, height } = this.viewport();
    const m = this.orbit.viewProjection(width / height);
    const focal = this.orbit.focalPixels(height);
    let top = -1, topDepth = Infinity, near = -1, nearGap = Infinity;
    for (let i = 0; i < this.count; i++) {
      if (!this.pickable(i)) continue;
      const p = projectToScreen(m, this.galaxy[3 * i], this.galaxy[3 * i + 1], this.galaxy[3 * i + 2], width, height);
      if (!p) continue;
      const r = Math.min(GALAXY_MAX_PX / 2, Math.max(0.5, (this.radius[i] * this.view.sizeMultiplier * focal * GALAXY_SIZE) / p[2]));
      const d = Math.hypot(p[0] - sx, p[1] - sy);
      if (d <= r) {
        if (p[2] < topDepth) { top = i; topDepth = p[2]; }
      } else if (d - r <= 3 && d - r < nearGap) {
        near = i;
        nearGap = d - r;
      }
    }
    return top >= 0 ? top : near;
  }

  /** The visible rows drawn inside a polygon (CSS pixels of the map), in either mode. */
  rowsInPolygon(polygon: [number, number][]): Uint8Array {
    const mask = new Uint8Array(this.count);
    if (polygon.length < 3) return mask;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [x, y] of polygon) {
      minX = Math.min(minX, x); maxX = Math.max(maxX, x); minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    }
    const { width, height } = this.viewport();
    const visible = this.view.visible;
    const test = (i: number, x: number, y: number) => {
      if (x >= minX && x <= maxX && y >= minY && y <= maxY && insidePolygon(x, y, polygon)) mask[i] = 1;
    };
    if (this.mode === '3d' && this.galaxy) {
      // One view-projection for all points (screenPosition would rebuild it per point).
      const m = this.orbit.viewProjection(width / height);
      const g = this.galaxy;
      for (let i = 0; i < this.count; i++) {
        if (!visible[i]) continue;
        const p = projectToScreen(m, g[3 * i], g[3 * i + 1], g[3 * i + 2], width, height);
        if (p) test(i, p[0], p[1]);
      }
    } else if (this.transition) {
      for (let i = 0; i < this.count; i++) {
        if (!visible[i]) continue;
        const p = this.screenPosition(i)!;
        test(i, p[0], p[1]);
      }
    } else {
      const ppu = this.pixelsPerUnit();
      const positions = this.positions();
      const { centerX, centerY } = this.camera;
      const [x0, y1] = this.screenToWorld(minX, minY);
      const [x1, y0] = this.screenToWorld(maxX, maxY);
      this.grid().forEachInRect(x0, y0, x1, y1, (i) => {
        if (visible[i]) test(i, width / 2 + (positions[2 * i] - centerX) * ppu, height / 2 - (positions[2 * i + 1] - centerY) * ppu);
      });
    }
    return mask;
  }

  /** Point radius multiplier at the current zoom: points grow with the square root of the zoom. */
  pointScale(): number {
    return this.view.sizeMultiplier * Math.sqrt(this.camera.zoom);
  }

  // ---------- labels ----------

  private labelSource(): LabelSource {
    const words: ((row: number) => string)[] = [];
    const label = this.data.column(this.meta.label);
    if (label?.kind === 'text') words.push((row) => cellText(label, row));
    for (const name of this.meta.search) {
      const column = this.data.column(name);
      if (column?.kind === 'text' && name !== this.meta.label) words.push((row) => cellText(column, row));
    }
    return { count: this.count, visible: this.view.visible, color: this.data.column(this.view.colorField), words };
  }

  private regionLabels(): RegionLabel[] {
    let labels = this.regions2d[this.layout];
    if (!labels) {
      labels = regionLabels2d(this.positions(), this.meta.layouts[this.layout].view, this.labelSource());
      this.regions2d[this.layout] = labels;
    }
    return labels;
  }

  private drawLabels(ctx: CanvasRenderingContext2D, width: number, height: number): void {
    this.drawnLabels = [];
    // No labels while layouts morph, nor before the label and search fields are in (they name regions too).
    if (this.transition || !this.data.complete) return;
    const theme = THEMES[this.view.theme];
    const placer = new LabelPlacer(ctx, width, height, theme);
    // Panels floating over the map (legend, details, selection) are taken: no label is placed under them.
    for (const r of this.panelRects()) placer.reserve([r.left, r.top, r.right, r.bottom]);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const selected = this.view.selected;
    if (this.mode === '3d') {
      if (selected >= 0 && this.view.visible[selected]) {
        const p = this.screenPosition(selected);
        if (p) placer.place(this.data.label(selected), p[0], p[1] - 16, 'bold 13px system-ui, sans-serif', 320);
      }
      if (this.galaxy) {
        if (!this.regions3d) this.regions3d = regionLabels3d(this.galaxy, this.labelSource());
        const m = this.orbit.viewProjection(width / height);
        const projected: [number, number, number, string][] = [];
        for (const label of this.regions3d) {
          const p = projectToScreen(m, label.x, label.y, label.z, width, height);
          if (p) projected.push([p[0], p[1], label.weight / p[2], label.text]);
        }
        projected.sort((a, b) => b[2] - a[2]);
        for (const [x, y, , text] of projected) placer.place(text, x, y, 'bold 13px system-ui, sans-serif');
      }
      this.drawnLabels = placer.placed;
      return;
    }
    const ppu = this.pixelsPerUnit();
    const zoomLevel = Math.log2(Math.max(1, this.camera.zoom));
    const toScreen = (x: number, y: number): [number, number] => [width / 2 + (x - this.camera.centerX) * ppu, height / 2 - (y - this.camera.centerY) * ppu];
    // The selection first, then regions of finer grids as the zoom grows (each text at most once within 300 pixels),
    // then the most popular visible entities at close zoom.
    if (selected >= 0 && this.view.visible[selected]) {
      const [x, y] = this.screenPosition(selected)!;
      placer.place(this.data.label(selected), x, y - 16, 'bold 13px system-ui, sans-serif', 320);
    }
    // Purer regions first (in steps of 10 %), then coarser, then bigger.
    const regions = this.regionLabels()
      .filter((l) => l.level <= zoomLevel + 2)
      .sort((a, b) => Math.round(b.purity * 10) - Math.round(a.purity * 10) || a.level - b.level || b.weight - a.weight);
    const shown: [string, number, number][] = [];
    for (const label of regions) {
      const [x, y] = toScreen(label.x, label.y);
      if (shown.some(([t, sx, sy]) => t === label.text && Math.hypot(sx - x, sy - y) < 300)) continue;
      if (placer.place(label.text, x, y, `${label.level === 0 ? 'bold 14px' : 'bold 12px'} system-ui, sans-serif`)) shown.push([label.text, x, y]);
    }
    if (this.camera.zoom >= 3) {
      const [x0, y1] = this.screenToWorld(0, 0);
      const [x1, y0] = this.screenToWorld(width, height);
      const grid = this.grid();
      if (grid.cellsInRect(x0, y0, x1, y1) <= 6000) {
        const candidates: number[] = [];
        grid.forEachInRect(x0, y0, x1, y1, (i) => {
          if (this.pickable(i)) candidates.push(i);
        });
        candidates.sort((a, b) => this.data.popularity(b) - this.data.popularity(a) || a - b);
        for (const i of candidates.slice(0, 80)) {
          const [x, y] = toScreen(this.positions()[2 * i], this.positions()[2 * i + 1]);
          placer.place(this.data.label(i), x, y - (this.screenRadius(i) + 8), '11px system-ui, sans-serif', 180);
        }
      }
    }
    this.drawnLabels = placer.placed;
  }

  // ---------- frame ----------

  /** Schedules a frame that redraws the points and the overlay. */
  requestRender(): void {
    this.pointsDirty = true;
    this.schedule();
  }

  /** Schedules a frame that redraws only the overlay (rings, labels, lasso, density): the points stay as drawn. */
  requestOverlay(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame((now) => this.frame(now));
  }

  /** Draws one frame now and waits for the GPU to finish it; returns the milliseconds it took. */
  renderNow(): number {
    const started = performance.now();
    this.draw(started, true);
    // Reading one pixel back waits until the GPU has finished the frame (gl.finish() returns earlier in Chromium).
    this.renderer.gl.readPixels(0, 0, 1, 1, this.renderer.gl.RGBA, this.renderer.gl.UNSIGNED_BYTE, new Uint8Array(4));
    return performance.now() - started;
  }

  private frame(now: number): void {
    this.frameRequested = false;
    const points = this.pointsDirty;
    this.draw(now, points);
  }

  private draw(now: number, points: boolean): void {
    let again = false;
    if (this.transition) {
      const u = Math.min(1, (now - this.transition.start) / this.transition.duration);
      this.transitionT = u < 0.5 ? 4 * u * u * u : 1 - Math.pow(-2 * u + 2, 3) / 2;
      if (u >= 1) this.finishTransition();
      else again = true;
      points = true;
    }
    if (this.flight) {
      const u = Math.min(1, (now - this.flight.start) / this.flight.duration);
      const e = u < 0.5 ? 2 * u * u : 1 - Math.pow(-2 * u + 2, 2) / 2;
      const f = this.flight.from, t = this.flight.to;
      this.cameraValue = {
        centerX: f.centerX + (t.centerX - f.centerX) * e,
        centerY: f.centerY + (t.centerY - f.centerY) * e,
        zoom: Math.exp(Math.log(f.zoom) + (Math.log(t.zoom) - Math.log(f.zoom)) * e),
      };
      if (u >= 1) {
        this.flight = null;
        this.changed();
      } else again = true;
      points = true;
    }
    const started = performance.now();
    const { width, height, resized } = this.renderer.resize();
    // A resized canvas is cleared: its points are drawn again.
    if (resized) points = true;
    const theme = THEMES[this.view.theme];
    const css = this.viewport();
    const ratio = window.devicePixelRatio || 1;
    if (points) {
      this.pointsDirty = false;
      const sincePrevious = now - this.previousFrameAt;
      if (sincePrevious < 1500) this.frameInterval = sincePrevious;
      this.previousFrameAt = now;
      this.renderer.clear(theme.background);
      if (this.mode === '3d' && this.galaxy) {
        const focal = this.orbit.focalPixels(css.height);
        this.renderer.draw3d(this.orbit.viewProjection(css.width / css.height), this.view.sizeMultiplier * focal * GALAXY_SIZE, this.drawLimit(now), GALAXY_MAX_PX * ratio);
      } else {
        this.renderer.draw2d({
          centerX: this.camera.centerX,
          centerY: this.camera.centerY,
          pixelsPerUnit: this.pixelsPerUnit(),
          t: this.transition ? this.transitionT : 0,
          sizeScale: this.pointScale(),
        }, this.drawLimit(now));
      }
    }
    const ctx = this.overlay;
    if (ctx.canvas.width !== width || ctx.canvas.height !== height) {
      ctx.canvas.width = width;
      ctx.canvas.height = height;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, css.width, css.height);
    if (this.view.density && this.mode === '2d' && !this.transition) {
      const c = this.camera;
      const key = `${this.layout}|${c.centerX}|${c.centerY}|${c.zoom}|${css.width}x${css.height}|${this.view.theme}|${this.filterVersion}`;
      this.density.draw(ctx, key, css.width, css.height, this.positions(), this.view.visible, { centerX: c.centerX, centerY: c.centerY, pixelsPerUnit: this.pixelsPerUnit() }, THEMES[this.view.theme].density);
    }
    for (const n of this.neighborRows) {
      if (!this.view.visible[n]) continue;
      const p = this.screenPosition(n);
      if (!p) continue;
      ctx.beginPath();
      ctx.arc(p[0], p[1], this.screenRadius(n) + 3, 0, Math.PI * 2);
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = theme.text;
      ctx.globalAlpha = 0.6;
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    for (const [row, color, extra] of [[this.hovered, '#888', 2], [this.view.selected, theme.text, 4]] as const) {
      if (row < 0) continue;
      const p = this.screenPosition(row);
      if (!p) continue;
      const hidden = !this.view.visible[row];
      ctx.beginPath();
      ctx.arc(p[0], p[1], (hidden ? 6 : this.screenRadius(row)) + extra, 0, Math.PI * 2);
      ctx.lineWidth = 2;
      ctx.strokeStyle = color;
      // A selected entity the filters hide: a dashed ring where it would be.
      ctx.setLineDash(hidden ? [4, 3] : []);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    if (this.lasso && this.lasso.length > 1) {
      ctx.beginPath();
      ctx.moveTo(this.lasso[0][0], this.lasso[0][1]);
      for (const [x, y] of this.lasso.slice(1)) ctx.lineTo(x, y);
      ctx.closePath();
      ctx.fillStyle = this.view.theme === 'dark' ? 'rgba(127,176,255,0.12)' : 'rgba(34,102,204,0.1)';
      ctx.fill();
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = theme.text;
      ctx.stroke();
      ctx.setLineDash([]);
    }
    this.drawLabels(ctx, css.width, css.height);
    this.lastFrameMs = performance.now() - started;
    this.frames++;
    if (again) this.requestRender();
  }
}

/** Whether (x, y) lies inside a polygon (even-odd rule). */
export function insidePolygon(x: number, y: number, polygon: [number, number][]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i], [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
