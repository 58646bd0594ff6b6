// TFJS graph models → ONNX, written with the ONNX builder.
export { convertTfjsGraphModel, convertTfjsModel, tfjsModelFiles, CONVERTER_OPSET, type ConvertOptions } from './convert.js';
export { TfjsConversionError } from './conversion-error.js';
export { CONVERTER_VERSION } from './version.js';
export { supportedOps } from './op-table.js';
