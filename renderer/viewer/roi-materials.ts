/**
 * How one ROI is drawn: the camera-facing sphere impostor (its shaders) and the lit mesh shapes,
 * each as a fresh geometry and material that the caller owns and disposes.
 */
import { ROI_DATA_GLSL, type RoiUniforms } from './roi-textures.ts';
import { type BufferGeometry, IcosahedronGeometry, type Material, MeshLambertMaterial, OctahedronGeometry, PlaneGeometry, ShaderMaterial } from 'three';

/**
 * How one ROI is drawn: 'impostor' (default) is a camera-facing quad (2 triangles) shaded as a
 * sphere in the fragment shader; 'octahedron' (8) and 'icosahedron' (20) are lit meshes.
 */
export type RoiShape = 'impostor' | 'octahedron' | 'icosahedron';

const IMPOSTOR_VERTEX = `
${ROI_DATA_GLSL}
varying vec3 vColor;
varying vec2 vCorner;
void main() {
  vec4 centre = modelViewMatrix * instanceMatrix * vec4(0.0, 0.0, 0.0, 1.0);
  float radius = length(instanceMatrix[0].xyz);
  vCorner = position.xy;
  vColor = instanceColor;
  // Playing activity: the colour comes from the activity texture at uFrame (instances are in ROI order).
  if (uByActivity > 0.5) vColor = pow(roiColor(gl_InstanceID).rgb, vec3(2.2));
  gl_Position = projectionMatrix * (centre + vec4(position.xy * radius, 0.0, 0.0));
}`;

const IMPOSTOR_FRAGMENT = `
varying vec3 vColor;
varying vec2 vCorner;
void main() {
  float r2 = dot(vCorner, vCorner);
  if (r2 > 1.0) discard;
  vec3 n = vec3(vCorner, sqrt(1.0 - r2));
  float light = 0.42 + 0.58 * max(0.0, dot(n, normalize(vec3(0.35, 0.45, 0.82))));
  gl_FragColor = vec4(vColor * light, 1.0);
  #include <colorspace_fragment>
}`;

/**
 * A new geometry and material for `shape`; the caller owns and disposes both. The impostor reads
 * `uniforms` (shared by reference) to colour by activity on the GPU; the lit meshes use instance
 * colours only.
 */
export function makeShape(shape: RoiShape, uniforms: RoiUniforms): { geometry: BufferGeometry; material: Material } {
  switch (shape) {
    case 'impostor':
      return {
        geometry: new PlaneGeometry(2, 2),
        material: new ShaderMaterial({ vertexShader: IMPOSTOR_VERTEX, fragmentShader: IMPOSTOR_FRAGMENT, uniforms: { ...uniforms } }),
      };
    case 'octahedron':
      return { geometry: new OctahedronGeometry(1, 0), material: new MeshLambertMaterial({ color: 0xffffff }) };
    case 'icosahedron':
      return { geometry: new IcosahedronGeometry(1, 0), material: new MeshLambertMaterial({ color: 0xffffff }) };
  }
}
