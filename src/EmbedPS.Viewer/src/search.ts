// Search over the label, the id and the -SearchProperty fields: case- and accent-insensitive (Unicode NFD with
// combining marks removed, then lower case). Ranking: whole-text match, then prefix, then a word prefix (the query at
// the start of any word), then any substring; within a rank, more popular entities first, then by row.
//
// Two implementations with the same answers: PrebuiltSearch reads the index the exporter wrote (AtlasSearchIndex.cs),
// which answers a keystroke at a million points in milliseconds with nothing to prepare; SearchIndex is the plain scan
// over every text, kept as the reference the browser tests compare the index with (and for atlases without an index).

export function normalizeText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase().trim();
}

const WORD_SEPARATOR = /[\s\-_.,:;/(]/;

/** The rank of a normalised text for a normalised query: 0 whole, 1 prefix, 2 word prefix, 3 substring, 4 none. */
function rankOf(t: string, q: string): number {
  let at = t.indexOf(q);
  if (at < 0) return 4;
  if (t.length === q.length) return 0;
  if (at === 0) return 1;
  for (; at >= 0; at = t.indexOf(q, at + 1)) if (WORD_SEPARATOR.test(t[at - 1])) return 2;
  return 3;
}

export interface SearchEngine {
  /** Rows matching the query, best first, at most limit. */
  find(query: string, limit: number): number[];
  /** Rows whose id, label or search field equals the text (normalised), for "my items". */
  exact(text: string): number[];
}

/** The reference: every text normalised once, then a scan of all of them per query. */
export class SearchIndex implements SearchEngine {
  private readonly texts: string[][];

  constructor(columns: ((row: number) => string)[], count: number, private readonly popularity: (row: number) => number) {
    this.texts = columns.map((text) => {
      const normalized = new Array<string>(count);
      for (let i = 0; i < count; i++) normalized[i] = normalizeText(text(i));
      return normalized;
    });
  }

  find(query: string, limit: number): number[] {
    const q = normalizeText(query);
    if (!q) return [];
    const ranked: { row: number; rank: number; popularity: number }[] = [];
    const count = this.texts.length ? this.texts[0].length : 0;
    for (let row = 0; row < count; row++) {
      let rank = 4;
      for (const column of this.texts) {
        const t = column[row];
        if (!t) continue;
        const r = rankOf(t, q);
        if (r < rank) rank = r;
        if (rank === 0) break;
      }
      if (rank < 4) ranked.push({ row, rank, popularity: this.popularity(row) });
    }
    ranked.sort((a, b) => a.rank - b.rank || b.popularity - a.popularity || a.row - b.row);
    return ranked.slice(0, limit).map((r) => r.row);
  }

  private exactIndex: Map<string, number[]> | null = null;

  exact(text: string): number[] {
    const q = normalizeText(text);
    if (!q) return [];
    if (!this.exactIndex) {
      const index = new Map<string, number[]>();
      for (const column of this.texts) {
        column.forEach((t, row) => {
          if (!t) return;
          const rows = index.get(t);
          if (!rows) index.set(t, [row]);
          else if (!rows.includes(row)) rows.push(row);
        });
      }
      for (const rows of index.values()) rows.sort((a, b) => a - b);
      this.exactIndex = index;
    }
    return this.exactIndex.get(q) ?? [];
  }
}

const COLUMN_END = 1;
const ROW_END = 2;
const NONE = 0x7fffffff;

/** The separators in the index text stand for themselves nowhere else: the exporter wrote U+0000–U+0002 in texts as U+FFFD. */
function sanitize(q: string): string {
  return q.replace(/[\u0000-\u0002]/g, '\ufffd');
}

/**
 * One sorted list of text positions (all text starts, or all word starts) with a min-tree over their popularity
 * positions: the matches of a query are one range of the list (binary search), and the range's most popular rows come
 * out in order in O(log n) each, however large the range.
 */
class SortedPositions {
  private readonly size: number;
  private readonly tree: Int32Array;

  constructor(readonly positions: Int32Array, private readonly text: string, rowAt: (position: number) => number) {
    let size = 1;
    while (size < positions.length) size *= 2;
    this.size = size;
    const tree = new Int32Array(2 * size).fill(NONE);
    for (let i = 0; i < positions.length; i++) tree[size + i] = rowAt(positions[i]);
    for (let i = size - 1; i >= 1; i--) tree[i] = Math.min(tree[2 * i], tree[2 * i + 1]);
    this.tree = tree;
  }

  /** First index whose text, cut to the query's length, is not below the query (upper: is above it). */
  bound(q: string, upper: boolean): number {
    let lo = 0;
    let hi = this.positions.length;
    const n = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = this.positions[mid];
      const head = this.text.slice(p, p + n);
      if (upper ? head <= q : head < q) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** In [lo, hi): the first index whose text is longer than the query (exact matches come first in a prefix range). */
  exactEnd(lo: number, hi: number, length: number): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.text.charCodeAt(this.positions[mid] + length);
      if (c === COLUMN_END || c === ROW_END || Number.isNaN(c)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Appends to out the popularity positions of [lo, hi) in increasing order, skipping those in seen, until out holds
   * limit of them (or the range is exhausted). A binary heap of tree nodes ordered by their minimum.
   */
  take(lo: number, hi: number, limit: number, seen: Set<number>, out: number[]): void {
    if (lo >= hi || out.length >= limit) return;
    const heapNode: number[] = [];
    const heapKey: number[] = [];
    const push = (node: number) => {
      const key = this.tree[node];
      if (key === NONE) return;
      let i = heapNode.length;
      heapNode.push(node);
      heapKey.push(key);
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (heapKey[parent] <= key) break;
        heapNode[i] = heapNode[parent];
        heapKey[i] = heapKey[parent];
        i = parent;
      }
      heapNode[i] = node;
      heapKey[i] = key;
    };
    const pop = (): number => {
      const top = heapNode[0];
      const lastNode = heapNode.pop()!;
      const lastKey = heapKey.pop()!;
      const n = heapNode.length;
      if (n > 0) {
        let i = 0;
        for (;;) {
          let child = 2 * i + 1;
          if (child >= n) break;
          if (child + 1 < n && heapKey[child + 1] < heapKey[child]) child++;
          if (heapKey[child] >= lastKey) break;
          heapNode[i] = heapNode[child];
          heapKey[i] = heapKey[child];
          i = child;
        }
        heapNode[i] = lastNode;
        heapKey[i] = lastKey;
      }
      return top;
    };
    // The canonical nodes covering [lo, hi).
    for (let l = lo + this.size, r = hi + this.size; l < r; l >>= 1, r >>= 1) {
      if (l & 1) push(l++);
      if (r & 1) push(--r);
    }
    while (heapNode.length > 0 && out.length < limit) {
      const node = pop();
      if (node >= this.size) {
        const row = this.tree[node];
        if (!seen.has(row)) {
          seen.add(row);
          out.push(row);
        }
      } else {
        push(2 * node);
        push(2 * node + 1);
      }
    }
  }
}

/** The exporter's index (AtlasSearchIndex.cs): see there for the layout of its four arrays. */
export class PrebuiltSearch implements SearchEngine {
  private readonly rowStart: Int32Array;
  private readonly bucketRow: Int32Array;
  private readonly starts: SortedPositions;
  private readonly words: SortedPositions;
  private static readonly BUCKET = 5;
  /** Word starts checked one by one for a query with a separator inside; above this, the text scan is cheaper. */
  private static readonly CHECK_AT_MOST = 250_000;

  constructor(private readonly text: string, starts: Int32Array, words: Int32Array, private readonly order: Int32Array) {
    const n = order.length;
    const rowStart = new Int32Array(n + 1);
    let row = 0;
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === ROW_END) rowStart[++row] = i + 1;
    if (row !== n) throw new Error(`The search index lists ${row} rows; the atlas has ${n}.`);
    this.rowStart = rowStart;
    // Which row each 32-character bucket of the text starts in: a position's row is then a step or two away.
    const buckets = new Int32Array((text.length >> PrebuiltSearch.BUCKET) + 1);
    let r = 0;
    for (let b = 0; b < buckets.length; b++) {
      const at = b << PrebuiltSearch.BUCKET;
      while (rowStart[r + 1] <= at && r < n - 1) r++;
      buckets[b] = r;
    }
    this.bucketRow = buckets;
    const rowAt = (p: number) => this.rowAt(p);
    this.starts = new SortedPositions(starts, text, rowAt);
    this.words = new SortedPositions(words, text, rowAt);
  }

  /** The popularity position of the row a text position lies in. */
  private rowAt(position: number): number {
    let r = this.bucketRow[position >> PrebuiltSearch.BUCKET];
    while (this.rowStart[r + 1] <= position) r++;
    return r;
  }

  find(query: string, limit: number): number[] {
    const q = sanitize(normalizeText(query));
    if (!q || limit <= 0) return [];
    const seen = new Set<number>();
    const found: number[] = [];
    // Rank 0 and 1: the texts that start with the query, one range of `starts`; the whole-text matches lead it.
    const lo = this.starts.bound(q, false);
    const hi = this.starts.bound(q, true);
    const mid = this.starts.exactEnd(lo, hi, q.length);
    this.starts.take(lo, mid, limit, seen, found);
    this.starts.take(mid, hi, limit, seen, found);
    // Rank 2: the query at a word start, one range of `words`.
    if (found.length < limit) {
      this.words.take(this.words.bound(q, false), this.words.bound(q, true), limit, seen, found);
    }
    // Rank 3: anywhere else.
    if (found.length < limit) this.substrings(q, limit, seen, found);
    return found.map((p) => this.order[p]);
  }

  /** Rank-3 rows (the query inside a word), most popular first, after the rows already found. */
  private substrings(q: string, limit: number, seen: Set<number>, found: number[]): void {
    // A query with a word separator inside: every occurrence of it puts a word start right after its first separator,
    // so the occurrences are among the word starts of the rest of the query, one range of `words`, checked one by one.
    for (let k = 0; k + 1 < q.length; k++) {
      if (!WORD_SEPARATOR.test(q[k])) continue;
      const tail = q.slice(k + 1);
      const lo = this.words.bound(tail, false);
      const hi = this.words.bound(tail, true);
      if (hi - lo > PrebuiltSearch.CHECK_AT_MOST) break;
      const rows: number[] = [];
      for (let i = lo; i < hi; i++) {
        const at = this.words.positions[i] - (k + 1);
        if (at >= 0 && this.text.startsWith(q, at)) {
          const row = this.rowAt(at);
          if (!seen.has(row)) rows.push(row);
        }
      }
      rows.sort((a, b) => a - b);
      for (const row of rows) {
        if (found.length >= limit) break;
        if (!seen.has(row)) {
          seen.add(row);
          found.push(row);
        }
      }
      return;
    }
    // Otherwise a scan of the text, which is in popularity order: the first rows found are the ones wanted.
    for (let from = 0; found.length < limit; ) {
      const at = this.text.indexOf(q, from);
      if (at < 0) break;
      const row = this.rowAt(at);
      if (!seen.has(row)) {
        seen.add(row);
        found.push(row);
      }
      from = this.rowStart[row + 1];
    }
  }

  exact(text: string): number[] {
    const q = sanitize(normalizeText(text));
    if (!q) return [];
    const lo = this.starts.bound(q, false);
    const end = this.starts.exactEnd(lo, this.starts.bound(q, true), q.length);
    const rows = new Set<number>();
    for (let i = lo; i < end; i++) rows.add(this.order[this.rowAt(this.starts.positions[i])]);
    return [...rows].sort((a, b) => a - b);
  }
}
