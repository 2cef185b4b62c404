// The atlas' data: the description (meta), ids, metadata columns, layouts, the galaxy coordinates, the search index,
// the details neighbours (in chunks) and the neighbourhood changes, with their loading. Loading comes in two steps so
// that the map draws as early as it can: first() loads only what the first frame needs (one layout, the colour and
// size columns); all() loads the rest (ids, every other column) right after it, and whatever a panel needs later
// (other layouts, the galaxy, the search index, a neighbour chunk) loads on first use. Nothing here knows about the
// screen; the view state (view.ts) and the Atlas coordinator (atlas.ts) read it, nothing writes it.
import { AtlasMeta, Column, cellText, decodeBase64, forgetData, loadColumn, loadData, loadFloat32 } from './data';
import { PrebuiltSearch, SearchEngine, SearchIndex } from './search';

export class AtlasData {
  readonly count: number;
  private idList: string[] | null = null;
  private idIndex: Map<string, number> | null = null;
  private readonly columnMap = new Map<string, Column>();
  private readonly columnLoads = new Map<string, Promise<Column>>();
  private readonly layoutData: (Float32Array | null)[];
  private readonly layoutLoads = new Map<number, Promise<Float32Array>>();
  private galaxyData: Float32Array | null = null;
  private galaxyLoad: Promise<Float32Array> | null = null;
  private allLoad: Promise<void> | null = null;
  private readonly completeListeners: (() => void)[] = [];

  private naive: SearchIndex | null = null;
  private prebuilt: PrebuiltSearch | null = null;
  private searchLoad: Promise<void> | null = null;
  /** The index could not be loaded (a damaged folder): search falls back to the plain scan. */
  private searchFailed = false;
  /** When (performance.now) the search index was ready; null before. */
  searchReadyAt: number | null = null;
  /** When (performance.now) every id and column was in; null before. */
  completeAt: number | null = null;

  private readonly neighborChunks = new Map<number, Int32Array>();
  private readonly changes = new Map<string, Uint8Array>();

  private constructor(readonly meta: AtlasMeta) {
    this.count = meta.count;
    this.layoutData = meta.layouts.map(() => null);
  }

  /** Loads the atlas description (data/meta.js). */
  static async open(): Promise<AtlasData> {
    return new AtlasData((await loadData('meta')) as AtlasMeta);
  }

  // ---------- loading ----------

  /** Loads what a first frame needs: these layouts and these columns (unknown names are skipped). */
  async first(layouts: number[], fields: (string | null)[]): Promise<void> {
    await Promise.all([
      ...layouts.map((i) => this.loadLayout(i)),
      ...fields.filter((f): f is string => !!f && this.meta.fields.some((m) => m.name === f)).map((f) => this.loadField(f)),
    ]);
  }

  /** Loads the ids and every column, once; every reader below answers fully after it. */
  all(): Promise<void> {
    if (!this.allLoad) {
      this.allLoad = Promise.all([
        this.idList ? Promise.resolve() : (loadData(this.meta.ids) as Promise<string[]>).then((ids) => {
          this.idList = ids;
          forgetData(this.meta.ids);
        }),
        ...this.meta.fields.map((f) => this.loadField(f.name)),
      ]).then(() => {
        this.completeAt = performance.now();
        for (const listener of this.completeListeners.splice(0)) listener();
      });
    }
    return this.allLoad;
  }

  /** Whether the ids and every column are in (all() resolved). */
  get complete(): boolean {
    return this.completeAt !== null;
  }

  /** Calls back once the ids and every column are in (at once when they are). */
  onComplete(listener: () => void): void {
    if (this.complete) listener();
    else this.completeListeners.push(listener);
  }

  private loadField(name: string): Promise<Column> {
    let loading = this.columnLoads.get(name);
    if (!loading) {
      const meta = this.meta.fields.find((f) => f.name === name)!;
      loading = loadColumn(meta).then((column) => {
        this.columnMap.set(name, column);
        forgetData(meta.file);
        return column;
      });
      this.columnLoads.set(name, loading);
    }
    return loading;
  }

  /** A layout's positions (x, y per row), loaded on first use. */
  loadLayout(index: number): Promise<Float32Array> {
    const have = this.layoutData[index];
    if (have) return Promise.resolve(have);
    let loading = this.layoutLoads.get(index);
    if (!loading) {
      const file = this.meta.layouts[index].file;
      loading = loadFloat32(file).then((positions) => {
        this.layoutData[index] = positions;
        forgetData(file);
        return positions;
      });
      this.layoutLoads.set(index, loading);
    }
    return loading;
  }

  /** A loaded layout's positions; null while it is not loaded. */
  layout(index: number): Float32Array | null {
    return this.layoutData[index] ?? null;
  }

  /** The galaxy's 3-D coordinates, loaded on first use. */
  loadGalaxy(): Promise<Float32Array> {
    if (!this.meta.galaxy) return Promise.reject(new Error('This atlas has no 3-D embedding (export with -Embedding).'));
    if (!this.galaxyLoad) {
      const file = this.meta.galaxy.file;
      this.galaxyLoad = loadFloat32(file).then((positions) => {
        this.galaxyData = positions;
        forgetData(file);
        return positions;
      });
    }
    return this.galaxyLoad;
  }

  get galaxy(): Float32Array | null {
    return this.galaxyData;
  }

  // ---------- ids and fields ----------

  /** Every row's id (after all()). */
  get ids(): string[] {
    if (!this.idList) throw new Error('The atlas ids are still loading.');
    return this.idList;
  }

  /** A row's id; '' while the ids load. */
  id(row: number): string {
    return this.idList ? this.idList[row] : '';
  }

  get columns(): ReadonlyMap<string, Column> {
    return this.columnMap;
  }

  column(name: string | null): Column | undefined {
    return name ? this.columnMap.get(name) : undefined;
  }

  label(row: number): string {
    const column = this.column(this.meta.label);
    const text = column ? cellText(column, row) : '';
    return text || this.id(row);
  }

  popularity(row: number): number {
    const column = this.column(this.meta.size);
    if (column?.kind === 'number') {
      const v = column.values[row];
      return Number.isNaN(v) ? 0 : v;
    }
    return 0;
  }

  /** The row of an id, -1 when none (or while the ids load). The first call builds the index (see prepareIdIndex). */
  rowOfId(id: string): number {
    if (!this.idList) return -1;
    if (!this.idIndex) {
      const index = new Map<string, number>();
      const ids = this.idList;
      for (let row = 0; row < ids.length; row++) index.set(ids[row], row);
      this.idIndex = index;
    }
    return this.idIndex.get(String(id)) ?? -1;
  }

  /** Builds the id → row index now (idle time after loading), so a later lookup does not pay for it. */
  prepareIdIndex(): void {
    this.rowOfId('');
  }

  // ---------- search ----------

  /** The search: the exporter's index once loaded (loadSearch), else the plain scan (older atlases, or before it loads). */
  searchEngine(): SearchEngine {
    return this.prebuilt ?? this.naiveSearch();
  }

  /** Whether search answers now: the labels are in and the exporter's index is loaded (or absent, or broken). */
  searchReady(): boolean {
    return this.complete && (this.prebuilt !== null || !this.meta.searchIndex || this.searchFailed);
  }

  /** Loads and prepares the exporter's search index, once; resolves at once for an atlas without one. */
  loadSearch(): Promise<void> {
    const info = this.meta.searchIndex;
    if (!info) return Promise.resolve();
    if (!this.searchLoad) {
      this.searchLoad = Promise.all([
        loadData(info.text) as Promise<string>,
        loadData(info.starts),
        loadData(info.words),
        loadData(info.order),
      ]).then(([text, starts, words, order]) => {
        const ints = (payload: unknown) => new Int32Array(decodeBase64(payload as string));
        this.prebuilt = new PrebuiltSearch(text, ints(starts), ints(words), ints(order));
        this.searchReadyAt = performance.now();
        for (const name of [info.text, info.starts, info.words, info.order]) forgetData(name);
      }).catch((error: unknown) => {
        this.searchFailed = true;
        throw error;
      });
    }
    return this.searchLoad;
  }

  /** The plain scan over every text (search.ts's reference implementation); after all(). */
  naiveSearch(): SearchIndex {
    if (!this.naive) {
      const sources: ((row: number) => string)[] = [(row) => this.label(row), (row) => this.id(row)];
      for (const name of this.meta.search) {
        const column = this.column(name);
        if (column && name !== this.meta.label) sources.push((row) => cellText(column, row));
      }
      this.naive = new SearchIndex(sources, this.count, (row) => this.popularity(row));
    }
    return this.naive;
  }

  // ---------- neighbours ----------

  /** Whether a row's details neighbours are loaded (its chunk is in). */
  hasNeighbors(row: number): boolean {
    const info = this.meta.neighbors;
    return !info || this.neighborChunks.has(Math.floor(row / (info.chunkRows ?? this.count)));
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
      const payload = (await loadData(file)) as string;
      values = this.neighborChunks.get(chunk) ?? new Int32Array(decodeBase64(payload));
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

  /** Per entity, how many of its k nearest neighbours two layouts share (null when the export has no such pair). */
  async neighborhoodOverlap(a: number, b: number): Promise<{ overlap: Uint8Array; k: number } | null> {
    const entry = this.meta.changes.find((c) => (c.a === a && c.b === b) || (c.a === b && c.b === a));
    if (!entry) return null;
    let overlap = this.changes.get(entry.file);
    if (!overlap) {
      overlap = new Uint8Array(decodeBase64((await loadData(entry.file)) as string));
      this.changes.set(entry.file, overlap);
      forgetData(entry.file);
    }
    return { overlap, k: entry.k };
  }
}
