// Colour scales. Categories get 20 hand-picked distinct colours (the Tableau 20 order, most frequent category
// first), then further hues spaced by the golden angle so that every category keeps a colour of its own and a
// legend entry: nothing is folded into an unreachable "other". Numbers use Viridis (perceptually uniform,
// readable by colour-blind viewers), on a log scale when the values are positive and heavy-tailed.

export type Rgb = [number, number, number];

const CATEGORY_PALETTE: Rgb[] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
  [174, 199, 232], [255, 187, 120], [152, 223, 138], [255, 152, 150], [197, 176, 213],
  [196, 156, 148], [247, 182, 210], [199, 199, 199], [219, 219, 141], [158, 218, 229],
];

export const MISSING_COLOR: Rgb = [150, 150, 150];

/** The colour of a category code; the "(missing)" category is grey whatever its position. */
export function categoryCodeColor(code: number, missingCode: number | undefined): Rgb {
  return code === missingCode ? MISSING_COLOR : categoryColor(code);
}

export function categoryColor(index: number): Rgb {
  if (index < CATEGORY_PALETTE.length) return CATEGORY_PALETTE[index];
  const hue = ((index - CATEGORY_PALETTE.length) * 137.508 + 20) % 360;
  const lightness = index % 2 === 0 ? 0.55 : 0.68;
  return hslToRgb(hue, 0.62, lightness);
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [Math.round((r + m) * 255), Math.round((g + m) * 255), Math.round((b + m) * 255)];
}

// Viridis sampled at 9 evenly spaced stops (matplotlib's table); linear interpolation between them.
const VIRIDIS: Rgb[] = [
  [68, 1, 84], [71, 44, 122], [59, 81, 139], [44, 113, 142], [33, 144, 141],
  [39, 173, 129], [92, 200, 99], [170, 220, 50], [253, 231, 37],
];

export function viridis(t: number): Rgb {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i], b = VIRIDIS[i + 1];
  return [Math.round(a[0] + (b[0] - a[0]) * f), Math.round(a[1] + (b[1] - a[1]) * f), Math.round(a[2] + (b[2] - a[2]) * f)];
}

export function cssColor(c: Rgb): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/** Maps a value to [0, 1] on a linear or log scale between min and max. */
export function scaleUnit(v: number, min: number, max: number, log: boolean): number {
  if (log) {
    const lo = Math.log(Math.max(min, 1e-12)), hi = Math.log(Math.max(max, 1e-12));
    return hi > lo ? (Math.log(Math.max(v, 1e-12)) - lo) / (hi - lo) : 0.5;
  }
  return max > min ? (v - min) / (max - min) : 0.5;
}
