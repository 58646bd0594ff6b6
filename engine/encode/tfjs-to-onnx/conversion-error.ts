/** A TFJS model that cannot be converted: the message names the file, weight, node or op at fault. */
export class TfjsConversionError extends Error {
  override name = 'TfjsConversionError';
}
