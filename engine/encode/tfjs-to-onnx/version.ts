/**
 * Changes whenever the converter's output for the same TFJS model may change, so that cached
 * conversions (ensureCocoModel) are rebuilt rather than trusted.
 */
export const CONVERTER_VERSION = 1;
