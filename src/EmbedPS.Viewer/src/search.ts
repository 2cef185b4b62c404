// Search over the label, the id and the -SearchProperty fields: case- and accent-insensitive (Unicode NFD with
// combining marks removed, then lower case). Ranking: whole-text match, then prefix, then a word prefix, then any
// substring; within a rank, more popular entities first.

export function normalizeText(text: string): string {
  return text.normalize('NFD').replace(/\p{M}+/gu, '').toLowerCase().trim();
}

export class SearchIndex {
  private readonly texts: string[][];

  constructor(columns: ((row: number) => string)[], count: number, private readonly popularity: (row: number) => number) {
    this.texts = columns.map((text) => {
      const normalized = new Array<string>(count);
      for (let i = 0; i < count; i++) normalized[i] = normalizeText(text(i));
      return normalized;
    });
  }

  /** Rows matching the query, best first, at most limit. */
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
        const at = t.indexOf(q);
        if (at < 0) continue;
        const r = t.length === q.length ? 0 : at === 0 ? 1 : /[\s\-_.,:;/(]/.test(t[at - 1]) ? 2 : 3;
        if (r < rank) rank = r;
        if (rank === 0) break;
      }
      if (rank < 4) ranked.push({ row, rank, popularity: this.popularity(row) });
    }
    ranked.sort((a, b) => a.rank - b.rank || b.popularity - a.popularity || a.row - b.row);
    return ranked.slice(0, limit).map((r) => r.row);
  }

  private exactIndex: Map<string, number[]> | null = null;

  /** Rows whose id, label or search field equals the text (normalised), for "my items". */
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
          else if (rows[rows.length - 1] !== row) rows.push(row);
        });
      }
      this.exactIndex = index;
    }
    return this.exactIndex.get(q) ?? [];
  }
}
