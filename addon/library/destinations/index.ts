export * from './types.js';
export { createDestination, isDestinationKind } from './registry.js';
export { PART_SUFFIX } from '../../domain/media.js';
export { transferFile, type TransferOptions, type TransferResult } from './transfer.js';
export { destinationError, isRetryable, statusForError, isAbortError, type DestinationErrorCode } from './errors.js';
