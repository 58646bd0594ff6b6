// Post-processing's public face: model outputs → detections and embeddings.
export { PostprocessError, type BoxDetection, type TensorLike } from './box-detection.js';
export { iou, iouAt } from './iou.js';
export { CandidateList } from './candidates.js';
export { nms, nmsIndices, selectDetections, rankDetections, type NmsOptions } from './nms.js';
export type { YoloDecodeOptions } from './yolo-options.js';
export { decodeYoloV5 } from './yolov5.js';
export { decodeYoloV8, type YoloV8DecodeOptions } from './yolov8.js';
export { decodeCenterNet, type CenterNetDecodeOptions } from './centernet.js';
export { decodeSsd, type SsdDecodeOptions } from './ssd.js';
export { decodeEmbeddings, l2NormalizeInPlace, type EmbeddingDecodeOptions } from './embeddings.js';
export { toDetections2D, type ToDetection2DOptions } from './to-detection-2d.js';
