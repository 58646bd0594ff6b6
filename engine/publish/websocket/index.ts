export { createWebSocketPublisher, type WebSocketPublisher, type WebSocketPublisherStats, type WebSocketClientStats } from './websocket-publisher.js';
export { websocketOutputSchema, type WebSocketOutputOptions, type WebSocketOutputInput } from './options.js';
export { subscribePercept, type PerceptSubscriberOptions, type PerceptSubscription } from './percept-subscriber.js';
export { parseDataMessage, dataHeader, type DataMessage } from './binary-frame.js';
export { PERCEPT_SUBPROTOCOL, FOXGLOVE_SUBPROTOCOL, type PerceptServerMessage, type TopicInfo } from './percept-protocol.js';
export { SCENE_TOPIC } from './foxglove-channels.js';
