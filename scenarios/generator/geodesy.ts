import { EnuFrame } from '../../engine/core/geodesy.js';

/** Where the generated world's local ENU frame touches the WGS84 ellipsoid. */
export interface GeoAnchor {
  /** Degrees. */
  readonly latitude: number;
  readonly longitude: number;
  /** Ground altitude above mean sea level at the anchor, metres. */
  readonly altitudeMsl: number;
  /** Geoid separation (ellipsoid minus MSL) at the anchor, metres; held constant over the scene. */
  readonly geoidSeparation: number;
}

function frameAt(anchor: GeoAnchor): EnuFrame {
  return new EnuFrame({ latitude: anchor.latitude, longitude: anchor.longitude, altitude: anchor.altitudeMsl + anchor.geoidSeparation });
}

export function enuToGeodetic(anchor: GeoAnchor, east: number, north: number, up: number): { latitude: number; longitude: number; altitudeMsl: number } {
  const g = frameAt(anchor).toGeodetic({ east, north, up });
  return { latitude: g.latitude, longitude: g.longitude, altitudeMsl: g.altitude - anchor.geoidSeparation };
}

export function geodeticToEnu(anchor: GeoAnchor, latitude: number, longitude: number, altitudeMsl: number): { east: number; north: number; up: number } {
  return frameAt(anchor).toEnu({ latitude, longitude, altitude: altitudeMsl + anchor.geoidSeparation });
}
