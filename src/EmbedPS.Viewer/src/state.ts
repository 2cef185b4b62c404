// The whole view in the URL hash (URLSearchParams syntax), so a copied link reproduces it: layout, mode, camera,
// colour field, hidden legend entries, filters, highlighted items, selection, theme and point size. A bare
// "#highlight=id1,id2" works too, as the method's own atlases accept a user's list in the URL.
import { Atlas, FilterSpec } from './atlas';

export interface AtlasState {
  layout: string;
  mode: 'map' | 'galaxy';
  camera: number[];
  color: string | null;
  hidden: string[];
  filters: Record<string, FilterSpec>;
  highlight: string[];
  selected: string | null;
  theme: 'light' | 'dark';
  size: number;
}

export function currentState(atlas: Atlas): AtlasState {
  const color = atlas.column(atlas.colorField);
  return {
    layout: atlas.meta.layouts[atlas.layout].name,
    mode: atlas.mode === '3d' ? 'galaxy' : 'map',
    camera: atlas.mode === '3d' ? atlas.orbit.state() : [atlas.camera.centerX, atlas.camera.centerY, atlas.camera.zoom].map((v) => Number(v.toPrecision(7))),
    color: atlas.colorField,
    hidden: color?.kind === 'category' ? [...atlas.hiddenCategories].sort((a, b) => a - b).map((code) => color.meta.categories![code]) : [],
    filters: Object.fromEntries(atlas.filters),
    highlight: [...atlas.highlightIds],
    selected: atlas.selected >= 0 ? atlas.ids[atlas.selected] : null,
    theme: atlas.theme,
    size: atlas.sizeMultiplier,
  };
}

export function toHash(atlas: Atlas): string {
  const s = currentState(atlas);
  const p = new URLSearchParams();
  p.set('layout', s.layout);
  if (s.mode === 'galaxy') p.set('mode', 'galaxy');
  p.set('camera', s.camera.join(','));
  if (s.color !== atlas.meta.color) p.set('color', s.color ?? '');
  if (s.hidden.length) p.set('hide', JSON.stringify(s.hidden));
  if (Object.keys(s.filters).length) p.set('filter', JSON.stringify(s.filters));
  if (s.highlight.length) p.set('highlight', s.highlight.some((id) => id.includes(',')) ? JSON.stringify(s.highlight) : s.highlight.join(','));
  if (s.selected !== null) p.set('select', s.selected);
  if (s.theme !== atlas.meta.theme) p.set('theme', s.theme);
  if (s.size !== 1) p.set('size', String(Number(s.size.toPrecision(4))));
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

/** Applies a hash to the atlas; unknown names are ignored (a link from another atlas never breaks the page). */
export async function applyHash(atlas: Atlas, hash: string): Promise<void> {
  const p = new URLSearchParams(hash.replace(/^#/, ''));
  const theme = p.get('theme');
  if (theme === 'light' || theme === 'dark') atlas.theme = theme;
  const size = Number(p.get('size'));
  if (p.has('size') && Number.isFinite(size)) atlas.sizeMultiplier = Math.min(5, Math.max(0.2, size));
  const layout = atlas.meta.layouts.findIndex((l) => l.name === p.get('layout'));
  if (layout >= 0) await atlas.setLayout(layout, false);
  const galaxy = p.get('mode') === 'galaxy' && atlas.meta.galaxy !== null;
  await atlas.setMode(galaxy ? '3d' : '2d');
  if (p.has('color')) {
    const color = p.get('color') || null;
    const column = atlas.column(color);
    if (color === null || (column && column.kind !== 'text')) atlas.colorField = color;
  }
  atlas.hiddenCategories.clear();
  const column = atlas.column(atlas.colorField);
  if (column?.kind === 'category') {
    for (const name of parseJson<string[]>(p.get('hide'), [])) {
      const code = column.meta.categories!.indexOf(String(name));
      if (code >= 0) atlas.hiddenCategories.add(code);
    }
  }
  atlas.filters.clear();
  for (const [field, spec] of Object.entries(parseJson<Record<string, FilterSpec>>(p.get('filter'), {}))) {
    if (atlas.columns.has(field) && spec && typeof spec === 'object') atlas.filters.set(field, spec);
  }
  atlas.refreshVisibility();
  const highlight = p.get('highlight');
  if (highlight) atlas.setHighlight(highlight.startsWith('[') ? parseJson<string[]>(highlight, []).map(String) : highlight.split(','));
  else if (atlas.highlighted) atlas.setHighlight(null);
  const camera = (p.get('camera') ?? '').split(',').filter((v) => v !== '').map(Number);
  if (galaxy) atlas.orbit.restore(camera);
  else if (camera.length === 3 && camera.every(Number.isFinite)) atlas.setCamera({ centerX: camera[0], centerY: camera[1], zoom: camera[2] });
  const selected = p.get('select');
  atlas.selected = selected !== null ? atlas.rowOfId(selected) : -1;
  atlas.requestRender();
}
