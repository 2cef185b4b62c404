// Panels: search, layout and colour pickers, filters (with crossfilter histograms and counts), legend, details,
// group selection, "my items", neighbourhood changes, provenance footer, the map tools and the drawer. Every panel
// reads and writes the one ViewState (view.ts) and follows its change events. All data reaches the DOM as text
// (see dom.ts).
import { Atlas } from './atlas';
import { Column, LayoutMeta, cellText, formatNumber } from './data';
import { byId, clearChildren, element, safeLink } from './dom';
import { MISSING_COLOR, categoryCodeColor, cssColor, viridis } from './colors';
import { ISOLATE, ViewChange } from './view';
import { InputController } from './input';
import { selectionCsv } from './export';

const LEGEND_COLLAPSED = 12;
const HISTOGRAM_BINS = 40;
/** The longest a selection waits for its details (neighbours) before the camera moves to it. */
const DETAILS_FIRST_MS = 300;

/** A number for a range readout: as many decimals as the span needs, thousands separated. */
export function formatRangeValue(v: number, span: number): string {
  if (!Number.isFinite(v)) return '';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e12)) return v.toExponential(2);
  const decimals = Math.min(6, Math.max(0, 2 - Math.floor(Math.log10(Math.max(span, 1e-12)))));
  return v.toLocaleString('en-US', { maximumFractionDigits: decimals, minimumFractionDigits: 0 });
}

function parseTyped(text: string): number {
  const cleaned = text.replace(/[,\s\u202f]/g, '');
  return cleaned === '' ? NaN : Number(cleaned);
}

export class AtlasUi {
  readonly input: InputController;
  private legendExpanded = false;
  private legendCollapsed = false;
  private legendState = '';
  private legendFilter = '';
  private searchHits: number[] = [];
  private searchActive = -1;
  private detailsRow = -2;
  private detailsHidden: boolean | null = null;
  private readonly filterUpdaters: (() => void)[] = [];

  constructor(private readonly atlas: Atlas) {
    this.input = new InputController(atlas, { select: (row, fly) => this.select(row, fly), notify: () => this.notify() });
    this.legendCollapsed = matchMedia('(max-width: 800px)').matches;
  }

  build(): void {
    const atlas = this.atlas;
    byId('title').textContent = atlas.meta.title;
    this.buildLayoutSelect();
    this.buildColorSelect();
    this.buildSearch();
    this.buildMyItems();
    this.buildChanges();
    this.buildFooter();
    this.buildButtons();
    this.buildSelectionPanel();
    this.input.bind();
    atlas.onChange(() => this.refresh());
    atlas.view.on((change) => this.viewChanged(change));
    this.refresh();
    // The filters need every column: they are built once the data beyond the first frame's is in.
    atlas.data.onComplete(() => this.dataComplete());
  }

  /** The rest of the data is in: the filters appear with their counts and histograms, the details can show. */
  private dataComplete(): void {
    this.buildFilters();
    for (const update of this.filterUpdaters) update();
    this.refresh();
  }

  private viewChanged(change: ViewChange): void {
    if (change === 'filter') for (const update of this.filterUpdaters) update();
    if (change === 'filter' || change === 'color') {
      const input = byId<HTMLInputElement>('search');
      if (!byId('search-results').hidden) this.showSearch(input.value, true);
    }
    if (change === 'selection' || change === 'filter' || change === 'color') this.renderSelectionPanel();
    if (change === 'filter' || change === 'color') this.updateLegend();
    this.refresh();
    this.notify();
  }

  refresh(): void {
    const atlas = this.atlas;
    const view = atlas.view;
    byId('visible-count').textContent = `${atlas.visibleCount().toLocaleString('en-US')} of ${atlas.count.toLocaleString('en-US')} ${atlas.count === 1 ? 'point' : 'points'} visible`;
    byId<HTMLSelectElement>('layout-select').value = String(atlas.layout);
    byId<HTMLSelectElement>('color-select').value = view.colorField ?? '';
    byId('mode-button').textContent = atlas.mode === '3d' ? 'Map (2-D)' : 'Galaxy (3-D)';
    const fit = byId('fit-button');
    fit.textContent = atlas.mode === '3d' ? 'Reset view' : 'Fit';
    fit.title = atlas.mode === '3d' ? 'Back to the start view' : 'Frame the visible points';
    const app = byId('app');
    app.dataset.theme = view.theme;
    app.dataset.mode = atlas.mode;
    const theme = byId('theme-button');
    theme.setAttribute('aria-label', view.theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme');
    theme.title = theme.getAttribute('aria-label')!;
    byId('density-button').setAttribute('aria-pressed', String(view.density));
    byId('density-button').hidden = atlas.mode === '3d';
    byId('lasso-button').setAttribute('aria-pressed', String(this.input.tool === 'lasso'));
    byId('box-button').setAttribute('aria-pressed', String(this.input.tool === 'box'));
    const size = byId<HTMLInputElement>('size-slider');
    if (document.activeElement !== size) size.value = String(Math.log2(view.sizeMultiplier));
    // The legend is rebuilt only when its structure changed; filter changes update its rows in place (focus stays).
    if (this.legendSignature() !== this.legendState) this.renderLegend();
    const hidden = view.selected >= 0 && !view.visible[view.selected];
    if (this.detailsRow !== view.selected || this.detailsHidden !== hidden) this.detailsRendering = this.renderDetails();
  }

  private detailsRendering: Promise<void> = Promise.resolve();

  /** Resolves when the details panel is complete for the current selection (its neighbours loaded and listed). */
  detailsReady(): Promise<void> {
    return this.detailsRendering;
  }

  /** Tells the URL writer that the state changed. */
  notify(): void {
    window.dispatchEvent(new Event('atlas-state'));
  }

  // ---------- header and map tools ----------

  private buildLayoutSelect(): void {
    const select = byId<HTMLSelectElement>('layout-select');
    // Each layout with its scores ("UMAP · k 15 · min_dist 0.05 — recall@10 0.41 · trust 0.93"), to compare a sweep's layouts.
    const scored = (layout: LayoutMeta): string => {
      const scores = Object.entries(layout.scores ?? {}).map(([name, value]) => `${name} ${value.toFixed(3)}`);
      return scores.length > 0 ? `${layout.name} — ${scores.join(' · ')}` : layout.name;
    };
    this.atlas.meta.layouts.forEach((layout, index) =>
      select.appendChild(element('option', { text: scored(layout), attrs: { value: String(index), title: scored(layout) } })));
    select.hidden = this.atlas.meta.layouts.length < 2;
    select.addEventListener('change', () => void this.atlas.setLayout(Number(select.value)));
  }

  private buildColorSelect(): void {
    const select = byId<HTMLSelectElement>('color-select');
    select.appendChild(element('option', { text: 'Colour: none', attrs: { value: '' } }));
    for (const field of this.atlas.meta.fields) {
      if (field.kind === 'text') continue;
      select.appendChild(element('option', { text: `Colour: ${field.name}`, attrs: { value: field.name } }));
    }
    select.addEventListener('change', () => this.atlas.view.setColor(select.value || null));
  }

  private buildButtons(): void {
    const atlas = this.atlas;
    const mode = byId<HTMLButtonElement>('mode-button');
    mode.hidden = !atlas.meta.galaxy;
    mode.addEventListener('click', () => void atlas.setMode(atlas.mode === '3d' ? '2d' : '3d'));
    byId('theme-button').addEventListener('click', () => atlas.view.setTheme(atlas.view.theme === 'dark' ? 'light' : 'dark'));
    byId('fit-button').addEventListener('click', () => {
      atlas.fitCamera(true);
      this.notify();
    });
    byId('zoom-in').addEventListener('click', () => atlas.zoomStep(1));
    byId('zoom-out').addEventListener('click', () => atlas.zoomStep(-1));
    const tool = (name: 'lasso' | 'box') => () => {
      this.input.tool = this.input.tool === name ? 'none' : name;
      byId('stage').dataset.tool = this.input.tool;
      this.refresh();
    };
    byId('lasso-button').addEventListener('click', tool('lasso'));
    byId('box-button').addEventListener('click', tool('box'));
    byId('density-button').addEventListener('click', () => atlas.view.setDensity(!atlas.view.density));
    byId('share-button').addEventListener('click', () => {
      const url = location.href;
      if (navigator.clipboard) navigator.clipboard.writeText(url).then(() => this.flash('share-status', 'Link copied'), () => this.flash('share-status', 'Copy the address bar: it holds this view'));
      else this.flash('share-status', 'Copy the address bar: it holds this view');
    });
    const size = byId<HTMLInputElement>('size-slider');
    size.value = String(Math.log2(atlas.view.sizeMultiplier));
    size.addEventListener('input', () => atlas.view.setSizeMultiplier(Math.pow(2, Number(size.value))));
    // The drawer: the sidebar slides over the map on small screens.
    const app = byId('app');
    const menu = byId('menu-button');
    const setDrawer = (open: boolean) => {
      app.classList.toggle('drawer-open', open);
      menu.setAttribute('aria-expanded', String(open));
      if (open) byId('drawer-close').focus();
      else if (document.activeElement && byId('sidebar').contains(document.activeElement)) menu.focus();
    };
    menu.addEventListener('click', () => setDrawer(!app.classList.contains('drawer-open')));
    byId('drawer-close').addEventListener('click', () => setDrawer(false));
    byId('drawer-backdrop').addEventListener('click', () => setDrawer(false));
    new MutationObserver(() => menu.setAttribute('aria-expanded', String(app.classList.contains('drawer-open')))).observe(app, { attributes: true, attributeFilter: ['class'] });
  }

  private flash(id: string, text: string): void {
    const status = byId(id);
    status.textContent = text;
    setTimeout(() => (status.textContent = ''), 2500);
  }

  // ---------- search ----------

  private buildSearch(): void {
    const input = byId<HTMLInputElement>('search');
    const list = byId('search-results');
    let timer = 0;
    input.addEventListener('input', () => {
      clearTimeout(timer);
      // With the exporter's index every keystroke is answered at once; the plain scan (older atlases) waits for a pause.
      if (this.atlas.meta.searchIndex) this.showSearch(input.value);
      else timer = window.setTimeout(() => this.showSearch(input.value), 120);
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        if (list.hidden) this.showSearch(input.value);
        if (this.searchHits.length === 0) return;
        this.searchActive = (this.searchActive + (e.key === 'ArrowDown' ? 1 : -1) + this.searchHits.length) % this.searchHits.length;
        this.markActive();
      } else if (e.key === 'Enter') {
        clearTimeout(timer);
        if (this.searchHits.length === 0 || list.hidden) this.showSearch(input.value);
        const row = this.searchHits[Math.max(0, this.searchActive)];
        if (row !== undefined) this.choose(row);
      } else if (e.key === 'Escape') {
        this.closeSearch();
      }
    });
    input.addEventListener('blur', () => setTimeout(() => this.closeSearch(), 200));
  }

  private closeSearch(): void {
    byId('search-results').hidden = true;
    const input = byId('search');
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  private showSearch(text: string, keepActive = false): void {
    const atlas = this.atlas;
    const list = byId('search-results');
    const input = byId('search');
    clearChildren(list);
    if (!atlas.data.searchReady()) {
      // The index is still loading (it follows the first frame): say so, and answer as soon as it is there.
      this.searchHits = [];
      this.searchActive = -1;
      if (text.trim()) list.appendChild(element('li', { className: 'empty', text: 'Preparing search…' }));
      list.hidden = !text.trim();
      // Once the index is in — or could not be loaded, and the plain scan answers — show the hits.
      void Promise.all([atlas.data.all(), atlas.data.loadSearch().catch(() => undefined)]).then(() => {
        if ((byId('search') as HTMLInputElement).value === text) this.showSearch(text, keepActive);
      });
      return;
    }
    const previous = keepActive ? this.searchActive : -1;
    this.searchHits = atlas.data.searchEngine().find(text, 12);
    this.searchActive = this.searchHits.length ? Math.min(Math.max(0, previous), this.searchHits.length - 1) : -1;
    // Enter selects the first hit: fetch its neighbour chunk now, so its details are complete at once.
    if (this.searchHits.length) void atlas.data.neighborsOf(this.searchHits[0]).catch(() => undefined);
    this.searchHits.forEach((row, k) => {
      const hidden = !atlas.view.visible[row];
      const item = element('li', { className: hidden ? 'hidden-hit' : '', attrs: { role: 'option', id: `search-option-${k}`, 'data-row': String(row), 'aria-selected': 'false' } }, [
        element('span', { className: 'hit-label', text: atlas.data.label(row) }),
        element('span', { className: 'hit-id', text: hidden ? 'hidden by filters' : atlas.data.id(row) === atlas.data.label(row) ? '' : atlas.data.id(row) }),
      ]);
      item.addEventListener('mousedown', (e) => {
        e.preventDefault();
        this.choose(row);
      });
      list.appendChild(item);
    });
    if (text.trim() && this.searchHits.length === 0) list.appendChild(element('li', { className: 'empty', text: 'No match', attrs: { role: 'option', 'aria-disabled': 'true' } }));
    list.hidden = !text.trim();
    input.setAttribute('aria-expanded', String(!list.hidden));
    this.markActive();
  }

  private markActive(): void {
    const input = byId('search');
    byId('search-results').querySelectorAll('li[data-row]').forEach((li, i) => {
      li.classList.toggle('active', i === this.searchActive);
      li.setAttribute('aria-selected', String(i === this.searchActive));
      if (i === this.searchActive) li.scrollIntoView({ block: 'nearest' });
    });
    if (this.searchActive >= 0) input.setAttribute('aria-activedescendant', `search-option-${this.searchActive}`);
    else input.removeAttribute('aria-activedescendant');
  }

  choose(row: number): void {
    this.closeSearch();
    this.select(row, true);
  }

  select(row: number, fly: boolean): void {
    const atlas = this.atlas;
    // The details come first (the panel and its neighbours; the map only redraws its overlay for the ring). The camera
    // moves once they are complete — or after DETAILS_FIRST_MS — and once the panel has taken its place, so the point
    // lands clear of it: each frame of a flight over a million points holds a software renderer for a while.
    atlas.view.setSelected(row);
    if (row < 0) return;
    const move = () => {
      if (atlas.view.selected !== row) return;
      if (fly) atlas.flyTo(row);
      else atlas.keepClear(row);
    };
    // (Details that fail to load — a damaged folder — say so in their own promise; the camera moves regardless.)
    void Promise.race([this.detailsRendering.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, DETAILS_FIRST_MS))]).then(() => requestAnimationFrame(move));
  }

  // ---------- filters ----------

  private buildFilters(): void {
    const host = byId('filters');
    for (const field of this.atlas.meta.fields) {
      const column = this.atlas.data.column(field.name)!;
      if (column.kind === 'category' && field.categories!.length <= 500) host.appendChild(this.categoryFilter(column));
      else if (column.kind === 'number' && field.max! > field.min!) host.appendChild(this.rangeFilter(column));
    }
    if (!host.firstChild) host.appendChild(element('p', { className: 'muted', text: 'No filterable fields.' }));
    const clear = byId('filters-clear');
    clear.addEventListener('click', () => this.atlas.view.clearFilters());
    const isolated = byId('isolate-status');
    this.filterUpdaters.push(() => {
      const view = this.atlas.view;
      clear.hidden = view.filters.size === 0 && !view.isolatedRows;
      isolated.hidden = !view.isolatedRows;
      isolated.textContent = view.isolatedRows ? `Isolated: ${view.isolatedIdList.length.toLocaleString('en-US')} selected ${view.isolatedIdList.length === 1 ? 'entity' : 'entities'}` : '';
    });
  }

  private categoryFilter(column: Extract<Column, { kind: 'category' }>): HTMLElement {
    const view = this.atlas.view;
    const meta = column.meta;
    const boxes: HTMLInputElement[] = [];
    const counts: HTMLElement[] = [];
    const apply = () => view.setFilter(meta.name, boxes.filter((b) => b.checked).map((b) => b.value));
    const list = element('div', { className: 'checklist' });
    meta.categories!.forEach((category, code) => {
      const box = element('input', { attrs: { type: 'checkbox', value: category } });
      box.checked = true;
      box.addEventListener('change', apply);
      boxes.push(box);
      const count = element('span', { className: 'count', text: meta.counts![code].toLocaleString('en-US') });
      counts.push(count);
      list.appendChild(element('label', {}, [box, element('span', { className: 'category-name', text: category, title: category }), count]));
    });
    const all = element('button', { text: 'All', className: 'small', attrs: { type: 'button' } });
    all.addEventListener('click', () => view.setFilter(meta.name, null));
    const none = element('button', { text: 'None', className: 'small', attrs: { type: 'button' } });
    none.addEventListener('click', () => view.setFilter(meta.name, []));
    const summary = element('summary', { text: `${meta.name} (${meta.categories!.length})` });
    this.filterUpdaters.push(() => {
      // Counts over the points passing the other filters (crossfilter); the ticks follow the one filter model.
      const crossCounts = view.categoryCounts(meta.name);
      boxes.forEach((b, code) => {
        b.checked = view.categoryShown(meta.name, code);
        counts[code].textContent = crossCounts[code].toLocaleString('en-US');
      });
      const shown = boxes.filter((b) => b.checked).length;
      summary.textContent = shown === boxes.length ? `${meta.name} (${boxes.length})` : `${meta.name} (${shown} of ${boxes.length})`;
    });
    return element('details', { className: 'filter', attrs: { 'data-field': meta.name } }, [summary, element('div', { className: 'row' }, [all, none]), list]);
  }

  private rangeFilter(column: Extract<Column, { kind: 'number' }>): HTMLElement {
    const view = this.atlas.view;
    const meta = column.meta;
    const steps = 1000;
    const min = meta.min!, max = meta.max!;
    const log = !!meta.log && min > 0;
    const span = max - min;
    const toValue = (s: number) => (log ? Math.exp(Math.log(min) + ((Math.log(max) - Math.log(min)) * s) / steps) : min + ((max - min) * s) / steps);
    const toStep = (v: number) => Math.round(log ? ((Math.log(Math.max(v, min)) - Math.log(min)) / (Math.log(max) - Math.log(min))) * steps : ((v - min) / (max - min)) * steps);
    const low = element('input', { attrs: { type: 'range', min: '0', max: String(steps), value: '0', 'aria-label': `${meta.name} minimum` } });
    const high = element('input', { attrs: { type: 'range', min: '0', max: String(steps), value: String(steps), 'aria-label': `${meta.name} maximum` } });
    const lowText = element('input', { className: 'range-value', attrs: { type: 'text', inputmode: 'decimal', 'aria-label': `${meta.name} from`, 'data-bound': 'min' } });
    const highText = element('input', { className: 'range-value', attrs: { type: 'text', inputmode: 'decimal', 'aria-label': `${meta.name} to`, 'data-bound': 'max' } });
    const histogram = element('canvas', { className: 'histogram', attrs: { width: '240', height: '36', role: 'img', 'aria-label': `Histogram of ${meta.name} over the points the other filters keep` } });
    const current = () => {
      const spec = view.filters.get(meta.name);
      return [spec?.min ?? min, spec?.max ?? max];
    };
    // What the text boxes last showed: a box still showing it means "unchanged" (its rounding never narrows the range).
    const shown = { low: '', high: '' };
    const write = (box: HTMLInputElement, which: 'low' | 'high', v: number) => {
      shown[which] = formatRangeValue(v, span);
      box.value = shown[which];
    };
    const show = () => {
      const [a, b] = current();
      low.value = String(Math.max(0, Math.min(steps, toStep(a))));
      high.value = String(Math.max(0, Math.min(steps, toStep(b))));
      if (document.activeElement !== lowText) write(lowText, 'low', a);
      if (document.activeElement !== highText) write(highText, 'high', b);
    };
    const slide = () => {
      let a = Number(low.value), b = Number(high.value);
      if (a > b) [a, b] = [b, a];
      // The ends of the slider mean "no bound" so rounding never drops the extreme points.
      view.setFilter(meta.name, a === 0 && b === steps ? null : { min: a === 0 ? min : toValue(a), max: b === steps ? max : toValue(b) });
    };
    low.addEventListener('input', slide);
    high.addEventListener('input', slide);
    const typed = () => {
      const [a0, b0] = current();
      let a = lowText.value === shown.low ? a0 : parseTyped(lowText.value);
      let b = highText.value === shown.high ? b0 : parseTyped(highText.value);
      if (!Number.isFinite(a)) a = a0;
      if (!Number.isFinite(b)) b = b0;
      if (a > b) [a, b] = [b, a];
      if (a !== a0 || b !== b0) view.setFilter(meta.name, { min: a, max: b });
      write(lowText, 'low', current()[0]);
      write(highText, 'high', current()[1]);
    };
    for (const text of [lowText, highText]) {
      text.addEventListener('change', typed);
      text.addEventListener('keydown', (e) => { if (e.key === 'Enter') typed(); });
    }
    const drawHistogram = () => {
      const counts = view.histogram(meta.name, HISTOGRAM_BINS);
      const ctx = histogram.getContext('2d')!;
      const w = histogram.width, h = histogram.height;
      ctx.clearRect(0, 0, w, h);
      const peak = Math.max(1, ...counts);
      const [a, b] = current();
      const lo = log ? Math.log(min) : min, hi = log ? Math.log(max) : max;
      const styles = getComputedStyle(byId('app'));
      const accent = styles.getPropertyValue('--accent').trim() || '#2266cc';
      const muted = styles.getPropertyValue('--border').trim() || '#888';
      const bw = w / counts.length;
      counts.forEach((c, k) => {
        const binLo = lo + ((hi - lo) * k) / counts.length, binHi = lo + ((hi - lo) * (k + 1)) / counts.length;
        const va = log ? Math.log(a) : a, vb = log ? Math.log(b) : b;
        const inside = binHi >= va && binLo <= vb;
        const barH = c === 0 ? 0 : Math.max(1.5, (Math.sqrt(c) / Math.sqrt(peak)) * (h - 2));
        ctx.fillStyle = inside ? accent : muted;
        ctx.fillRect(k * bw + 0.5, h - barH, Math.max(1, bw - 1), barH);
      });
      histogram.dataset.counts = counts.join(',');
    };
    this.filterUpdaters.push(() => {
      show();
      drawHistogram();
    });
    show();
    const readout = element('div', { className: 'range-inputs' }, [lowText, element('span', { className: 'muted', text: '–', attrs: { 'aria-hidden': 'true' } }), highText]);
    return element('details', { className: 'filter', attrs: { 'data-field': meta.name } }, [
      element('summary', { text: `${meta.name}${log ? ' (log scale)' : ''}` }),
      histogram,
      element('div', { className: 'double-range' }, [low, high]),
      readout,
    ]);
  }

  // ---------- my items ----------

  private buildMyItems(): void {
    const input = byId<HTMLTextAreaElement>('my-items-input');
    const status = byId('my-items-status');
    byId('my-items-apply').addEventListener('click', async () => {
      await this.atlas.data.all();
      const ids = input.value.split(/[\n,;\t]+/).map((s) => s.trim()).filter((s) => s);
      const result = this.atlas.setHighlight(ids);
      status.textContent = ids.length === 0 ? '' : `${result.matched.toLocaleString('en-US')} highlighted` + (result.missing.length ? `; not found: ${result.missing.slice(0, 5).join(', ')}${result.missing.length > 5 ? ` and ${result.missing.length - 5} more` : ''}` : '');
    });
    byId('my-items-clear').addEventListener('click', () => {
      input.value = '';
      status.textContent = '';
      this.atlas.setHighlight(null);
    });
  }

  // ---------- neighbourhood changes (Emblaze's idea) ----------

  private buildChanges(): void {
    const atlas = this.atlas;
    const section = byId('changes');
    if (atlas.meta.changes.length === 0) {
      section.hidden = true;
      return;
    }
    const other = byId<HTMLSelectElement>('changes-other');
    const fraction = byId<HTMLInputElement>('changes-fraction');
    const list = byId('changes-list');
    const note = byId('changes-note');
    const fill = () => {
      clearChildren(other);
      atlas.meta.layouts.forEach((l, i) => {
        if (i !== atlas.layout) other.appendChild(element('option', { text: l.name, attrs: { value: String(i) } }));
      });
    };
    fill();
    atlas.onChange(() => {
      if (other.options.length !== atlas.meta.layouts.length - 1 || [...other.options].some((o) => Number(o.value) === atlas.layout)) fill();
    });
    byId('changes-apply').addEventListener('click', async () => {
      const result = await atlas.data.neighborhoodOverlap(atlas.layout, Number(other.value));
      if (!result) return;
      const { overlap, k } = result;
      const rows = Array.from({ length: atlas.count }, (_, i) => i).sort((a, b) => overlap[a] - overlap[b] || atlas.data.popularity(b) - atlas.data.popularity(a) || a - b);
      const take = Math.max(1, Math.round((atlas.count * Number(fraction.value)) / 100));
      const chosen = rows.slice(0, take);
      atlas.highlightRows(chosen);
      clearChildren(list);
      const none = chosen.filter((r) => overlap[r] === 0).length;
      note.textContent = `${take.toLocaleString('en-US')} highlighted` + (none > 0 ? `; ${none.toLocaleString('en-US')} of them share none of their ${k} nearest neighbours between the layouts. The most popular:` : '. The most changed:');
      for (const row of chosen.slice(0, 10)) {
        const button = element('button', { className: 'link', text: atlas.data.label(row), title: atlas.data.label(row), attrs: { type: 'button' } });
        button.addEventListener('click', () => this.select(row, true));
        list.appendChild(element('li', {}, [button, element('span', { className: 'count', text: ` keeps ${overlap[row]} of ${k}` })]));
      }
    });
  }

  // ---------- legend ----------

  private legendSignature(): string {
    return `${this.atlas.view.colorField}|${this.legendExpanded}|${this.legendFilter}|${this.legendCollapsed}`;
  }

  private renderLegend(): void {
    const atlas = this.atlas;
    const view = atlas.view;
    this.legendState = this.legendSignature();
    const host = byId('legend');
    const focused = document.activeElement instanceof HTMLElement && host.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focused?.dataset.category ?? (focused?.dataset.testid === 'legend-toggle' ? '@toggle' : null);
    clearChildren(host);
    const column = atlas.data.column(view.colorField);
    const toggle = element('button', {
      className: 'legend-toggle',
      text: this.legendCollapsed ? '▸' : '▾',
      attrs: { type: 'button', 'data-testid': 'legend-toggle', 'aria-expanded': String(!this.legendCollapsed), 'aria-controls': 'legend-body', 'aria-label': this.legendCollapsed ? 'Show the legend' : 'Hide the legend' },
    });
    toggle.addEventListener('click', () => {
      this.legendCollapsed = !this.legendCollapsed;
      this.renderLegend();
      atlas.requestRender();
    });
    const title = !column || column.kind === 'text' ? 'No colour field' : column.meta.name;
    host.appendChild(element('div', { className: 'legend-head' }, [element('span', { className: 'legend-title', text: title }), toggle]));
    host.classList.toggle('collapsed', this.legendCollapsed);
    const body = element('div', { attrs: { id: 'legend-body' } });
    body.hidden = this.legendCollapsed;
    host.appendChild(body);
    if (focusKey === '@toggle') toggle.focus();
    if (!column || column.kind === 'text') return;
    if (column.kind === 'number') {
      const bar = element('canvas', { className: 'colorbar', attrs: { width: '160', height: '12', role: 'img', 'aria-label': `Colour scale of ${column.meta.name}` } });
      const ctx = bar.getContext('2d')!;
      for (let x = 0; x < 160; x++) {
        ctx.fillStyle = cssColor(viridis(x / 159));
        ctx.fillRect(x, 0, 1, 12);
      }
      body.appendChild(bar);
      body.appendChild(element('div', { className: 'colorbar-labels' }, [
        element('span', { text: formatNumber(column.meta.min!) }),
        element('span', { text: column.meta.log ? 'log scale' : '' }),
        element('span', { text: formatNumber(column.meta.max!) }),
      ]));
      if (column.meta.missing) body.appendChild(this.legendSwatchRow(cssColor(MISSING_COLOR), '(missing)', column.meta.missing, true, false));
      return;
    }
    const categories = column.meta.categories!;
    const filter = this.legendFilter.toLowerCase();
    const codes = categories.map((_, code) => code).filter((code) => !filter || categories[code].toLowerCase().includes(filter));
    const shown = this.legendExpanded ? codes : codes.slice(0, LEGEND_COLLAPSED);
    if (categories.length > LEGEND_COLLAPSED) {
      const search = element('input', { className: 'legend-search', attrs: { type: 'search', placeholder: `Find among ${categories.length} categories`, 'aria-label': 'Find a category' } });
      search.value = this.legendFilter;
      search.addEventListener('input', () => {
        this.legendFilter = search.value;
        this.legendExpanded = true;
        this.renderLegend();
        const again = byId('legend').querySelector('input.legend-search') as HTMLInputElement | null;
        again?.focus();
        again?.setSelectionRange(search.value.length, search.value.length);
      });
      body.appendChild(search);
    }
    const list = element('div', { className: 'legend-list' + (this.legendExpanded ? ' expanded' : ''), attrs: { role: 'group', 'aria-label': `${column.meta.name}: press a category to show or hide it` } });
    for (const code of shown) {
      const color = categoryCodeColor(code, column.meta.missing);
      const row = this.legendSwatchRow(cssColor(color), categories[code], 0, view.categoryShown(column.meta.name, code), true);
      row.dataset.category = categories[code];
      row.dataset.code = String(code);
      row.title = `${categories[code]} — click or Enter: show or hide; double-click or Shift+Enter: show only this one (again: show all)`;
      row.addEventListener('click', (e) => {
        if (e.detail > 1) return;
        view.toggleCategory(column.meta.name, code);
      });
      row.addEventListener('dblclick', () => view.toggleCategory(column.meta.name, code, true));
      row.addEventListener('keydown', (e) => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        view.toggleCategory(column.meta.name, code, e.shiftKey);
      });
      list.appendChild(row);
    }
    body.appendChild(list);
    if (codes.length > LEGEND_COLLAPSED) {
      const more = element('button', { className: 'link legend-more', text: this.legendExpanded ? 'Show fewer' : `Show all ${codes.length} categories`, attrs: { type: 'button' } });
      more.addEventListener('click', () => {
        this.legendExpanded = !this.legendExpanded;
        this.renderLegend();
      });
      body.appendChild(more);
    }
    const reset = element('button', { className: 'link legend-reset', attrs: { type: 'button' } });
    reset.addEventListener('click', () => view.setFilter(column.meta.name, null));
    body.appendChild(reset);
    this.updateLegend();
    if (focusKey && focusKey !== '@toggle') (host.querySelector(`.legend-row[data-code="${categories.indexOf(focusKey)}"]`) as HTMLElement | null)?.focus();
  }

  /** Updates the legend rows in place: shown or hidden (aria-pressed), counts over the other filters. */
  private updateLegend(): void {
    const view = this.atlas.view;
    const column = this.atlas.data.column(view.colorField);
    if (column?.kind !== 'category') return;
    const host = byId('legend');
    const counts = view.categoryCounts(column.meta.name);
    host.querySelectorAll<HTMLElement>('.legend-row[data-code]').forEach((row) => {
      const code = Number(row.dataset.code);
      const shown = view.categoryShown(column.meta.name, code);
      row.setAttribute('aria-pressed', String(shown));
      row.classList.toggle('hidden-category', !shown);
      row.querySelector('.count')!.textContent = counts[code].toLocaleString('en-US');
    });
    const hidden = view.hiddenCategories().length;
    const reset = host.querySelector<HTMLElement>('.legend-reset');
    if (reset) {
      reset.hidden = hidden === 0;
      reset.textContent = `Show all (${hidden} hidden)`;
    }
  }

  private legendSwatchRow(color: string, text: string, count: number, shown: boolean, interactive: boolean): HTMLElement {
    const swatch = element('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
    swatch.style.background = color;
    const attrs: Record<string, string> = interactive ? { role: 'button', tabindex: '0', 'aria-pressed': String(shown) } : {};
    return element('div', { className: 'legend-row' + (shown ? '' : ' hidden-category'), attrs }, [
      swatch,
      element('span', { className: 'legend-label', text }),
      element('span', { className: 'count', text: count.toLocaleString('en-US') }),
    ]);
  }

  // ---------- group selection ----------

  private buildSelectionPanel(): void {
    const view = this.atlas.view;
    byId('selection-clear').addEventListener('click', () => view.setSelection(null));
    byId('selection-isolate').addEventListener('click', () => {
      if (view.isolatedRows) view.setIsolated(null);
      else if (view.selection) view.setIsolated(view.selection.slice());
    });
    byId('selection-highlight').addEventListener('click', () => this.atlas.highlightRows(view.selectedRows()));
    byId('selection-copy').addEventListener('click', () => {
      const text = view.selectedRows().map((r) => this.atlas.data.ids[r]).join('\n');
      if (navigator.clipboard) navigator.clipboard.writeText(text).then(() => this.flash('selection-status', 'Ids copied'), () => this.flash('selection-status', 'The browser refused the clipboard'));
      else this.flash('selection-status', 'The browser refused the clipboard');
    });
    byId('export-selection').addEventListener('click', () => {
      const csv = this.selectionCsv();
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
      const a = element('a', { attrs: { href: url, download: 'selection.csv' } });
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });
    this.renderSelectionPanel();
  }

  selectionCsv(): string {
    return selectionCsv(this.atlas.data, this.atlas.view.selectedRows());
  }

  private renderSelectionPanel(): void {
    const atlas = this.atlas;
    const view = atlas.view;
    const panel = byId('selection-panel');
    const isolate = byId('selection-isolate');
    isolate.textContent = view.isolatedRows ? 'Show all' : 'Isolate';
    isolate.title = view.isolatedRows ? 'Show every point again' : 'Show only the selected points';
    panel.hidden = !view.selection && !view.isolatedRows;
    byId('selection-count').textContent = view.selection
      ? `${view.selectionCount.toLocaleString('en-US')} selected`
      : `${view.isolatedIdList.length.toLocaleString('en-US')} isolated`;
    for (const id of ['selection-highlight', 'selection-copy', 'export-selection']) (byId(id) as HTMLButtonElement).disabled = !view.selection;
    const breakdown = byId('selection-breakdown');
    clearChildren(breakdown);
    const rows = view.selectedRows();
    const column = atlas.data.column(view.colorField);
    if (!rows.length || !column) return;
    if (column.kind === 'category') {
      const counts = new Map<number, number>();
      for (const r of rows) counts.set(column.codes[r], (counts.get(column.codes[r]) ?? 0) + 1);
      const sorted = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
      // Six values (three on a phone, where the panel shares the map with the sheet).
      const rowsShown = matchMedia('(max-width: 800px)').matches ? 3 : 6;
      for (const [code, n] of sorted.slice(0, rowsShown)) {
        const swatch = element('span', { className: 'swatch', attrs: { 'aria-hidden': 'true' } });
        swatch.style.background = cssColor(categoryCodeColor(code, column.meta.missing));
        const bar = element('span', { className: 'bar' });
        bar.style.width = `${Math.round((n / rows.length) * 100)}%`;
        breakdown.appendChild(element('li', {}, [swatch, element('span', { className: 'legend-label', text: column.meta.categories![code] }), element('span', { className: 'count', text: `${n.toLocaleString('en-US')} · ${Math.round((n / rows.length) * 100)} %` }), bar]));
      }
      if (sorted.length > rowsShown) breakdown.appendChild(element('li', { className: 'muted', text: `and ${sorted.length - rowsShown} more ${column.meta.name} values` }));
    } else if (column.kind === 'number') {
      const values = rows.map((r) => column.values[r]).filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
      if (values.length) {
        const mean = values.reduce((s, v) => s + v, 0) / values.length;
        const span = column.meta.max! - column.meta.min!;
        breakdown.appendChild(element('li', { text: `${column.meta.name}: ${formatRangeValue(values[0], span)} – ${formatRangeValue(values[values.length - 1], span)}, median ${formatRangeValue(values[values.length >> 1], span)}, mean ${formatRangeValue(mean, span)}` }));
      }
    }
  }

  // ---------- details ----------

  private async renderDetails(): Promise<void> {
    const atlas = this.atlas;
    const data = atlas.data;
    const view = atlas.view;
    const row = view.selected;
    this.detailsRow = row;
    // What refresh() compares with: the panel is redrawn when the selection or its visibility changes.
    const hidden = row >= 0 && !view.visible[row];
    this.detailsHidden = hidden;
    const panel = byId('details');
    if (row >= 0 && !data.complete) {
      // Chosen before the fields are in (a click right after the first frame): the panel follows them.
      await data.all();
      if (this.detailsRow !== row) return;
    }
    // Ask for the neighbour chunk first, so the file loads while the panel is built.
    const neighborsLoading = row >= 0 ? data.neighborsOf(row) : Promise.resolve([]);
    clearChildren(panel);
    panel.hidden = row < 0;
    byId('app').classList.toggle('details-open', row >= 0);
    atlas.setNeighborRows([]);
    if (row < 0) return;
    const close = element('button', { className: 'close', text: '×', attrs: { type: 'button', 'aria-label': 'Close details' } });
    close.addEventListener('click', () => this.select(-1, false));
    panel.appendChild(close);
    panel.appendChild(element('h2', { text: data.label(row) }));
    if (hidden) {
      const reasons = view.failedFilters(row).map((key) => (key === ISOLATE ? 'the isolated selection' : key));
      const show = element('button', { text: 'Show it', attrs: { type: 'button', 'data-testid': 'reveal' } });
      show.addEventListener('click', () => {
        view.reveal(row);
        atlas.flyTo(row);
      });
      panel.appendChild(element('div', { className: 'notice', attrs: { role: 'status', 'data-testid': 'hidden-notice' } }, [
        element('span', { text: `Hidden by the filters on ${reasons.join(', ')}. ` }),
        show,
      ]));
    }
    const fields = element('dl', { className: 'fields' });
    fields.appendChild(element('dt', { text: 'id' }));
    fields.appendChild(element('dd', { text: data.id(row), attrs: { 'data-field': 'id' } }));
    for (const field of atlas.meta.fields) {
      const column = data.column(field.name)!;
      const value = cellText(column, row);
      fields.appendChild(element('dt', { text: field.name }));
      const dd = element('dd', { attrs: { 'data-field': field.name } });
      if (field.name === atlas.meta.link && value) dd.appendChild(safeLink(value));
      else dd.textContent = value || '—';
      fields.appendChild(dd);
    }
    panel.appendChild(fields);
    const neighbors = await neighborsLoading;
    if (this.detailsRow !== row) return;
    if (neighbors.length) {
      atlas.setNeighborRows(neighbors);
      panel.appendChild(element('h3', { text: `Nearest neighbours (${atlas.meta.neighbors!.space})` }));
      const list = element('ol', { className: 'neighbors' });
      for (const n of neighbors) {
        const label = data.label(n);
        const button = element('button', { className: 'link' + (view.visible[n] ? '' : ' hidden-hit'), text: label, title: view.visible[n] ? label : `${label} (hidden by filters)`, attrs: { type: 'button', 'data-id': data.id(n) } });
        button.addEventListener('click', () => this.select(n, true));
        list.appendChild(element('li', {}, [button]));
      }
      panel.appendChild(list);
    }
  }

  // ---------- footer ----------

  private buildFooter(): void {
    const p = this.atlas.meta.provenance;
    byId('footer-summary').textContent = `${this.atlas.count.toLocaleString('en-US')} ${this.atlas.count === 1 ? 'point' : 'points'} · built ${p.built} with EmbedPS ${p.version}`;
    const list = byId('provenance');
    for (const input of p.inputs) {
      list.appendChild(element('dt', { text: input.name }));
      list.appendChild(element('dd', { text: input.detail }));
    }
    for (const [key, value] of Object.entries(p.parameters)) {
      list.appendChild(element('dt', { text: key }));
      list.appendChild(element('dd', { text: value }));
    }
  }
}
