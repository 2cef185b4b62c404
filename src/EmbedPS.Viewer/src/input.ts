// Input on the map: mouse, touch and keyboard. Drag pans (galaxy: orbits), wheel and pinch zoom, a tap or click
// selects the point on top under it. Group selection: with the lasso or box tool on (toolbar), a drag draws the
// shape; without it, Shift+drag draws a lasso and Ctrl/⌘+drag a box. Shift adds to the selection, Alt subtracts;
// Escape clears it. The controller writes the ViewState and moves the Atlas through its methods (pan, zoomAt, orbitBy,
// setLasso, setHovered …); it owns no state of its own but the gesture in progress.
import { Atlas } from './atlas';
import { cellText } from './data';
import { byId, clearChildren, element } from './dom';

export type SelectTool = 'none' | 'lasso' | 'box';

export interface InputHost {
  /** Selects one entity (the details panel follows); fly: move the camera to it. */
  select(row: number, fly: boolean): void;
  /** Tells the URL writer that the state changed. */
  notify(): void;
}

export class InputController {
  tool: SelectTool = 'none';
  private readonly keys = new Set<string>();
  private keyStepping = false;

  constructor(private readonly atlas: Atlas, private readonly host: InputHost) {}

  /** Applies a lasso or box (CSS pixels of the map) to the group selection; returns the selection's size. */
  selectRegion(polygon: [number, number][], mode: 'replace' | 'add' | 'subtract' = 'replace'): number {
    return this.atlas.view.setSelection(this.atlas.rowsInPolygon(polygon), mode);
  }

  bind(): void {
    const atlas = this.atlas;
    const stage = byId('stage');
    const canvas = byId('overlay');
    const tooltip = byId('tooltip');
    const pointers = new Map<number, { x: number; y: number }>();
    let dragged = 0;
    let pinch = 0;
    let shape: { kind: 'lasso' | 'box'; mode: 'replace' | 'add' | 'subtract'; start: [number, number]; points: [number, number][] } | null = null;
    const local = (e: { clientX: number; clientY: number }) => {
      const r = canvas.getBoundingClientRect();
      return { x: e.clientX - r.left, y: e.clientY - r.top };
    };
    const boxPolygon = (a: [number, number], b: [number, number]): [number, number][] => [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]]];
    canvas.addEventListener('pointerdown', (e) => {
      canvas.setPointerCapture(e.pointerId);
      const p = local(e);
      pointers.set(e.pointerId, p);
      dragged = 0;
      shape = null;
      if (pointers.size === 1 && e.button === 0) {
        const kind = e.ctrlKey || e.metaKey ? 'box' : e.shiftKey || e.altKey ? 'lasso' : this.tool === 'none' ? null : this.tool;
        if (kind) {
          shape = { kind, mode: e.altKey ? 'subtract' : e.shiftKey ? 'add' : 'replace', start: [p.x, p.y], points: [[p.x, p.y]] };
          tooltip.hidden = true;
        }
      }
      if (pointers.size === 2) {
        shape = null;
        atlas.setLasso(null);
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
        if (shape) {
          if (shape.kind === 'box') shape.points = boxPolygon(shape.start, [p.x, p.y]);
          else shape.points.push([p.x, p.y]);
          atlas.setLasso(shape.points);
        } else if (pointers.size === 2) {
          const [a, b] = [...pointers.values()];
          const distance = Math.hypot(a.x - b.x, a.y - b.y);
          if (pinch > 0 && atlas.mode === '2d') atlas.zoomAt(distance / pinch, (a.x + b.x) / 2, (a.y + b.y) / 2);
          else if (pinch > 0) atlas.dollyBy(pinch / distance);
          pinch = distance;
        } else if (atlas.mode === '3d') {
          atlas.orbitBy(dx, dy);
        } else {
          atlas.pan(dx, dy);
        }
        tooltip.hidden = true;
        return;
      }
      if (e.pointerType === 'mouse') this.hover(p.x, p.y);
    });
    const release = (e: PointerEvent) => {
      const had = pointers.delete(e.pointerId);
      if (pointers.size < 2) pinch = 0;
      if (shape && had) {
        const done = shape;
        shape = null;
        atlas.setLasso(null);
        if (e.type === 'pointerup' && dragged >= 5 && done.points.length >= 3) this.selectRegion(done.points, done.mode);
        else if (e.type === 'pointerup' && done.mode === 'replace' && dragged < 5) atlas.view.setSelection(null);
        return;
      }
      if (had && dragged < 5 && e.type === 'pointerup' && pointers.size === 0) {
        const p = local(e);
        this.host.select(atlas.pick(p.x, p.y), false);
      } else if (had) {
        this.host.notify();
      }
    };
    canvas.addEventListener('pointerup', release);
    canvas.addEventListener('pointercancel', release);
    canvas.addEventListener('pointerleave', () => {
      tooltip.hidden = true;
      atlas.setHovered(-1);
    });
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const p = local(e);
      const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0015));
      if (atlas.mode === '3d') atlas.dollyBy(1 / factor);
      else atlas.zoomAt(factor, p.x, p.y);
      this.host.notify();
    }, { passive: false });
    canvas.addEventListener('dblclick', (e) => {
      if (this.tool !== 'none') return;
      const p = local(e);
      if (atlas.mode === '2d') atlas.zoomAt(2, p.x, p.y);
      this.host.notify();
    });
    window.addEventListener('keydown', (e) => {
      const target = e.target as HTMLElement;
      const key = e.key.toLowerCase();
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT')) return;
      if (key === 'escape') {
        // Escape closes what is open, innermost first: the drawer, the details, then the group selection.
        const app = byId('app');
        if (app.classList.contains('drawer-open')) app.classList.remove('drawer-open');
        else if (atlas.view.selected >= 0) this.host.select(-1, false);
        else if (atlas.view.selection) atlas.view.setSelection(null);
        return;
      }
      if (target && (target.tagName === 'BUTTON' || target.getAttribute('role') === 'button')) return;
      if (['+', '=', '-', '_'].includes(key)) {
        // One press, one visible step (key repeat gives more).
        e.preventDefault();
        atlas.zoomStep(key === '+' || key === '=' ? 1 : -1);
        this.host.notify();
        return;
      }
      if (['arrowleft', 'arrowright', 'arrowup', 'arrowdown', 'w', 'a', 's', 'd', 'q', 'e'].includes(key)) {
        e.preventDefault();
        this.keys.add(key);
        this.keyStep();
      }
    });
    window.addEventListener('keyup', (e) => {
      if (this.keys.delete(e.key.toLowerCase())) this.host.notify();
    });
    window.addEventListener('blur', () => this.keys.clear());
    window.addEventListener('resize', () => atlas.requestRender());
    stage.addEventListener('contextmenu', (e) => e.preventDefault());
  }

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
        atlas.flyBy((has('w', 'arrowup') ? 1 : 0) - (has('s', 'arrowdown') ? 1 : 0), (has('d', 'arrowright') ? 1 : 0) - (has('a', 'arrowleft') ? 1 : 0), (has('e') ? 1 : 0) - (has('q') ? 1 : 0));
      } else {
        const px = 12;
        atlas.pan((has('a', 'arrowleft') ? px : 0) - (has('d', 'arrowright') ? px : 0), (has('w', 'arrowup') ? px : 0) - (has('s', 'arrowdown') ? px : 0));
        const r = byId('overlay').getBoundingClientRect();
        if (has('e')) atlas.zoomAt(1.04, r.width / 2, r.height / 2);
        if (has('q')) atlas.zoomAt(1 / 1.04, r.width / 2, r.height / 2);
      }
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }

  private hover(x: number, y: number): void {
    const atlas = this.atlas;
    const tooltip = byId('tooltip');
    // Before the labels and fields are in (just after the first frame) there is nothing to show yet.
    const row = atlas.data.complete ? atlas.pick(x, y) : -1;
    atlas.setHovered(row);
    if (row < 0) {
      tooltip.hidden = true;
      return;
    }
    clearChildren(tooltip);
    tooltip.appendChild(element('strong', { text: atlas.data.label(row) }));
    for (const name of atlas.meta.tooltip) {
      const column = atlas.data.column(name);
      if (!column) continue;
      const value = cellText(column, row);
      if (value) tooltip.appendChild(element('div', {}, [element('span', { className: 'muted', text: `${name}: ` }), element('span', { text: value })]));
    }
    tooltip.hidden = false;
    const r = byId('stage').getBoundingClientRect();
    tooltip.style.left = `${Math.max(4, Math.min(x + 14, r.width - tooltip.offsetWidth - 4))}px`;
    tooltip.style.top = `${Math.max(4, Math.min(y + 14, r.height - tooltip.offsetHeight - 4))}px`;
  }
}
