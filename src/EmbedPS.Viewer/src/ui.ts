// Panels and input: search, layout and colour pickers, filters, legend, details, "my items", neighbourhood
// changes, provenance footer, mouse/touch/keyboard navigation. All data reaches the DOM as text (see dom.ts).
import { Atlas, FilterSpec } from './atlas';
import { Column, cellText, formatNumber } from './data';
import { byId, clearChildren, element, safeLink } from './dom';
import { MISSING_COLOR, categoryCodeColor, cssColor, viridis } from './colors';

const LEGEND_COLLAPSED = 12;

export class AtlasUi {
  private legendExpanded = false;
  private legendState = '';
  private legendFilter = '';
  private searchHits: number[] = [];
  private searchActive = -1;
  private detailsRow = -2;
  private readonly keys = new Set<string>();

  constructor(private readonly atlas: Atlas) {}

  build(): void {
    const atlas = this.atlas;
    byId('title').textContent = atlas.meta.title;
    this.buildLayoutSelect();
    this.buildColorSelect();
    this.buildSearch();
    this.buildFilters();
    this.buildMyItems();
    this.buildChanges();
    this.buildFooter();
    this.buildButtons();
    this.bindCanvas();
    atlas.onChange(() => this.refresh());
    this.refresh();
  }

  refresh(): void {
    const atlas = this.atlas;
    byId('visible-count').textContent = `${atlas.visibleCount().toLocaleString('en-US')} of ${atlas.count.toLocaleString('en-US')} ${atlas.count === 1 ? 'point' : 'points'} visible`;
    (byId('layout-select') as HTMLSelectElement).value = String(atlas.layout);
    (byId('color-select') as HTMLSelectElement).value = atlas.colorField ?? '';
    byId('mode-button').textContent = atlas.mode === '3d' ? 'Map (2-D)' : 'Galaxy (3-D)';
    byId('app').dataset.theme = atlas.theme;
    byId('app').dataset.mode = atlas.mode;
    // The legend is rebuilt only when what it shows changed (refresh also runs on every camera move).
    if (this.legendSignature() !== this.legendState) this.renderLegend();
    if (this.detailsRow !== atlas.selected) this.detailsRendering = this.renderDetails();
  }

  private detailsRendering: Promise<void> = Promise.resolve();

  /** Resolves when the details panel is complete for the current selection (its neighbours loaded and listed). */
  detailsReady(): Promise<void> {
    return this.detailsRendering;
  }

  // ---------- header ----------

  private buildLayoutSelect(): void {
    const select = byId('layout-select') as HTMLSelectElement;
    this.atlas.meta.layouts.forEach((layout, index) => select.appendChild(element('option', { text: layout.name, attrs: { value: String(index) } })));
    select.hidden = this.atlas.meta.layouts.length < 2;
    select.addEventListener('change', () => void this.atlas.setLayout(Number(select.value)));
  }

  private buildColorSelect(): void {
    const select = byId('color-select') as HTMLSelectElement;
    select.appendChild(element('option', { text: 'Colour: none', attrs: { value: '' } }));
    for (const field of this.atlas.meta.fields) {
      if (field.kind === 'text') continue;
      select.appendChild(element('option', { text: `Colour: ${field.name}`, attrs: { value: field.name } }));
    }
    select.addEventListener('change', () => this.atlas.setColor(select.value || null));
  }

  private buildButtons(): void {
    const atlas = this.atlas;
    const mode = byId('mode-button') as HTMLButtonElement;
    mode.hidden = !atlas.meta.galaxy;
    mode.addEventListener('click', () => void atlas.setMode(atlas.mode === '3d' ? '2d' : '3d'));
    byId('theme-button').addEventListener('click', () => atlas.setTheme(atlas.theme === 'dark' ? 'light' : 'dark'));
    byId('fit-button').addEventListener('click', () => atlas.fitCamera());
    byId('share-button').addEventListener('click', () => {
      const status = byId('share-status');
      const url = location.href;
      const done = (text: string) => {
        status.textContent = text;
        setTimeout(() => (status.textContent = ''), 2500);
      };
      if (navigator.clipboard) navigator.clipboard.writeText(url).then(() => done('Link copied'), () => done('Copy the address bar: it holds this view'));
      else done('Copy the address bar: it holds this view');
    });
    const size = byId('size-slider') as HTMLInputElement;
    size.addEventListener('input', () => atlas.setSizeMultiplier(Math.pow(2, Number(size.value))));
  }

  // ---------- search ----------

  private buildSearch(): void {
    const input = byId('search') as HTMLInputElement;
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
        if (this.searchHits.length === 0) return;
        this.searchActive = (this.searchActive + (e.key === 'ArrowDown' ? 1 : -1) + this.searchHits.length) % this.searchHits.length;
        this.markActive();
      } else if (e.key === 'Enter') {
        if (this.searchHits.length === 0) this.showSearch(input.value);
        const row = this.searchHits[Math.max(0, this.searchActive)];
        if (row !== undefined) this.choose(row);
      } else if (e.key === 'Escape') {
        list.hidden = true;
      }
    });
    input.addEventListener('blur', () => setTimeout(() => (list.hidden = true), 200));
  }

  private showSearch(text: string): void {
    const list = byId('search-results');
    clearChildren(list);
    if (!this.atlas.searchReady()) {
      // The index is still loading (it follows the first frame): say so, and answer as soon as it is there.
      this.searchHits = [];
      this.searchActive = -1;
      if (text.trim()) list.appendChild(element('li', { className: 'empty', text: 'Preparing search…' }));
      list.hidden = !text.trim();
      // Once the index is in — or could not be loaded, and the plain scan answers — show the hits.
      void this.atlas.loadSearch().catch(() => undefined).then(() => {
        const input = byId('search') as HTMLInputElement;
        if (input.value === text) this.showSearch(text);
      });
      return;
    }
    this.searchHits = this.atlas.searchIndex().find(text, 12);
    this.searchActive = this.searchHits.length ? 0 : -1;
    // Enter selects the first hit: fetch its neighbour chunk now, so its details are complete at once.
    if (this.searchHits.length) void this.atlas.neighborsOf(this.searchHits[0]).catch(() => undefined);
    for (const row of this.searchHits) {
      const item = element('li', { attrs: { role: 'option', 'data-row': String(row) } }, [
        element('span', { className: 'hit-label', text: this.atlas.label(row) }),
        element('span', { className: 'hit-id', text: this.atlas.ids[row] === this.atlas.label(row) ? '' : this.atlas.ids[row] }),
      ]);
      item.addEventListener('mousedown', (e) => {
        e.preventDefault();
        this.choose(row);
      });
      list.appendChild(item);
    }
    if (text.trim() && this.searchHits.length === 0) list.appendChild(element('li', { className: 'empty', text: 'No match' }));
    list.hidden = !text.trim();
    this.markActive();
  }

  private markActive(): void {
    byId('search-results').querySelectorAll('li').forEach((li, i) => li.classList.toggle('active', i === this.searchActive));
  }

  choose(row: number): void {
    byId('search-results').hidden = true;
    this.select(row, true);
  }

  select(row: number, fly: boolean): void {
    this.atlas.selected = row;
    if (fly) this.atlas.flyTo(row);
    this.atlas.requestRender();
    this.refresh();
    this.notify();
  }

  /** Tells the URL writer that the state changed. */
  notify(): void {
    window.dispatchEvent(new Event('atlas-state'));
  }

  // ---------- filters ----------

  private buildFilters(): void {
    const host = byId('filters');
    for (const field of this.atlas.meta.fields) {
      const column = this.atlas.columns.get(field.name)!;
      if (column.kind === 'category' && field.categories!.length <= 500) host.appendChild(this.categoryFilter(column));
      else if (column.kind === 'number' && field.max! > field.min!) host.appendChild(this.rangeFilter(column));
    }
    if (!host.firstChild) host.appendChild(element('p', { className: 'muted', text: 'No filterable fields.' }));
  }

  private categoryFilter(column: Extract<Column, { kind: 'category' }>): HTMLElement {
    const meta = column.meta;
    const boxes: HTMLInputElement[] = [];
    const apply = () => {
      const checked = boxes.filter((b) => b.checked).map((b) => b.value);
      this.atlas.setFilter(meta.name, checked.length === boxes.length ? null : { in: checked });
      this.notify();
    };
    const list = element('div', { className: 'checklist' });
    meta.categories!.forEach((category, code) => {
      const box = element('input', { attrs: { type: 'checkbox', value: category } });
      box.checked = true;
      box.addEventListener('change', apply);
      boxes.push(box);
      list.appendChild(element('label', {}, [box, element('span', { text: category }), element('span', { className: 'count', text: meta.counts![code].toLocaleString('en-US') })]));
    });
    const all = element('button', { text: 'All', className: 'small' });
    all.addEventListener('click', () => { boxes.forEach((b) => (b.checked = true)); apply(); });
    const none = element('button', { text: 'None', className: 'small' });
    none.addEventListener('click', () => { boxes.forEach((b) => (b.checked = false)); apply(); });
    this.atlas.onChange(() => {
      const spec = this.atlas.filters.get(meta.name);
      for (const b of boxes) b.checked = !spec?.in || spec.in.includes(b.value);
    });
    return element('details', { className: 'filter', attrs: { 'data-field': meta.name } }, [
      element('summary', { text: `${meta.name} (${meta.categories!.length})` }),
      element('div', { className: 'row' }, [all, none]),
      list,
    ]);
  }

  private rangeFilter(column: Extract<Column, { kind: 'number' }>): HTMLElement {
    const meta = column.meta;
    const steps = 1000;
    const min = meta.min!, max = meta.max!;
    const log = !!meta.log;
    const toValue = (s: number) => (log ? Math.exp(Math.log(min) + ((Math.log(max) - Math.log(min)) * s) / steps) : min + ((max - min) * s) / steps);
    const toStep = (v: number) => Math.round(log ? ((Math.log(v) - Math.log(min)) / (Math.log(max) - Math.log(min))) * steps : ((v - min) / (max - min)) * steps);
    const low = element('input', { attrs: { type: 'range', min: '0', max: String(steps), value: '0', 'aria-label': `${meta.name} minimum` } });
    const high = element('input', { attrs: { type: 'range', min: '0', max: String(steps), value: String(steps), 'aria-label': `${meta.name} maximum` } });
    const text = element('div', { className: 'range-text' });
    const show = () => (text.textContent = `${formatNumber(toValue(Number(low.value)))} – ${formatNumber(toValue(Number(high.value)))}`);
    const apply = () => {
      if (Number(low.value) > Number(high.value)) [low.value, high.value] = [high.value, low.value];
      show();
      const full = Number(low.value) === 0 && Number(high.value) === steps;
      // The ends of the slider mean "no bound" so rounding never drops the extreme points.
      this.atlas.setFilter(meta.name, full ? null : { min: Number(low.value) === 0 ? min : toValue(Number(low.value)), max: Number(high.value) === steps ? max : toValue(Number(high.value)) });
      this.notify();
    };
    low.addEventListener('input', apply);
    high.addEventListener('input', apply);
    this.atlas.onChange(() => {
      const spec = this.atlas.filters.get(meta.name);
      low.value = String(spec?.min !== undefined ? Math.max(0, toStep(spec.min)) : 0);
      high.value = String(spec?.max !== undefined ? Math.min(steps, toStep(spec.max)) : steps);
      show();
    });
    show();
    return element('details', { className: 'filter', attrs: { 'data-field': meta.name } }, [
      element('summary', { text: `${meta.name}${log ? ' (log scale)' : ''}` }),
      element('div', { className: 'double-range' }, [low, high]),
      text,
    ]);
  }

  // ---------- my items ----------

  private buildMyItems(): void {
    const input = byId('my-items-input') as HTMLTextAreaElement;
    const status = byId('my-items-status');
    byId('my-items-apply').addEventListener('click', () => {
      const ids = input.value.split(/[\n,;\t]+/).map((s) => s.trim()).filter((s) => s);
      const result = this.atlas.setHighlight(ids);
      status.textContent = ids.length === 0 ? '' : `${result.matched.toLocaleString('en-US')} highlighted` + (result.missing.length ? `; not found: ${result.missing.slice(0, 5).join(', ')}${result.missing.length > 5 ? ` and ${result.missing.length - 5} more` : ''}` : '');
      this.notify();
    });
    byId('my-items-clear').addEventListener('click', () => {
      input.value = '';
      status.textContent = '';
      this.atlas.setHighlight(null);
      this.notify();
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
    const other = byId('changes-other') as HTMLSelectElement;
    const fraction = byId('changes-fraction') as HTMLInputElement;
    const list = byId('changes-list');
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
      const score = await atlas.neighborhoodChange(atlas.layout, Number(other.value));
      if (!score) return;
      const rows = Array.from({ length: atlas.count }, (_, i) => i).sort((a, b) => score[b] - score[a] || atlas.popularity(b) - atlas.popularity(a));
      const take = Math.max(1, Math.round((atlas.count * Number(fraction.value)) / 100));
      const chosen = rows.slice(0, take);
      atlas.highlightRows(chosen);
      clearChildren(list);
      for (const row of chosen.slice(0, 10)) {
        const button = element('button', { className: 'link', text: `${atlas.label(row)} (${Math.round(score[row] * 100)}% of neighbours changed)` });
        button.addEventListener('click', () => this.select(row, true));
        list.appendChild(element('li', {}, [button]));
      }
      this.notify();
    });
  }

  // ---------- legend ----------

  private legendSignature(): string {
    return `${this.atlas.colorField}|${[...this.atlas.hiddenCategories].join(',')}|${this.legendExpanded}|${this.legendFilter}`;
  }

  private renderLegend(): void {
    const atlas = this.atlas;
    this.legendState = this.legendSignature();
    const host = byId('legend');
    clearChildren(host);
    const column = atlas.column(atlas.colorField);
    if (!column || column.kind === 'text') {
      host.appendChild(element('div', { className: 'legend-title', text: 'No colour field' }));
      return;
    }
    host.appendChild(element('div', { className: 'legend-title', text: column.meta.name }));
    if (column.kind === 'number') {
      const bar = element('canvas', { className: 'colorbar', attrs: { width: '160', height: '12' } });
      const ctx = bar.getContext('2d')!;
      for (let x = 0; x < 160; x++) {
        ctx.fillStyle = cssColor(viridis(x / 159));
        ctx.fillRect(x, 0, 1, 12);
      }
      host.appendChild(bar);
      host.appendChild(element('div', { className: 'colorbar-labels' }, [
        element('span', { text: formatNumber(column.meta.min!) }),
        element('span', { text: column.meta.log ? 'log scale' : '' }),
        element('span', { text: formatNumber(column.meta.max!) }),
      ]));
      if (column.meta.missing) host.appendChild(this.legendSwatchRow(cssColor(MISSING_COLOR), '(missing)', column.meta.missing, false));
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
      host.appendChild(search);
    }
    const list = element('div', { className: 'legend-list' + (this.legendExpanded ? ' expanded' : '') });
    for (const code of shown) {
      const color = categoryCodeColor(code, column.meta.missing);
      const row = this.legendSwatchRow(cssColor(color), categories[code], column.meta.counts![code], atlas.hiddenCategories.has(code));
      row.dataset.category = categories[code];
      row.title = 'Click or Enter: show or hide. Double-click or Shift+Enter: show only this one (again: show all).';
      row.addEventListener('click', (e) => {
        if (e.detail > 1) return;
        atlas.toggleCategory(code);
        this.notify();
      });
      row.addEventListener('dblclick', () => {
        atlas.toggleCategory(code, true);
        this.notify();
      });
      row.addEventListener('keydown', (e) => {
        if (e.key !== 'Enter' && e.key !== ' ') return;
        e.preventDefault();
        atlas.toggleCategory(code, e.shiftKey);
        this.notify();
      });
      list.appendChild(row);
    }
    host.appendChild(list);
    if (codes.length > LEGEND_COLLAPSED) {
      const more = element('button', { className: 'link legend-more', text: this.legendExpanded ? 'Show fewer' : `Show all ${codes.length} categories` });
      more.addEventListener('click', () => {
        this.legendExpanded = !this.legendExpanded;
        this.renderLegend();
      });
      host.appendChild(more);
    }
    if (atlas.hiddenCategories.size > 0) {
      const reset = element('button', { className: 'link', text: `Show all (${atlas.hiddenCategories.size} hidden)` });
      reset.addEventListener('click', () => {
        atlas.hiddenCategories.clear();
        atlas.refreshVisibility();
        this.notify();
      });
      host.appendChild(reset);
    }
  }

  private legendSwatchRow(color: string, text: string, count: number, hidden: boolean): HTMLElement {
    const swatch = element('span', { className: 'swatch' });
    swatch.style.background = color;
    return element('div', { className: 'legend-row' + (hidden ? ' hidden-category' : ''), attrs: { role: 'button', tabindex: '0' } }, [
      swatch,
      element('span', { className: 'legend-label', text }),
      element('span', { className: 'count', text: count.toLocaleString('en-US') }),
    ]);
  }

  // ---------- details ----------

  private async renderDetails(): Promise<void> {
    const atlas = this.atlas;
    const row = atlas.selected;
    this.detailsRow = row;
    const panel = byId('details');
    clearChildren(panel);
    panel.hidden = row < 0;
    if (row < 0) return;
    const close = element('button', { className: 'close', text: '×', attrs: { 'aria-label': 'Close details' } });
    close.addEventListener('click', () => this.select(-1, false));
    panel.appendChild(close);
    panel.appendChild(element('h2', { text: atlas.label(row) }));
    const fields = element('dl', { className: 'fields' });
    fields.appendChild(element('dt', { text: 'id' }));
    fields.appendChild(element('dd', { text: atlas.ids[row], attrs: { 'data-field': 'id' } }));
    for (const field of atlas.meta.fields) {
      const column = atlas.columns.get(field.name)!;
      const value = cellText(column, row);
      fields.appendChild(element('dt', { text: field.name }));
      const dd = element('dd', { attrs: { 'data-field': field.name } });
      if (field.name === atlas.meta.link && value) dd.appendChild(safeLink(value));
      else dd.textContent = value || '—';
      fields.appendChild(dd);
    }
    panel.appendChild(fields);
    const neighbors = await atlas.neighborsOf(row);
    if (this.detailsRow !== row) return;
    if (neighbors.length) {
      panel.appendChild(element('h3', { text: `Nearest neighbours (${atlas.meta.neighbors!.space})` }));
      const list = element('ol', { className: 'neighbors' });
      for (const n of neighbors) {
        const button = element('button', { className: 'link', text: atlas.label(n), attrs: { 'data-id': atlas.ids[n] } });
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

  // ---------- navigation ----------

  private bindCanvas(): void {
    const atlas = this.atlas;
    const stage = byId('stage');
    const canvas = byId('overlay');
    const tooltip = byId('tooltip');
    const pointers = new Map<number, { x: number; y: number }>();
    let dragged = 0;
    let pinch = 0;
    const local = (e: { clientX: number; clientY: number }) => {
      const r = canvas.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      pointers.set(e.pointerId, local(e));
      dragged = 0;
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        pinch = Math.hypot(a.x - b.x, a.y - b.y);
      }
    });
    canvas.addEventListener('pointermove', (e) => {
      const p = local(e);
      const previous = pointers.get(e.pointerId);
      if (previous) {
        const dx = p.x - previous.x, dy = p.y - previous.y;
        dragged += Math.abs(dx) + Math.abs(dy);
        pointers.set(e.pointerId, p);
        if (pointers.size === 2) {
          const [a, b] = [...pointers.values()];
          const distance = Math.hypot(a.x - b.x, a.y - b.y);
          if (pinch > 0 && atlas.mode === '2d') atlas.zoomAt(distance / pinch, (a.x + b.x) / 2, (a.y + b.y) / 2);
          else if (pinch > 0) { atlas.orbit.dolly(pinch / distance); atlas.noteMove(); }
          pinch = distance;
        } else if (atlas.mode === '3d') {
          atlas.orbit.orbit(dx, dy);
          atlas.noteMove();
        } else {
          atlas.pan(dx, dy);
        }
        atlas.requestRender();
        tooltip.hidden = true;
        return;
      }
      this.hover(p.x, p.y);
    });
    const release = (e: PointerEvent) => {
      const had = pointers.delete(e.pointerId);
      if (pointers.size < 2) pinch = 0;
      if (had && dragged < 5 && e.type === 'pointerup') {
        const p = local(e);
        const row = atlas.pick(p.x, p.y);
        this.select(row, false);
      } else if (had) {
        this.notify();
      }
    };
    canvas.addEventListener('pointerup', release);
    canvas.addEventListener('pointercancel', release);
    canvas.addEventListener('pointerleave', () => {
      tooltip.hidden = true;
      atlas.hovered = -1;
      atlas.requestRender();
    });
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const p = local(e);
      const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
      if (atlas.mode === '3d') { atlas.orbit.dolly(1 / factor); atlas.noteMove(); }
      else atlas.zoomAt(factor, p.x, p.y);
      atlas.requestRender();
      this.notify();
    }, { passive: false });
    canvas.addEventListener('dblclick', (e) => {
      const p = local(e);
      if (atlas.mode === '2d') atlas.zoomAt(2, p.x, p.y);
      this.notify();
    });
    window.addEventListener('keydown', (e) => {
      const target = e.target as HTMLElement;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
      const key = e.key.toLowerCase();
      if (key === 'escape') {
        this.select(-1, false);
        return;
      }
      if (['arrowleft', 'arrowright', 'arrowup', 'arrowdown', 'w', 'a', 's', 'd', 'q', 'e', '+', '=', '-', '_'].includes(key)) {
        e.preventDefault();
        this.keys.add(key);
        this.keyStep();
      }
    });
    window.addEventListener('keyup', (e) => {
      this.keys.delete(e.key.toLowerCase());
      this.notify();
    });
    window.addEventListener('resize', () => atlas.requestRender());
    stage.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  private keyStepping = false;

  /** Applies the held keys once a frame while any is held (smooth motion, independent of key repeat). */
  private keyStep(): void {
    if (this.keyStepping) return;
    this.keyStepping = true;
    const step = () => {
      const atlas = this.atlas;
      if (this.keys.size === 0) {
        this.keyStepping = false;
        return;
      }
      const k = this.keys;
      const has = (...names: string[]) => names.some((n) => k.has(n));
      if (atlas.mode === '3d') {
        atlas.orbit.fly((has('w', 'arrowup') ? 1 : 0) - (has('s', 'arrowdown') ? 1 : 0), (has('d', 'arrowright') ? 1 : 0) - (has('a', 'arrowleft') ? 1 : 0), (has('e') ? 1 : 0) - (has('q') ? 1 : 0));
        if (has('+', '=')) atlas.orbit.dolly(0.97);
        if (has('-', '_')) atlas.orbit.dolly(1.03);
        atlas.noteMove();
        atlas.requestRender();
      } else {
        const px = 12;
        atlas.pan((has('a', 'arrowleft') ? px : 0) - (has('d', 'arrowright') ? px : 0), (has('w', 'arrowup') ? px : 0) - (has('s', 'arrowdown') ? px : 0));
        const r = byId('overlay').getBoundingClientRect();
        if (has('+', '=', 'e')) atlas.zoomAt(1.04, r.width / 2, r.height / 2);
        if (has('-', '_', 'q')) atlas.zoomAt(1 / 1.04, r.width / 2, r.height / 2);
      }
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  private hover(x: number, y: number): void {
    const atlas = this.atlas;
    const tooltip = byId('tooltip');
    const row = atlas.pick(x, y);
    if (row !== atlas.hovered) {
      atlas.hovered = row;
      atlas.requestRender();
    }
    if (row < 0) {
      tooltip.hidden = true;
      return;
    }
    clearChildren(tooltip);
    tooltip.appendChild(element('strong', { text: atlas.label(row) }));
    for (const name of atlas.meta.tooltip) {
      const column = atlas.columns.get(name);
      if (!column) continue;
      const value = cellText(column, row);
      if (value) tooltip.appendChild(element('div', {}, [element('span', { className: 'muted', text: `${name}: ` }), element('span', { text: value })]));
    }
    tooltip.hidden = false;
    const r = byId('stage').getBoundingClientRect();
    tooltip.style.left = `${Math.min(x + 14, r.width - tooltip.offsetWidth - 4)}px`;
    tooltip.style.top = `${Math.min(y + 14, r.height - tooltip.offsetHeight - 4)}px`;
  }
}

export type { FilterSpec };
