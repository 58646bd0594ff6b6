/** WGS84 geodetic ⇄ local East-North-Up, through ECEF (exact, no flat-earth approximation). */

const A = 6378137.0;
const F = 1 / 298.257223563;
const E2 = F * (2 - F);

export interface Geodetic {
  readonly latitude: number;
  readonly longitude: number;
  /** Height above the WGS84 ellipsoid, metres. */
  readonly altitude: number;
}

export interface Enu {
  readonly east: number;
  readonly north: number;
  readonly up: number;
}

export function geodeticToEcef(g: Geodetic): [number, number, number] {
  const lat = (g.latitude * Math.PI) / 180;
  const lon = (g.longitude * Math.PI) / 180;
  const sinLat = Math.sin(lat);
  const n = A / Math.sqrt(1 - E2 * sinLat * sinLat);
  const r = (n + g.altitude) * Math.cos(lat);
  return [r * Math.cos(lon), r * Math.sin(lon), (n * (1 - E2) + g.altitude) * sinLat];
}

export function ecefToGeodetic(x: number, y: number, z: number): Geodetic {
  const lon = Math.atan2(y, x);
  const p = Math.hypot(x, y);
  let lat = Math.atan2(z, p * (1 - E2));
  let alt = 0;
  // Bowring-style iteration: converges to sub-millimetre in a few steps at any height used on Earth.
  for (let i = 0; i < 8; i++) {
    const sinLat = Math.sin(lat);
    const n = A / Math.sqrt(1 - E2 * sinLat * sinLat);
    alt = p / Math.cos(lat) - n;
    lat = Math.atan2(z, p * (1 - (E2 * n) / (n + alt)));
  }
  return { latitude: (lat * 180) / Math.PI, longitude: (lon * 180) / Math.PI, altitude: alt };
}

/** A local tangent plane anchored at an origin; converts both ways. */
export class EnuFrame {
  readonly origin: Geodetic;
  readonly #ecef0: [number, number, number];
  readonly #sinLat: number;
  readonly #cosLat: number;
  readonly #sinLon: number;
  readonly #cosLon: number;

  constructor(origin: Geodetic) {
    this.origin = origin;
    this.#ecef0 = geodeticToEcef(origin);
    const lat = (origin.latitude * Math.PI) / 180;
    const lon = (origin.longitude * Math.PI) / 180;
    this.#sinLat = Math.sin(lat);
    this.#cosLat = Math.cos(lat);
    this.#sinLon = Math.sin(lon);
    this.#cosLon = Math.cos(lon);
  }

  toEnu(g: Geodetic): Enu {
    const [x, y, z] = geodeticToEcef(g);
    const dx = x - this.#ecef0[0], dy = y - this.#ecef0[1], dz = z - this.#ecef0[2];
    return {
      east: -this.#sinLon * dx + this.#cosLon * dy,
      north: -this.#sinLat * this.#cosLon * dx - this.#sinLat * this.#sinLon * dy + this.#cosLat * dz,
      up: this.#cosLat * this.#cosLon * dx + this.#cosLat * this.#sinLon * dy + this.#sinLat * dz,
    };
  }

  toGeodetic(e: Enu): Geodetic {
    const x = -this.#sinLon * e.east - this.#sinLat * this.#cosLon * e.north + this.#cosLat * this.#cosLon * e.up;
    const y = this.#cosLon * e.east - this.#sinLat * this.#sinLon * e.north + this.#cosLat * this.#sinLon * e.up;
    const z = this.#cosLat * e.north + this.#sinLat * e.up;
    return ecefToGeodetic(x + this.#ecef0[0], y + this.#ecef0[1], z + this.#ecef0[2]);
  }
}
