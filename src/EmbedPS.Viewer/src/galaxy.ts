// Galaxy mode's camera: it orbits a target point (drag), moves toward it (wheel), and flies (W/A/S/D forward,
// left, back, right; Q/E down/up) as in the Music Galaxy the method comes from. The embedding is centred and scaled
// at export so that the bulk of it lies in a unit ball.

export class OrbitCamera {
  target: [number, number, number] = [0, 0, 0];
  yaw = 0.6;
  pitch = 0.35;
  distance = 2.6;
  readonly fov = (55 * Math.PI) / 180;

  /** Back to the start view (the "Reset view" button). */
  reset(): void {
    this.target = [0, 0, 0];
    this.yaw = 0.6;
    this.pitch = 0.35;
    this.distance = 2.6;
  }

  eye(): [number, number, number] {
    const cp = Math.cos(this.pitch);
    return [
      this.target[0] + this.distance * cp * Math.sin(this.yaw),
      this.target[1] + this.distance * Math.sin(this.pitch),
      this.target[2] + this.distance * cp * Math.cos(this.yaw),
    ];
  }

  orbit(dx: number, dy: number): void {
    this.yaw -= dx * 0.005;
    this.pitch = Math.max(-1.5, Math.min(1.5, this.pitch + dy * 0.005));
  }

  dolly(factor: number): void {
    this.distance = Math.max(0.02, Math.min(50, this.distance * factor));
  }

  /** Moves the target (and so the eye) along the view direction and its right/up vectors. */
  fly(forward: number, right: number, up: number): void {
    const eye = this.eye();
    const f = normalize([this.target[0] - eye[0], this.target[1] - eye[1], this.target[2] - eye[2]]);
    const r = normalize(cross(f, [0, 1, 0]));
    const step = Math.max(0.01, this.distance * 0.04);
    for (let i = 0; i < 3; i++) this.target[i] += (f[i] * forward + r[i] * right + (i === 1 ? up : 0)) * step;
  }

  viewProjection(aspect: number): Float32Array {
    const projection = perspective(this.fov, aspect, Math.max(0.001, this.distance * 0.01), this.distance + 20);
    const view = lookAt(this.eye(), this.target, [0, 1, 0]);
    return multiply(projection, view);
  }

  /** Focal length in pixels for a viewport height, so that point sizes scale as 1/depth. */
  focalPixels(height: number): number {
    return height / 2 / Math.tan(this.fov / 2);
  }

  state(): number[] {
    return [...this.target, this.yaw, this.pitch, this.distance].map((v) => Number(v.toFixed(5)));
  }

  restore(values: number[]): void {
    if (values.length !== 6 || values.some((v) => !Number.isFinite(v))) return;
    this.target = [values[0], values[1], values[2]];
    this.yaw = values[3];
    this.pitch = Math.max(-1.5, Math.min(1.5, values[4]));
    this.distance = Math.max(0.02, Math.min(50, values[5]));
  }
}

type Vec3 = [number, number, number];

function normalize(v: Vec3): Vec3 {
  const l = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / l, v[1] / l, v[2] / l];
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function perspective(fov: number, aspect: number, near: number, far: number): Float32Array {
  const f = 1 / Math.tan(fov / 2);
  const m = new Float32Array(16);
  m[0] = f / aspect;
  m[5] = f;
  m[10] = (far + near) / (near - far);
  m[11] = -1;
  m[14] = (2 * far * near) / (near - far);
  return m;
}

function lookAt(eye: Vec3, target: Vec3, up: Vec3): Float32Array {
  const z = normalize([eye[0] - target[0], eye[1] - target[1], eye[2] - target[2]]);
  const x = normalize(cross(up, z));
  const y = cross(z, x);
  const m = new Float32Array(16);
  m[0] = x[0]; m[4] = x[1]; m[8] = x[2];
  m[1] = y[0]; m[5] = y[1]; m[9] = y[2];
  m[2] = z[0]; m[6] = z[1]; m[10] = z[2];
  m[12] = -(x[0] * eye[0] + x[1] * eye[1] + x[2] * eye[2]);
  m[13] = -(y[0] * eye[0] + y[1] * eye[1] + y[2] * eye[2]);
  m[14] = -(z[0] * eye[0] + z[1] * eye[1] + z[2] * eye[2]);
  m[15] = 1;
  return m;
}

/** Column-major a × b. */
function multiply(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(16);
  for (let c = 0; c < 4; c++) {
    for (let r = 0; r < 4; r++) {
      let s = 0;
      for (let k = 0; k < 4; k++) s += a[k * 4 + r] * b[c * 4 + k];
      out[c * 4 + r] = s;
    }
  }
  return out;
}

/** Projects a point with a column-major view-projection matrix to CSS pixels, or null when behind the camera. */
export function projectToScreen(m: Float32Array, x: number, y: number, z: number, width: number, height: number): [number, number, number] | null {
  const cx = m[0] * x + m[4] * y + m[8] * z + m[12];
  const cy = m[1] * x + m[5] * y + m[9] * z + m[13];
  const cw = m[3] * x + m[7] * y + m[11] * z + m[15];
  if (cw <= 1e-6) return null;
  return [(cx / cw * 0.5 + 0.5) * width, (1 - (cy / cw * 0.5 + 0.5)) * height, cw];
}
