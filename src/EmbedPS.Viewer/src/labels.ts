// Labels that name regions, not members. The visible points are binned on grids of four resolutions (map: 4, 8, 16
// and 32 cells a side; galaxy: 6 a side in 3-D); every cell denser than its neighbours is a region. A region is
// named by the majority value of the colour field with its share ("perl · 92 %") when that value holds at least half
// of the region's points; otherwise by the words of the label and search fields most over-represented in the region
// against all visible points ("jazz, blues"); otherwise it gets no label (a popular member names nothing). Placement
// allows at most one label per screen cell (LABEL_CELL) and no overlaps, at every zoom and in both modes.
import type { Column } from './data';

export const LABEL_CELL = { width: 160, height: 40 };

export interface RegionLabel {
  x: number;
  y: number;
  z: number;
  text: string;
  /** 0 = coarsest grid. */
  level: number;
  weight: number;
  /** How well the text names the region: the majority's share, or 0.6 for distinguishing words. */
  purity: number;
}

export interface LabelSource {
  count: number;
  visible: Uint8Array;
  color: Column | undefined;
  /** The text fields whose words can name a region (label first). */
  words: ((row: number) => string)[];
}

const STOP = new Set(['the', 'and', 'for', 'with', 'from', 'that', 'this', 'are', 'was', 'not', 'but', 'its', 'into', 'has', 'have', 'had', 'of', 'to', 'in', 'on', 'by', 'an', 'or', 'as', 'at', 'is', 'it', 'be', 'which', 'who', 'whom', 'their', 'than', 'other', 'also', 'one', 'two', 'item']);

/** The words of a text, lower-cased; `spelling` (when given) records how each was first written. */
function tokens(text: string, spelling?: Map<string, string>): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[^\p{L}\p{N}]+/u)) {
    const w = raw.toLowerCase();
    if (w.length < 3 || STOP.has(w) || /^\d+$/.test(w)) continue;
    out.push(w);
    if (spelling && !spelling.has(w)) spelling.set(w, raw);
  }
  return out;
}

/** Word statistics of all visible points (a sample of at most 20,000), computed once per label computation. */
class WordStats {
  private global: Map<string, number> | null = null;
  private sampled = 0;

  constructor(private readonly source: LabelSource) {}

  private ensure(): void {
    if (this.global) return;
    this.global = new Map();
    const { count, visible } = this.source;
    let n = 0;
    for (let i = 0; i < count; i++) n += visible[i];
    const stride = Math.max(1, Math.floor(n / 20000));
    let k = 0;
    for (let i = 0; i < count; i++) {
      if (!visible[i] || k++ % stride !== 0) continue;
      this.sampled++;
      for (const w of new Set(this.source.words.flatMap((f) => tokens(f(i))))) this.global.set(w, (this.global.get(w) ?? 0) + 1);
    }
  }

  /** The (at most two) words over-represented in the rows: in ≥ 2 rows and ≥ 8 % of them, at ≥ 3× their overall rate. */
  distinguishing(rows: number[]): string | null {
    if (this.source.words.length === 0 || rows.length < 4) return null;
    this.ensure();
    const stride = Math.max(1, Math.floor(rows.length / 400));
    const local = new Map<string, number>();
    const spelling = new Map<string, string>();
    let n = 0;
    for (let j = 0; j < rows.length; j += stride) {
      n++;
      for (const w of new Set(this.source.words.flatMap((f) => tokens(f(rows[j]), spelling)))) local.set(w, (local.get(w) ?? 0) + 1);
    }
    const scored: [string, number][] = [];
    for (const [w, c] of local) {
      if (c < 2 || c < 0.08 * n) continue;
      const lift = c / n / (((this.global!.get(w) ?? 0) + 1) / Math.max(1, this.sampled));
      if (lift >= 3) scored.push([w, (c / n) * Math.log(lift)]);
    }
    scored.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return scored.length ? scored.slice(0, 2).map((s) => spelling.get(s[0]) ?? s[0]).join(', ') : null;
  }
}

/**
 * Names a region from its rows: the majority colour category with its share (placed at the centroid of that
 * category's rows, so the label sits on them), or distinguishing words (at the centroid of all rows), or null.
 */
function nameRegion(rows: number[], source: LabelSource, words: WordStats): { text: string; purity: number; members: number[] } | null {
  const color = source.color;
  if (color?.kind === 'category') {
    const counts = new Map<number, number>();
    for (const r of rows) counts.set(color.codes[r], (counts.get(color.codes[r]) ?? 0) + 1);
    let best = -1, bestCount = 0;
    for (const [code, c] of counts) if (c > bestCount || (c === bestCount && code < best)) { best = code; bestCount = c; }
    const share = bestCount / rows.length;
    if (share >= 0.5 && best !== color.meta.missing) return { text: `${color.meta.categories![best]} · ${Math.round(share * 100)} %`, purity: share, members: rows.filter((r) => color.codes[r] === best) };
  }
  const text = words.distinguishing(rows);
  return text ? { text, purity: 0.6, members: rows } : null;
}

/** Map labels for one layout: regions of four grid resolutions over the layout's view rectangle. */
export function regionLabels2d(positions: Float32Array, view: [number, number, number, number], source: LabelSource): RegionLabel[] {
  const words = new WordStats(source);
  const labels: RegionLabel[] = [];
  const { count, visible } = source;
  const extent = Math.max(view[2] - view[0], view[3] - view[1], 1e-9);
  const cx0 = (view[0] + view[2]) / 2 - extent / 2, cy0 = (view[1] + view[3]) / 2 - extent / 2;
  let total = 0;
  for (let i = 0; i < count; i++) total += visible[i];
  if (total === 0) return labels;
  [4, 8, 16, 32].forEach((side, level) => {
    const cells = side * side;
    const cellOf = new Int32Array(count).fill(-1);
    const counts = new Uint32Array(cells);
    for (let i = 0; i < count; i++) {
      if (!visible[i]) continue;
      const gx = Math.floor(((positions[2 * i] - cx0) / extent) * side), gy = Math.floor(((positions[2 * i + 1] - cy0) / extent) * side);
      if (gx < 0 || gy < 0 || gx >= side || gy >= side) continue;
      cellOf[i] = gy * side + gx;
      counts[gy * side + gx]++;
    }
    // A region: a cell holding at least 2 % of the visible points at the coarsest grid (a quarter of that per finer
    // grid, as cells shrink; never fewer than 5 points) that no neighbour beats.
    const minimum = Math.max(5, (total * 0.02) / Math.pow(4, level));
    const peaks: number[] = [];
    for (let c = 0; c < cells; c++) {
      if (counts[c] < minimum) continue;
      const gx = c % side, gy = Math.floor(c / side);
      let peak = true;
      for (let dy = -1; dy <= 1 && peak; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = gx + dx, ny = gy + dy;
          if ((dx || dy) && nx >= 0 && ny >= 0 && nx < side && ny < side) {
            const m = counts[ny * side + nx];
            if (m > counts[c] || (m === counts[c] && ny * side + nx < c)) { peak = false; break; }
          }
        }
      }
      if (peak) peaks.push(c);
    }
    if (peaks.length === 0) return;
    const isPeak = new Int32Array(cells).fill(-1);
    peaks.forEach((c, k) => (isPeak[c] = k));
    const rows: number[][] = peaks.map(() => []);
    for (let i = 0; i < count; i++) if (cellOf[i] >= 0 && isPeak[cellOf[i]] >= 0) rows[isPeak[cellOf[i]]].push(i);
    peaks.forEach((c, k) => {
      const name = nameRegion(rows[k], source, words);
      if (!name) return;
      let sx = 0, sy = 0;
      for (const r of name.members) { sx += positions[2 * r]; sy += positions[2 * r + 1]; }
      labels.push({ x: sx / name.members.length, y: sy / name.members.length, z: 0, text: name.text, level, weight: counts[c], purity: name.purity });
    });
  });
  return labels;
}

/** Galaxy labels: regions of a 6×6×6 grid over the visible points' bounding box. */
export function regionLabels3d(positions: Float32Array, source: LabelSource): RegionLabel[] {
  const words = new WordStats(source);
  const { count, visible } = source;
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  let total = 0;
  for (let i = 0; i < count; i++) {
    if (!visible[i]) continue;
    total++;
    for (let d = 0; d < 3; d++) {
      const v = positions[3 * i + d];
      if (v < lo[d]) lo[d] = v;
      if (v > hi[d]) hi[d] = v;
    }
  }
  if (total === 0) return [];
  const side = 6;
  const cellOf = new Int32Array(count).fill(-1);
  const counts = new Uint32Array(side * side * side);
  const index = (p: number, d: number) => Math.min(side - 1, Math.max(0, Math.floor(((p - lo[d]) / Math.max(hi[d] - lo[d], 1e-9)) * side)));
  for (let i = 0; i < count; i++) {
    if (!visible[i]) continue;
    const c = (index(positions[3 * i + 2], 2) * side + index(positions[3 * i + 1], 1)) * side + index(positions[3 * i], 0);
    cellOf[i] = c;
    counts[c]++;
  }
  const minimum = Math.max(5, total * 0.01);
  const peaks: number[] = [];
  for (let c = 0; c < counts.length; c++) {
    if (counts[c] < minimum) continue;
    const x = c % side, y = Math.floor(c / side) % side, z = Math.floor(c / side / side);
    let peak = true;
    for (let dz = -1; dz <= 1 && peak; dz++)
      for (let dy = -1; dy <= 1 && peak; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, ny = y + dy, nz = z + dz;
          if (!(dx || dy || dz) || nx < 0 || ny < 0 || nz < 0 || nx >= side || ny >= side || nz >= side) continue;
          const n = (nz * side + ny) * side + nx;
          if (counts[n] > counts[c] || (counts[n] === counts[c] && n < c)) { peak = false; break; }
        }
    if (peak) peaks.push(c);
  }
  const isPeak = new Int32Array(counts.length).fill(-1);
  peaks.forEach((c, k) => (isPeak[c] = k));
  const rows: number[][] = peaks.map(() => []);
  for (let i = 0; i < count; i++) if (cellOf[i] >= 0 && isPeak[cellOf[i]] >= 0) rows[isPeak[cellOf[i]]].push(i);
  const labels: RegionLabel[] = [];
  peaks.forEach((c, k) => {
    const name = nameRegion(rows[k], source, words);
    if (!name) return;
    const m = name.members;
    let sx = 0, sy = 0, sz = 0;
    for (const r of m) { sx += positions[3 * r]; sy += positions[3 * r + 1]; sz += positions[3 * r + 2]; }
    labels.push({ x: sx / m.length, y: sy / m.length, z: sz / m.length, text: name.text, level: 0, weight: counts[c], purity: name.purity });
  });
  return labels;
}

/** Shortens a text with an ellipsis to fit a width (never squeezes the glyphs). */
export function fitText(ctx: CanvasRenderingContext2D, text: string, maxWidth: number): string {
  if (ctx.measureText(text).width <= maxWidth) return text;
  let lo = 0, hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ctx.measureText(text.slice(0, mid) + '…').width <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + '…';
}

/** Places labels: at most one per LABEL_CELL screen cell, none overlapping another or a reserved rectangle. */
export class LabelPlacer {
  readonly placed: { text: string; x: number; y: number }[] = [];
  private readonly boxes: [number, number, number, number][] = [];
  private readonly cells = new Set<string>();

  constructor(private readonly ctx: CanvasRenderingContext2D, private readonly width: number, private readonly height: number, private readonly colors: { text: string; halo: string }) {}

  reserve(box: [number, number, number, number]): void {
    this.boxes.push(box);
  }

  place(text: string, x: number, y: number, font: string, maxWidth = 220): boolean {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return false;
    const cell = `${Math.floor(x / LABEL_CELL.width)},${Math.floor(y / LABEL_CELL.height)}`;
    if (this.cells.has(cell)) return false;
    const ctx = this.ctx;
    ctx.font = font;
    const shown = fitText(ctx, text, maxWidth);
    const w = ctx.measureText(shown).width + 6;
    const h = 16;
    const box: [number, number, number, number] = [x - w / 2, y - h / 2, x + w / 2, y + h / 2];
    if (box[0] < 0 || box[2] > this.width || box[1] < 0 || box[3] > this.height) return false;
    for (const p of this.boxes) if (box[0] < p[2] && box[2] > p[0] && box[1] < p[3] && box[3] > p[1]) return false;
    this.boxes.push(box);
    this.cells.add(cell);
    this.placed.push({ text, x, y });
    ctx.lineWidth = 3.5;
    ctx.strokeStyle = this.colors.halo;
    ctx.strokeText(shown, x, y);
    ctx.fillStyle = this.colors.text;
    ctx.fillText(shown, x, y);
    return true;
  }
}
