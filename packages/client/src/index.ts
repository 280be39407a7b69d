export { BatonClient, type BatonClientOptions, type FollowedEvent, type RunChangesEvent, type RunQuery } from './client.js';
export { BatonApiError, isTransient, type BatonErrorCode, type ClientErrorCode } from './errors.js';
export { OPERATIONS, pathOf, type OperationId } from './operations.js';
export { itemsOf, pagesOf, type Page } from './pages.js';
export { readSse, SseParser, type SseMessage } from './sse.js';
export { eventStream, type ReconnectOptions, type StreamOptions } from './streams.js';
export type { RetryOptions, TransportOptions } from './transport.js';
