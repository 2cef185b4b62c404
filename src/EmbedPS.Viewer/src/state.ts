// The whole view in the URL hash (URLSearchParams syntax), so a copied link reproduces it: layout, mode, camera,
// colour field, filters (the one filter model: legend entries hidden are the colour field's category filter),
// isolated entities, highlighted items, selection, theme, point size and the density layer. A bare
// "#highlight=id1,id2" works too, as the method's own atlases accept a user's list in the URL; "hide=[...]" (links
// from earlier atlases) becomes a filter on the colour field.
import { Atlas } from './atlas';
import type { AtlasMeta } from './data';
import type { FilterSpec } from './view';

export interface AtlasState {
  layout: string;
  mode: 'map' | 'galaxy';
  camera: number[];
  color: string | null;
  hidden: string[];
  filters: Record<string, FilterSpec>;
  isolated: string[];
  highlight: string[];
  selected: string | null;
  theme: 'light' | 'dark';
  size: number;
  density: boolean;
}

export function currentState(atlas: Atlas): AtlasState {
  const view = atlas.view;
  return {
    layout: atlas.meta.layouts[atlas.layout].name,
    mode: atlas.mode === '3d' ? 'galaxy' : 'map',
    camera: atlas.mode === '3d' ? atlas.orbitState() : [atlas.camera.centerX, atlas.camera.centerY, atlas.camera.zoom].map((v) => Number(v.toPrecision(7))),
    color: view.colorField,
    hidden: view.hiddenCategories(),
    filters: Object.fromEntries(view.filters),
    isolated: [...view.isolatedIdList],
    highlight: [...view.highlightIds],
    selected: view.selected >= 0 ? atlas.data.id(view.selected) : null,
    theme: view.theme,
    size: view.sizeMultiplier,
    density: view.density,
  };
}

function idList(ids: string[]): string {
  return ids.some((id) => id.includes(',')) ? JSON.stringify(ids) : ids.join(',');
}

function parseIdList(text: string): string[] {
  return text.startsWith('[') ? parseJson<string[]>(text, []).map(String) : text.split(',');
}

export function toHash(atlas: Atlas, initialTheme: 'light' | 'dark'): string {
  const s = currentState(atlas);
  const p = new URLSearchParams();
  p.set('layout', s.layout);
  if (s.mode === 'galaxy') p.set('mode', 'galaxy');
  p.set('camera', s.camera.join(','));
  if (s.color !== atlas.meta.color) p.set('color', s.color ?? '');
  if (Object.keys(s.filters).length) p.set('filter', JSON.stringify(s.filters));
  if (s.isolated.length) p.set('isolate', idList(s.isolated));
  if (s.highlight.length) p.set('highlight', idList(s.highlight));
  if (s.selected !== null) p.set('select', s.selected);
  if (s.theme !== initialTheme) p.set('theme', s.theme);
  if (s.size !== 1) p.set('size', String(Number(s.size.toPrecision(4))));
  if (s.density) p.set('density', '1');
  return p.toString();
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * What a hash needs loaded before the first frame can show it: its layout and colour field, and every id and column
 * when it names entities or filters (then the first frame waits for all of the data, as the view depends on it).
 */
export function hashNeeds(meta: AtlasMeta, hash: string): { layout: number; color: string | null; all: boolean } {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const layout = Math.max(0, meta.layouts.findIndex((l) => l.name === p.get('layout')));
  // Only a field the map can be coloured by (a text field is ignored, as applyHash does).
  const named = p.has('color') ? p.get('color') || null : meta.color;
  const color = named && meta.fields.some((f) => f.name === named && f.kind !== 'text') ? named : meta.color;
  const all = ['filter', 'hide', 'isolate', 'highlight', 'select'].some((key) => p.has(key));
  return { layout, color, all };
}

/** Applies a hash to the atlas; unknown names are ignored (a link from another atlas never breaks the page). */
export async function applyHash(atlas: Atlas, hash: string): Promise<void> {
  const view = atlas.view;
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const needs = hashNeeds(atlas.meta, hash);
  await (needs.all ? atlas.data.all() : atlas.data.first([], [needs.color]));
  const theme = p.get('theme');
  if (theme === 'light' || theme === 'dark') view.setTheme(theme);
  const size = Number(p.get('size'));
  if (p.has('size') && Number.isFinite(size)) view.setSizeMultiplier(size);
  view.setDensity(p.get('density') === '1');
  const layout = atlas.meta.layouts.findIndex((l) => l.name === p.get('layout'));
  if (layout >= 0) await atlas.setLayout(layout, false);
  const galaxy = p.get('mode') === 'galaxy' && atlas.meta.galaxy !== null;
  await atlas.setMode(galaxy ? '3d' : '2d');
  if (p.has('color')) {
    const color = p.get('color') || null;
    const column = atlas.data.column(color);
    if (color === null || (column && column.kind !== 'text')) view.setColor(color);
  }
  for (const field of [...view.filters.keys()]) view.setFilter(field, null, false);
  for (const [field, spec] of Object.entries(parseJson<Record<string, FilterSpec>>(p.get('filter'), {}))) {
    if (atlas.data.columns.has(field) && spec && typeof spec === 'object') view.setFilter(field, spec, false);
  }
  const color = atlas.data.column(view.colorField);
  const hide = parseJson<string[]>(p.get('hide'), []).map(String);
  if (color?.kind === 'category' && hide.length) {
    const shown = color.meta.categories!.filter((c, code) => view.categoryShown(color.meta.name, code) && !hide.includes(c));
    view.setFilter(color.meta.name, shown, false);
  }
  const isolate = p.get('isolate');
  let isolated: Uint8Array | null = null;
  if (isolate) {
    isolated = new Uint8Array(atlas.count);
    for (const id of parseIdList(isolate)) {
      const row = atlas.data.rowOfId(id);
      if (row >= 0) isolated[row] = 1;
    }
  }
  view.setIsolated(isolated);
  const highlight = p.get('highlight');
  if (highlight) atlas.setHighlight(parseIdList(highlight));
  else if (view.highlighted) atlas.setHighlight(null);
  const camera = (p.get('camera') ?? '').split(',').filter((v) => v !== '').map(Number);
  if (galaxy) atlas.restoreOrbit(camera);
  else if (camera.length === 3 && camera.every(Number.isFinite)) atlas.setCamera({ centerX: camera[0], centerY: camera[1], zoom: camera[2] });
  const selected = p.get('select');
  view.setSelected(selected !== null ? atlas.data.rowOfId(selected) : -1);
  atlas.requestRender();
}
