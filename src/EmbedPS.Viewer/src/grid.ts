// A uniform grid over one layout for hover picking and viewport queries: about four points a cell, built by a
// counting sort in two passes (no per-point allocation), so a million points index in a few tens of milliseconds.

export class PointGrid {
  private readonly cellStart: Uint32Array;
  private readonly items: Uint32Array;
  readonly side: number;
  private readonly x0: number;
  private readonly y0: number;
  private readonly cellSize: number;

  constructor(private readonly positions: Float32Array, count: number, bounds: [number, number, number, number]) {
    this.side = Math.max(1, Math.min(4096, Math.ceil(Math.sqrt(count / 4))));
    this.x0 = bounds[0];
    this.y0 = bounds[1];
    this.cellSize = Math.max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1e-9) / this.side * 1.000001;
    const cells = this.side * this.side;
    const cellOf = new Uint32Array(count);
    const counts = new Uint32Array(cells + 1);
    for (let i = 0; i < count; i++) {
      const c = this.cellIndex(positions[2 * i], positions[2 * i + 1]);
      cellOf[i] = c;
      counts[c + 1]++;
    }
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    this.cellStart = counts;
    const fill = counts.slice(0, cells);
    this.items = new Uint32Array(count);
    for (let i = 0; i < count; i++) this.items[fill[cellOf[i]]++] = i;
  }

  private clampCell(v: number): number {
    return Math.max(0, Math.min(this.side - 1, Math.floor(v)));
  }

  private cellIndex(x: number, y: number): number {
    return this.clampCell((y - this.y0) / this.cellSize) * this.side + this.clampCell((x - this.x0) / this.cellSize);
  }

  /** Calls visit(i) for every point in cells overlapping the rectangle; stops early when visit returns false. */
  forEachInRect(xmin: number, ymin: number, xmax: number, ymax: number, visit: (i: number) => boolean | void): void {
    const cx0 = this.clampCell((xmin - this.x0) / this.cellSize), cx1 = this.clampCell((xmax - this.x0) / this.cellSize);
    const cy0 = this.clampCell((ymin - this.y0) / this.cellSize), cy1 = this.clampCell((ymax - this.y0) / this.cellSize);
    for (let cy = cy0; cy <= cy1; cy++) {
      for (let cx = cx0; cx <= cx1; cx++) {
        const c = cy * this.side + cx;
        for (let k = this.cellStart[c]; k < this.cellStart[c + 1]; k++) {
          if (visit(this.items[k]) === false) return;
        }
      }
    }
  }

  /** The number of cells a rectangle overlaps (to bound the cost of a query before running it). */
  cellsInRect(xmin: number, ymin: number, xmax: number, ymax: number): number {
    const w = this.clampCell((xmax - this.x0) / this.cellSize) - this.clampCell((xmin - this.x0) / this.cellSize) + 1;
    const h = this.clampCell((ymax - this.y0) / this.cellSize) - this.clampCell((ymin - this.y0) / this.cellSize) + 1;
    return w * h;
  }

  /**
   * The point under (x, y): among points whose disc (radiusOf(i) world units, plus a tolerance) covers it, the one
   * drawn last (smallest, as small points are drawn on top), ties to the nearest. -1 when none.
   */
  pick(x: number, y: number, maxRadius: number, tolerance: number, radiusOf: (i: number) => number, eligible: (i: number) => boolean): number {
    let best = -1, bestRadius = Infinity, bestDistance = Infinity;
    const reach = maxRadius + tolerance;
    this.forEachInRect(x - reach, y - reach, x + reach, y + reach, (i) => {
      if (!eligible(i)) return;
      const dx = this.positions[2 * i] - x, dy = this.positions[2 * i + 1] - y;
      const d = Math.sqrt(dx * dx + dy * dy);
      const r = radiusOf(i);
      if (d > r + tolerance) return;
      if (r < bestRadius || (r === bestRadius && d < bestDistance)) {
        best = i;
        bestRadius = r;
        bestDistance = d;
      }
    });
    return best;
  }
}
