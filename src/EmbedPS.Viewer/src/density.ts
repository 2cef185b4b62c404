// The density layer: the visible points binned on a 4-pixel screen grid, blurred, drawn as faint bands with contour
// lines. It lives on the overlay canvas, which redraws on hover, selection and labels too, so the picture is kept and
// recomputed only when what it shows changes (the caller's key: layout, camera, map size, theme, filters).
import type { Rgb } from './colors';

export interface ScreenTransform {
  centerX: number;
  centerY: number;
  pixelsPerUnit: number;
}

export class DensityLayer {
  private key = '';
  private image: HTMLCanvasElement | null = null;
  private cell = 4;

  draw(ctx: CanvasRenderingContext2D, key: string, width: number, height: number, positions: Float32Array, visible: Uint8Array, view: ScreenTransform, color: Rgb): void {
    if (key !== this.key) {
      this.image = densityImage(width, height, positions, visible, view, color, this.cell);
      this.key = key;
    }
    if (!this.image) return;
    ctx.save();
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(this.image, 0, 0, this.image.width * this.cell, this.image.height * this.cell);
    ctx.restore();
  }
}

function densityImage(width: number, height: number, positions: Float32Array, visible: Uint8Array, view: ScreenTransform, color: Rgb, cell: number): HTMLCanvasElement | null {
  const gw = Math.ceil(width / cell), gh = Math.ceil(height / cell);
  let grid = new Float32Array(gw * gh);
  const { centerX, centerY, pixelsPerUnit: ppu } = view;
  const count = visible.length;
  for (let i = 0; i < count; i++) {
    if (!visible[i]) continue;
    const gx = Math.floor((width / 2 + (positions[2 * i] - centerX) * ppu) / cell);
    const gy = Math.floor((height / 2 - (positions[2 * i + 1] - centerY) * ppu) / cell);
    if (gx >= 0 && gy >= 0 && gx < gw && gy < gh) grid[gy * gw + gx]++;
  }
  // Three box blurs of radius 2 approximate a Gaussian of about 2.4 cells (10 pixels).
  for (let pass = 0; pass < 3; pass++) {
    const next = new Float32Array(gw * gh);
    for (let y = 0; y < gh; y++)
      for (let x = 0; x < gw; x++) {
        let s = 0;
        for (let d = -2; d <= 2; d++) { const xx = x + d; if (xx >= 0 && xx < gw) s += grid[y * gw + xx]; }
        next[y * gw + x] = s / 5;
      }
    grid = new Float32Array(gw * gh);
    for (let y = 0; y < gh; y++)
      for (let x = 0; x < gw; x++) {
        let s = 0;
        for (let d = -2; d <= 2; d++) { const yy = y + d; if (yy >= 0 && yy < gh) s += next[yy * gw + x]; }
        grid[y * gw + x] = s / 5;
      }
  }
  let max = 0;
  for (const v of grid) if (v > max) max = v;
  if (max <= 0) return null;
  const image = new ImageData(gw, gh);
  const [r, g, b] = color;
  // A smooth fill that grows with the square root of the density (so sparse regions show too) and contour lines at
  // four levels, light enough that the points stay readable under them.
  const levels = 4;
  const unit = (k: number) => Math.sqrt(grid[k] / max);
  const level = (k: number) => Math.min(levels - 1, Math.floor(unit(k) * levels + 0.15));
  for (let y = 0; y < gh; y++)
    for (let x = 0; x < gw; x++) {
      const k = y * gw + x;
      const here = level(k);
      const edge = here > 0 && ((x + 1 < gw && level(k + 1) < here) || (x > 0 && level(k - 1) < here) || (y + 1 < gh && level(k + gw) < here) || (y > 0 && level(k - gw) < here));
      image.data[4 * k] = r; image.data[4 * k + 1] = g; image.data[4 * k + 2] = b;
      image.data[4 * k + 3] = edge ? 120 : Math.round(unit(k) * 70);
    }
  const off = document.createElement('canvas');
  off.width = gw;
  off.height = gh;
  off.getContext('2d')!.putImageData(image, 0, 0);
  return off;
}
