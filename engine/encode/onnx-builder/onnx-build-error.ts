/** A model that cannot be written as asked: the message names the node, value or field at fault. */
export class OnnxBuildError extends Error {
  override name = 'OnnxBuildError';
}
