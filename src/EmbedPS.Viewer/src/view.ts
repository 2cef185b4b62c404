// The view state: one object that holds what the user chose to see — the colour field, the filters (legend toggles,
// filter checkboxes, range sliders and "isolate selection" all write the same filter map), the group selection, the
// selected entity, the highlighted items, theme, point size and the density layer — with setters and change events.
// Everything that shows a part of it (legend, checkboxes, counts, labels, search results, the URL) listens and
// follows; nothing else writes it. Visibility is derived here, per filter, so that crossfilter views (histograms,
// category counts over the points passing the *other* filters) cost one pass.
import type { Column } from './data';

export type FilterSpec = { in?: string[]; min?: number; max?: number };

/** What changed: listeners re-derive only what depends on it. */
export type ViewChange = 'filter' | 'color' | 'selection' | 'selected' | 'highlight' | 'theme' | 'size' | 'density';

/** The key "isolate selection" takes in the filter model (never a field name: fields cannot start with '@'). */
export const ISOLATE = '@selection';

export interface ViewData {
  readonly count: number;
  readonly ids: string[];
  column(name: string | null): Column | undefined;
}

export class ViewState {
  // What the user chose, read through the getters below and changed only through the setters (which emit the change).
  private colorValue: string | null;
  private themeValue: 'light' | 'dark';
  private sizeValue = 1;
  private densityValue = false;
  private selectedRow = -1;
  private highlightMask: Uint8Array | null = null;
  private highlightList: string[] = [];
  private selectionMask: Uint8Array | null = null;
  private selectionSize = 0;

  private readonly filterSpecs = new Map<string, FilterSpec>();
  /** "Isolate selection": the isolated rows (a filter like the others). */
  private isolated: Uint8Array | null = null;
  private isolatedIds: string[] = [];
  /** Per filter, 1 where the row fails it; per row, how many filters it fails. */
  private readonly fails = new Map<string, Uint8Array>();
  private readonly failCount: Uint8Array;
  readonly visible: Uint8Array;
  private visibleTotal: number;
  private readonly listeners: ((change: ViewChange) => void)[] = [];
  /** Histograms over every row (no other filter), by field and bin count. */
  private readonly fullHistograms = new Map<string, number[]>();

  constructor(private readonly data: ViewData, colorField: string | null, theme: 'light' | 'dark') {
    this.colorValue = colorField;
    this.themeValue = theme;
    this.failCount = new Uint8Array(data.count);
    this.visible = new Uint8Array(data.count).fill(1);
    this.visibleTotal = data.count;
  }

  get colorField(): string | null {
    return this.colorValue;
  }

  get theme(): 'light' | 'dark' {
    return this.themeValue;
  }

  get sizeMultiplier(): number {
    return this.sizeValue;
  }

  get density(): boolean {
    return this.densityValue;
  }

  /** The entity shown in the details panel, -1 when none. */
  get selected(): number {
    return this.selectedRow;
  }

  /** "My items": a mask of highlighted rows (null: none) and the ids the user gave. */
  get highlighted(): Uint8Array | null {
    return this.highlightMask;
  }

  get highlightIds(): readonly string[] {
    return this.highlightList;
  }

  /** The group selection (lasso, box): a mask (null: none) and its size. */
  get selection(): Uint8Array | null {
    return this.selectionMask;
  }

  get selectionCount(): number {
    return this.selectionSize;
  }

  on(listener: (change: ViewChange) => void): void {
    this.listeners.push(listener);
  }

  private emit(change: ViewChange): void {
    for (const listener of this.listeners) listener(change);
  }

  // ---------- filters ----------

  get filters(): ReadonlyMap<string, FilterSpec> {
    return this.filterSpecs;
  }

  visibleCount(): number {
    return this.visibleTotal;
  }

  /** Sets (or, with null, clears) the filter on one field; a category list naming every category clears it. */
  setFilter(field: string, spec: FilterSpec | string[] | null, notify = true): void {
    const column = this.data.column(field);
    if (!column) throw new Error(`No field '${field}'.`);
    let value: FilterSpec | null = Array.isArray(spec) ? { in: spec.map(String) } : spec;
    if (value && column.kind === 'category') {
      const all = column.meta.categories!;
      const allowed = new Set((value.in ?? all).map(String).filter((v) => all.includes(v)));
      value = allowed.size === all.length ? null : { in: all.filter((c) => allowed.has(c)) };
    } else if (value && column.kind === 'number') {
      const min = Number.isFinite(value.min) ? value.min : undefined, max = Number.isFinite(value.max) ? value.max : undefined;
      value = (min === undefined || min <= column.meta.min!) && (max === undefined || max >= column.meta.max!) ? null : { min: min ?? column.meta.min!, max: max ?? column.meta.max! };
    } else if (value && column.kind === 'text') value = null;
    if (value) this.filterSpecs.set(field, value);
    else this.filterSpecs.delete(field);
    this.recompute();
    if (notify) this.emit('filter');
  }

  clearFilters(): void {
    this.filterSpecs.clear();
    this.isolated = null;
    this.isolatedIds = [];
    this.recompute();
    this.emit('filter');
  }

  /** Whether a category of a field passes that field's filter (what its legend row and checkbox show). */
  categoryShown(field: string, code: number): boolean {
    const spec = this.filterSpecs.get(field);
    const column = this.data.column(field);
    if (!spec?.in || column?.kind !== 'category') return true;
    return spec.in.includes(column.meta.categories![code]);
  }

  /** Legend click: shows or hides one category; `only` shows only it (again: shows all). */
  toggleCategory(field: string, code: number, only = false): void {
    const column = this.data.column(field);
    if (column?.kind !== 'category') return;
    const all = column.meta.categories!;
    const shown = new Set(all.filter((_, c) => this.categoryShown(field, c)));
    if (only) {
      const isolatedAlready = shown.size === 1 && shown.has(all[code]);
      this.setFilter(field, isolatedAlready ? null : [all[code]]);
      return;
    }
    if (shown.has(all[code])) shown.delete(all[code]);
    else shown.add(all[code]);
    this.setFilter(field, [...shown]);
  }

  /** The categories of the colour field its filter hides (the legend's "hidden" entries). */
  hiddenCategories(): string[] {
    const column = this.data.column(this.colorField);
    const spec = this.colorField ? this.filterSpecs.get(this.colorField) : undefined;
    if (column?.kind !== 'category' || !spec?.in) return [];
    return column.meta.categories!.filter((c) => !spec.in!.includes(c));
  }

  get isolatedRows(): Uint8Array | null {
    return this.isolated;
  }

  get isolatedIdList(): string[] {
    return this.isolatedIds;
  }

  /** "Isolate": only these rows pass (null: no isolation). */
  setIsolated(rows: Uint8Array | null, notify = true): void {
    let n = 0;
    if (rows) for (let i = 0; i < rows.length; i++) n += rows[i];
    this.isolated = rows && n > 0 ? rows : null;
    this.isolatedIds = [];
    if (this.isolated) for (let i = 0; i < this.isolated.length; i++) if (this.isolated[i]) this.isolatedIds.push(this.data.ids[i]);
    this.recompute();
    if (notify) this.emit('filter');
  }

  /** The filters a row fails, by key (a field name or ISOLATE). */
  failedFilters(row: number): string[] {
    const result: string[] = [];
    for (const [key, mask] of this.fails) if (mask[row]) result.push(key);
    return result;
  }

  /** Whether a row passes every filter except the one on `key` (crossfilter). */
  passesExcept(key: string, row: number): boolean {
    const own = this.fails.get(key);
    return this.failCount[row] - (own ? own[row] : 0) === 0;
  }

  /** Makes a hidden row visible by widening the filters that hide it (and nothing else). */
  reveal(row: number): void {
    for (const key of this.failedFilters(row)) {
      if (key === ISOLATE) {
        const rows = this.isolated!.slice();
        rows[row] = 1;
        this.setIsolated(rows, false);
        continue;
      }
      const column = this.data.column(key)!;
      const spec = this.filterSpecs.get(key)!;
      if (column.kind === 'category') this.setFilter(key, [...(spec.in ?? []), column.meta.categories![column.codes[row]]], false);
      else if (column.kind === 'number') {
        const v = column.values[row];
        if (Number.isNaN(v)) this.setFilter(key, null, false);
        else this.setFilter(key, { min: Math.min(spec.min ?? v, v), max: Math.max(spec.max ?? v, v) }, false);
      }
    }
    this.emit('filter');
  }

  private recompute(): void {
    const n = this.data.count;
    this.fails.clear();
    const failCount = this.failCount;
    failCount.fill(0);
    for (const [name, spec] of this.filterSpecs) {
      const column = this.data.column(name);
      if (!column) continue;
      const fail = new Uint8Array(n);
      if (column.kind === 'category' && spec.in) {
        const allowed = new Uint8Array(column.meta.categories!.length);
        for (const value of spec.in) {
          const code = column.meta.categories!.indexOf(value);
          if (code >= 0) allowed[code] = 1;
        }
        for (let i = 0; i < n; i++) if (!allowed[column.codes[i]]) fail[i] = 1;
      } else if (column.kind === 'number') {
        const min = spec.min ?? -Infinity, max = spec.max ?? Infinity;
        for (let i = 0; i < n; i++) {
          const v = column.values[i];
          if (!(v >= min && v <= max)) fail[i] = 1;
        }
      } else continue;
      this.fails.set(name, fail);
      for (let i = 0; i < n; i++) failCount[i] += fail[i];
    }
    if (this.isolated) {
      const fail = new Uint8Array(n);
      for (let i = 0; i < n; i++) fail[i] = this.isolated[i] ? 0 : 1;
      this.fails.set(ISOLATE, fail);
      for (let i = 0; i < n; i++) failCount[i] += fail[i];
    }
    let total = 0;
    for (let i = 0; i < n; i++) {
      const v = failCount[i] === 0 ? 1 : 0;
      this.visible[i] = v;
      total += v;
    }
    this.visibleTotal = total;
  }

  // ---------- crossfilter summaries ----------

  /** Per category of a field, the rows passing every other filter. */
  categoryCounts(field: string): number[] {
    const column = this.data.column(field);
    if (column?.kind !== 'category') return [];
    const counts = new Array<number>(column.meta.categories!.length).fill(0);
    const own = this.fails.get(field);
    // No other filter: the exporter's counts over all rows are the answer.
    if (this.fails.size === (own ? 1 : 0) && column.meta.counts?.length === counts.length) return column.meta.counts.slice();
    const failCount = this.failCount, codes = column.codes, n = this.data.count;
    for (let i = 0; i < n; i++) if (failCount[i] - (own ? own[i] : 0) === 0) counts[codes[i]]++;
    return counts;
  }

  /**
   * The histogram of a number field over the rows passing every other filter: `bins` equal steps between the field's
   * min and max (of the logarithm on a log-scale field); the last bin includes the max.
   */
  histogram(field: string, bins = 40): number[] {
    const column = this.data.column(field);
    if (column?.kind !== 'number') return [];
    const counts = new Array<number>(bins).fill(0);
    const log = !!column.meta.log;
    const lo = log ? Math.log(column.meta.min!) : column.meta.min!;
    const hi = log ? Math.log(column.meta.max!) : column.meta.max!;
    const width = hi > lo ? (hi - lo) / bins : 1;
    const own = this.fails.get(field);
    const unfiltered = this.fails.size === (own ? 1 : 0);
    const cached = unfiltered ? this.fullHistograms.get(`${field}|${bins}`) : undefined;
    if (cached) return cached.slice();
    const failCount = this.failCount, values = column.values, n = this.data.count;
    for (let i = 0; i < n; i++) {
      const raw = values[i];
      if (Number.isNaN(raw) || failCount[i] - (own ? own[i] : 0) !== 0) continue;
      const v = log ? Math.log(raw) : raw;
      counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
    }
    // Over all rows it never changes: kept, as "Clear all filters" and the first view ask for it again.
    if (unfiltered) this.fullHistograms.set(`${field}|${bins}`, counts.slice());
    return counts;
  }

  // ---------- colour, selection, highlight, appearance ----------

  setColor(field: string | null): void {
    if (field !== null) {
      const column = this.data.column(field);
      if (!column) throw new Error(`No field '${field}'.`);
      if (column.kind === 'text') throw new Error(`'${field}' is a text field; colour by a category or number field.`);
    }
    this.colorValue = field;
    this.emit('color');
  }

  /** Replaces, extends or reduces the group selection by a mask of rows. */
  setSelection(rows: Uint8Array | null, mode: 'replace' | 'add' | 'subtract' = 'replace'): number {
    const n = this.data.count;
    let next: Uint8Array | null;
    if (mode === 'replace' || !this.selection) next = mode === 'subtract' ? null : rows ? rows.slice() : null;
    else {
      next = this.selection.slice();
      if (rows) for (let i = 0; i < n; i++) if (rows[i]) next[i] = mode === 'add' ? 1 : 0;
    }
    let count = 0;
    if (next) for (let i = 0; i < n; i++) count += next[i];
    this.selectionMask = count > 0 ? next : null;
    this.selectionSize = count;
    this.emit('selection');
    return count;
  }

  selectedRows(): number[] {
    const rows: number[] = [];
    if (this.selection) for (let i = 0; i < this.data.count; i++) if (this.selection[i]) rows.push(i);
    return rows;
  }

  setSelected(row: number): void {
    if (row === this.selectedRow) return;
    this.selectedRow = row;
    this.emit('selected');
  }

  setHighlight(mask: Uint8Array | null, ids: string[]): void {
    this.highlightMask = mask;
    this.highlightList = mask ? ids : [];
    this.emit('highlight');
  }

  setTheme(theme: 'light' | 'dark'): void {
    this.themeValue = theme;
    this.emit('theme');
  }

  setSizeMultiplier(value: number): void {
    this.sizeValue = Math.min(5, Math.max(0.2, value));
    this.emit('size');
  }

  setDensity(on: boolean): void {
    this.densityValue = on;
    this.emit('density');
  }
}
