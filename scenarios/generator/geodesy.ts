/**
 * WGS84 geodetic ⇄ local ENU (east, north, up) about an anchor, on the anchor's tangent plane with the
 * ellipsoid's radii of curvature: exact to millimetres over the few hundred metres a scenario spans.
 */
export interface GeoAnchor {
  /** Degrees. */
  readonly latitude: number;
  readonly longitude: number;
  /** Ground altitude above mean sea level at the anchor, metres. */
  readonly altitudeMsl: number;
  /** Geoid separation (ellipsoid minus MSL) at the anchor, metres. */
  readonly geoidSeparation: number;
}

const WGS84_A = 6378137;
const WGS84_E2 = 6.69437999014e-3;
const DEG = Math.PI / 180;

function radii(latDeg: number): { meridian: number; normal: number } {
  const s = Math.sin(latDeg * DEG);
  const w = Math.sqrt(1 - WGS84_E2 * s * s);
  return { meridian: (WGS84_A * (1 - WGS84_E2)) / (w * w * w), normal: WGS84_A / w };
}

export function enuToGeodetic(anchor: GeoAnchor, east: number, north: number, up: number): { latitude: number; longitude: number; altitudeMsl: number } {
  const { meridian, normal } = radii(anchor.latitude);
  return {
    latitude: anchor.latitude + north / meridian / DEG,
    longitude: anchor.longitude + east / (normal * Math.cos(anchor.latitude * DEG)) / DEG,
    altitudeMsl: anchor.altitudeMsl + up,
  };
}

export function geodeticToEnu(anchor: GeoAnchor, latitude: number, longitude: number, altitudeMsl: number): { east: number; north: number; up: number } {
  const { meridian, normal } = radii(anchor.latitude);
  return {
    east: (longitude - anchor.longitude) * DEG * normal * Math.cos(anchor.latitude * DEG),
    north: (latitude - anchor.latitude) * DEG * meridian,
    up: altitudeMsl - anchor.altitudeMsl,
  };
}
