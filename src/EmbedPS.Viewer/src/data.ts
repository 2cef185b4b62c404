// Loading the atlas data. Chromium refuses fetch() of file:// URLs, so every data file is a script that hands
// its payload to window.EmbedAtlasData.put(name, payload): script elements load from file:// and from any
// static host alike. Binary columns travel as base64 strings and are decoded straight into typed arrays.

export type FieldKind = 'category' | 'number' | 'text';

export interface FieldMeta {
  name: string;
  kind: FieldKind;
  file: string;
  /** category: the distinct values, most frequent first; "(missing)" is one of them when some rows lack a value. */
  categories?: string[];
  counts?: number[];
  /** category: bytes per code (1, 2 or 4). */
  width?: number;
  /** number: range of the present values and whether a log scale suits them (positive, heavy-tailed). */
  min?: number;
  max?: number;
  log?: boolean;
  missing?: number;
}

export interface LayoutMeta {
  name: string;
  method: string;
  file: string;
  /** [xmin, ymin, xmax, ymax] of all points, and of the central 99.6% used for the first view. */
  bounds: [number, number, number, number];
  view: [number, number, number, number];
  parameters: Record<string, string>;
  /** How well the layout keeps its embedding (recall@10, trust, cont, acc); absent in older atlases. */
  scores?: Record<string, number>;
}

export interface ClusterLabel {
  layout: number;
  x: number;
  y: number;
  text: string;
  level: number;
  priority: number;
}

export interface AtlasMeta {
  format: number;
  title: string;
  theme: 'light' | 'dark';
  count: number;
  ids: string;
  fields: FieldMeta[];
  label: string | null;
  color: string | null;
  size: string | null;
  search: string[];
  tooltip: string[];
  link: string | null;
  layouts: LayoutMeta[];
  galaxy: { file: string; source: string } | null;
  /** The details neighbours: k per row, in files <file>-<c> of chunkRows rows each (older atlases: one file <file>). */
  neighbors: { file: string; k: number; space: string; chunkRows?: number; chunks?: number } | null;
  /** The prebuilt search index (search.ts, AtlasSearchIndex.cs); absent in atlases written before it existed. */
  searchIndex?: { text: string; starts: string; words: string; order: string; columns: number };
  /** Data written in several files: name → number of parts (data/<name>.<i>.js), joined by loadData. */
  parts?: Record<string, number>;
  changes: { a: number; b: number; file: string; k: number }[];
  clusters: ClusterLabel[];
  provenance: { built: string; version: string; inputs: { name: string; detail: string }[]; parameters: Record<string, string> };
  preview: string | null;
}

export type Column =
  | { kind: 'category'; meta: FieldMeta; codes: Uint8Array | Uint16Array | Uint32Array }
  | { kind: 'number'; meta: FieldMeta; values: Float64Array }
  | { kind: 'text'; meta: FieldMeta; values: (string | null)[] };

interface Loader {
  put(name: string, payload: unknown): void;
}

declare global {
  interface Window {
    EmbedAtlasData: Loader;
  }
}

const received = new Map<string, unknown>();
const waiting = new Map<string, (payload: unknown) => void>();

window.EmbedAtlasData = {
  put(name: string, payload: unknown) {
    received.set(name, payload);
    waiting.get(name)?.(payload);
  },
};

// Payloads split into parts under the exporter's file-size limit, as meta.js lists them (name → number of parts).
const partCounts = new Map<string, number>();
const joined = new Map<string, Promise<unknown>>();

/**
 * Loads data/<name>.js and resolves with the payload it registers. A payload written in parts (meta.parts) loads all of
 * data/<name>.0.js … in parallel and resolves with their join: strings (base64 or text) concatenated, arrays appended.
 */
export function loadData(name: string): Promise<unknown> {
  const parts = partCounts.get(name);
  if (parts !== undefined && parts > 1) {
    let whole = joined.get(name);
    if (!whole) {
      whole = Promise.all(Array.from({ length: parts }, (_, i) => loadScript(`${name}.${i}`))).then((payloads) => {
        // The parts are not needed once joined (at a million points they are tens of megabytes).
        for (let i = 0; i < parts; i++) received.delete(`${name}.${i}`);
        if (payloads.every((p) => typeof p === 'string')) return (payloads as string[]).join('');
        const all: unknown[] = [];
        for (const p of payloads as unknown[][]) for (let i = 0; i < p.length; i++) all.push(p[i]);
        return all;
      });
      joined.set(name, whole);
    }
    return whole;
  }
  const loading = loadScript(name);
  if (name === 'meta') {
    return loading.then((meta) => {
      const listed = (meta as { parts?: Record<string, number> }).parts ?? {};
      for (const key of Object.keys(listed)) partCounts.set(key, listed[key]);
      return meta;
    });
  }
  return loading;
}

const inFlight = new Map<string, Promise<unknown>>();

/** Drops a payload the caller has decoded and keeps itself (a neighbour chunk, the search index): a later load reads the file again. */
export function forgetData(name: string): void {
  received.delete(name);
  inFlight.delete(name);
  joined.delete(name);
  const parts = partCounts.get(name) ?? 1;
  for (let i = 0; i < parts; i++) {
    received.delete(`${name}.${i}`);
    inFlight.delete(`${name}.${i}`);
  }
}

function loadScript(name: string): Promise<unknown> {
  const have = received.get(name);
  if (have !== undefined) return Promise.resolve(have);
  // One script element per file, however many callers wait for it (two quick selections in the same neighbour chunk).
  const pending = inFlight.get(name);
  if (pending) return pending;
  const loading = new Promise<unknown>((resolve, reject) => {
    waiting.set(name, resolve);
    const script = document.createElement('script');
    script.src = `data/${name}.js`;
    script.onerror = () => {
      inFlight.delete(name);
      reject(new Error(`Cannot load data/${name}.js: the atlas folder is incomplete.`));
    };
    script.onload = () => {
      if (!received.has(name)) reject(new Error(`data/${name}.js did not register its data.`));
    };
    document.head.appendChild(script);
  });
  inFlight.set(name, loading);
  return loading;
}

export function decodeBase64(text: string): ArrayBuffer {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (native) return native(text).buffer as ArrayBuffer;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export async function loadFloat32(name: string): Promise<Float32Array> {
  return new Float32Array(decodeBase64((await loadData(name)) as string));
}

export async function loadColumn(meta: FieldMeta): Promise<Column> {
  const payload = await loadData(meta.file);
  if (meta.kind === 'text') return { kind: 'text', meta, values: payload as (string | null)[] };
  const buffer = decodeBase64(payload as string);
  if (meta.kind === 'number') return { kind: 'number', meta, values: new Float64Array(buffer) };
  const codes = meta.width === 1 ? new Uint8Array(buffer) : meta.width === 2 ? new Uint16Array(buffer) : new Uint32Array(buffer);
  return { kind: 'category', meta, codes };
}

/** The value of a column at a row, as display text ('' when missing). */
export function cellText(column: Column, row: number): string {
  switch (column.kind) {
    case 'text':
      return column.values[row] ?? '';
    case 'number': {
      const v = column.values[row];
      return Number.isNaN(v) ? '' : formatNumber(v);
    }
    case 'category': {
      const text = column.meta.categories![column.codes[row]];
      return column.meta.missing === column.codes[row] ? '' : text;
    }
  }
}

export function formatNumber(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e9)) return v.toExponential(3);
  return String(Number(v.toPrecision(6)));
}
