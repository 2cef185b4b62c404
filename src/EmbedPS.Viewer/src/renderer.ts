// WebGL2 point renderer: every point in one drawElements(POINTS) call. Per-point attributes are the position in
// two layouts (the vertex shader mixes them, so a layout change animates on the GPU), a colour whose alpha
// carries visibility (0 = filtered out: the point is not rasterised), and a size in pixels. The index buffer
// fixes the draw order: big points first so small ones stay visible on top (the osu! atlas's rule), highlighted
// points last. Galaxy mode draws the same colours and sizes at 3-D positions with a perspective camera.

const VERTEX_2D = `#version 300 es
in vec2 a_from;
in vec2 a_to;
in vec4 a_color;
in float a_size;
uniform float u_t;
uniform vec2 u_center;
uniform vec2 u_scale;
uniform float u_sizeScale;
uniform float u_maxSize;
out vec4 v_color;
out float v_size;
void main() {
  vec2 p = mix(a_from, a_to, u_t);
  gl_Position = vec4((p - u_center) * u_scale, 0.0, 1.0);
  float s = a_color.a <= 0.0 ? 0.0 : clamp(a_size * u_sizeScale, 1.0, u_maxSize);
  gl_PointSize = s;
  v_color = a_color;
  v_size = s;
}`;

const VERTEX_3D = `#version 300 es
in vec3 a_pos;
in vec4 a_color;
in float a_size;
uniform mat4 u_viewProjection;
uniform float u_sizeScale;
uniform float u_maxSize;
out vec4 v_color;
out float v_size;
void main() {
  vec4 clip = u_viewProjection * vec4(a_pos, 1.0);
  gl_Position = clip;
  float s = a_color.a <= 0.0 || clip.w <= 0.0 ? 0.0 : clamp(a_size * u_sizeScale / clip.w, 1.0, u_maxSize);
  gl_PointSize = s;
  v_color = a_color;
  v_size = s;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_color;
in float v_size;
out vec4 outColor;
void main() {
  vec2 c = gl_PointCoord * 2.0 - 1.0;
  float r = length(c);
  float edge = 2.0 / max(v_size, 1.0);
  float coverage = 1.0 - smoothstep(1.0 - edge, 1.0, r);
  if (coverage <= 0.0) discard;
  float rim = v_size > 7.0 ? smoothstep(1.0 - 3.0 * edge, 1.0 - edge, r) * 0.35 : 0.0;
  outColor = vec4(v_color.rgb * (1.0 - rim), v_color.a * coverage);
}`;

/**
 * A shader program compiled on first use — the galaxy's only when galaxy mode opens — and checked only when it is
 * first needed: compiling goes on in the GPU process meanwhile, and asking for its status at once would wait for it.
 */
class Program {
  private program: WebGLProgram | null = null;
  private checked = false;
  private locations: Record<string, WebGLUniformLocation | null> = {};

  constructor(private readonly gl: WebGL2RenderingContext, private readonly vertex: string, private readonly fragment: string, private readonly uniformNames: string[]) {}

  /** Starts compiling (no wait). */
  start(): WebGLProgram {
    if (this.program) return this.program;
    const gl = this.gl;
    const program = gl.createProgram()!;
    for (const [type, source] of [[gl.VERTEX_SHADER, this.vertex], [gl.FRAGMENT_SHADER, this.fragment]] as const) {
      const shader = gl.createShader(type)!;
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      gl.attachShader(program, shader);
    }
    gl.linkProgram(program);
    this.program = program;
    return program;
  }

  /** The linked program (waits for the compiler if it is not done); throws with the compiler's log when it failed. */
  get(): WebGLProgram {
    const program = this.start();
    if (!this.checked) {
      const gl = this.gl;
      if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
        const logs = gl.getAttachedShaders(program)?.map((shader) => gl.getShaderInfoLog(shader)).filter((log) => log) ?? [];
        throw new Error('Program: ' + (gl.getProgramInfoLog(program) || logs.join('; ')));
      }
      this.locations = Object.fromEntries(this.uniformNames.map((n) => [n, gl.getUniformLocation(program, n)]));
      this.checked = true;
    }
    return program;
  }

  get uniforms(): Record<string, WebGLUniformLocation | null> {
    this.get();
    return this.locations;
  }
}

export interface View2D {
  centerX: number;
  centerY: number;
  /** Pixels per world unit. */
  pixelsPerUnit: number;
  t: number;
  sizeScale: number;
}

export class PointRenderer {
  readonly gl: WebGL2RenderingContext;
  private readonly program2d: Program;
  private readonly program3d: Program;
  private readonly vao2d: WebGLVertexArrayObject;
  private readonly vao3d: WebGLVertexArrayObject;
  private readonly layoutBuffers: (WebGLBuffer | undefined)[] = [];
  private galaxyBuffer: WebGLBuffer | null = null;
  private readonly colorBuffer: WebGLBuffer;
  private readonly sizeBuffer: WebGLBuffer;
  private readonly indexBuffer: WebGLBuffer;
  private drawCount = 0;
  private maxSize = 0;

  /**
   * The renderer on a canvas: its WebGL2 context and programs (null without WebGL2). Made while the data loads — in a
   * software renderer making the context and compiling the shaders takes a noticeable while — and sized by the data's
   * first upload.
   */
  static create(canvas: HTMLCanvasElement): PointRenderer | null {
    const gl = canvas.getContext('webgl2', { antialias: false, premultipliedAlpha: false, preserveDrawingBuffer: true });
    return gl ? new PointRenderer(canvas, gl) : null;
  }

  private constructor(readonly canvas: HTMLCanvasElement, gl: WebGL2RenderingContext) {
    this.gl = gl;
    this.program2d = new Program(gl, VERTEX_2D, FRAGMENT, ['u_t', 'u_center', 'u_scale', 'u_sizeScale', 'u_maxSize']);
    this.program3d = new Program(gl, VERTEX_3D, FRAGMENT, ['u_viewProjection', 'u_sizeScale', 'u_maxSize']);
    this.program2d.start();
    this.colorBuffer = gl.createBuffer()!;
    this.sizeBuffer = gl.createBuffer()!;
    this.indexBuffer = gl.createBuffer()!;
    this.vao2d = gl.createVertexArray()!;
    this.vao3d = gl.createVertexArray()!;
    gl.enable(gl.BLEND);
    gl.blendFuncSeparate(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA, gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
  }

  /** The largest point the GPU draws, in device pixels (at most 96). */
  get maxPointSize(): number {
    if (!this.maxSize) this.maxSize = Math.min(96, (this.gl.getParameter(this.gl.ALIASED_POINT_SIZE_RANGE) as Float32Array)[1]);
    return this.maxSize;
  }

  /** Uploads layout `index`'s positions (layouts arrive one by one: the first frame's, then the others on use). */
  setLayout(index: number, positions: Float32Array): void {
    const gl = this.gl;
    const buffer = this.layoutBuffers[index] ?? gl.createBuffer()!;
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, positions, gl.STATIC_DRAW);
    this.layoutBuffers[index] = buffer;
  }

  hasLayout(index: number): boolean {
    return this.layoutBuffers[index] !== undefined;
  }

  hasGalaxy(): boolean {
    return this.galaxyBuffer !== null;
  }

  setGalaxy(positions: Float32Array): void {
    const gl = this.gl;
    this.galaxyBuffer = gl.createBuffer()!;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.galaxyBuffer);
    gl.bufferData(gl.ARRAY_BUFFER, positions, gl.STATIC_DRAW);
    const p = this.program3d.get();
    gl.bindVertexArray(this.vao3d);
    this.bindAttribute(p, 'a_pos', this.galaxyBuffer, 3, gl.FLOAT, false);
    this.bindAttribute(p, 'a_color', this.colorBuffer, 4, gl.UNSIGNED_BYTE, true);
    this.bindAttribute(p, 'a_size', this.sizeBuffer, 1, gl.FLOAT, false);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.indexBuffer);
    gl.bindVertexArray(null);
  }

  /** Binds the two layouts the vertex shader mixes (from = to when no transition runs). */
  setLayouts(from: number, to: number): void {
    const gl = this.gl;
    const p = this.program2d.get();
    gl.bindVertexArray(this.vao2d);
    this.bindAttribute(p, 'a_from', this.layoutBuffers[from]!, 2, gl.FLOAT, false);
    this.bindAttribute(p, 'a_to', this.layoutBuffers[to]!, 2, gl.FLOAT, false);
    this.bindAttribute(p, 'a_color', this.colorBuffer, 4, gl.UNSIGNED_BYTE, true);
    this.bindAttribute(p, 'a_size', this.sizeBuffer, 1, gl.FLOAT, false);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.indexBuffer);
    gl.bindVertexArray(null);
  }

  private bindAttribute(program: WebGLProgram, name: string, buffer: WebGLBuffer, size: number, type: number, normalized: boolean): void {
    const gl = this.gl;
    const location = gl.getAttribLocation(program, name);
    if (location < 0) return;
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.enableVertexAttribArray(location);
    gl.vertexAttribPointer(location, size, type, normalized, 0, 0);
  }

  /** Per point RGBA (alpha 0: filtered out). The first call sizes the buffer; later ones overwrite it. */
  setColors(rgba: Uint8Array): void {
    this.upload(this.colorBuffer, rgba, 'colors');
  }

  /** Per point diameter in CSS pixels at zoom 1. */
  setSizes(sizes: Float32Array): void {
    this.upload(this.sizeBuffer, sizes, 'sizes');
  }

  private readonly allocated = { colors: 0, sizes: 0 };

  private upload(buffer: WebGLBuffer, values: ArrayBufferView, which: 'colors' | 'sizes'): void {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    if (this.allocated[which] === values.byteLength) gl.bufferSubData(gl.ARRAY_BUFFER, 0, values);
    else {
      gl.bufferData(gl.ARRAY_BUFFER, values, gl.DYNAMIC_DRAW);
      this.allocated[which] = values.byteLength;
    }
  }

  setOrder(order: Uint32Array): void {
    const gl = this.gl;
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.indexBuffer);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, order, gl.DYNAMIC_DRAW);
    this.drawCount = order.length;
  }

  /** Sizes the canvas to its box in device pixels; `resized` says it changed (which clears it). */
  resize(): { width: number; height: number; ratio: number; resized: boolean } {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(1, Math.round(this.canvas.clientWidth * ratio));
    const height = Math.max(1, Math.round(this.canvas.clientHeight * ratio));
    const resized = this.canvas.width !== width || this.canvas.height !== height;
    if (resized) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    return { width, height, ratio, resized };
  }

  clear(background: [number, number, number]): void {
    const gl = this.gl;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(background[0] / 255, background[1] / 255, background[2] / 255, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
  }

  /** Draws the first `limit` points of the draw order (all by default): the biggest, since big points come first. */
  draw2d(view: View2D, limit = Infinity): void {
    const gl = this.gl;
    const ratio = window.devicePixelRatio || 1;
    gl.disable(gl.DEPTH_TEST);
    gl.useProgram(this.program2d.get());
    const u = this.program2d.uniforms;
    gl.uniform1f(u.u_t, view.t);
    gl.uniform2f(u.u_center, view.centerX, view.centerY);
    // World units to clip space: pixels per unit over half the canvas size in CSS pixels.
    gl.uniform2f(u.u_scale, (2 * view.pixelsPerUnit * ratio) / this.canvas.width, (2 * view.pixelsPerUnit * ratio) / this.canvas.height);
    gl.uniform1f(u.u_sizeScale, view.sizeScale * ratio);
    gl.uniform1f(u.u_maxSize, this.maxPointSize);
    gl.bindVertexArray(this.vao2d);
    gl.drawElements(gl.POINTS, Math.min(limit, this.drawCount), gl.UNSIGNED_INT, 0);
    gl.bindVertexArray(null);
  }

  /** Draws the galaxy; no point is drawn wider than maxSize device pixels however near the camera is. */
  draw3d(viewProjection: Float32Array, sizeScale: number, limit = Infinity, maxSize = this.maxPointSize): void {
    const gl = this.gl;
    const ratio = window.devicePixelRatio || 1;
    gl.enable(gl.DEPTH_TEST);
    gl.depthFunc(gl.LEQUAL);
    gl.useProgram(this.program3d.get());
    const u = this.program3d.uniforms;
    gl.uniformMatrix4fv(u.u_viewProjection, false, viewProjection);
    gl.uniform1f(u.u_sizeScale, sizeScale * ratio);
    gl.uniform1f(u.u_maxSize, Math.min(this.maxPointSize, maxSize));
    gl.bindVertexArray(this.vao3d);
    gl.drawElements(gl.POINTS, Math.min(limit, this.drawCount), gl.UNSIGNED_INT, 0);
    gl.bindVertexArray(null);
    gl.disable(gl.DEPTH_TEST);
  }
}
