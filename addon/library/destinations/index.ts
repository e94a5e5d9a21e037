export * from './types.js';
export { createDestination, isDestinationKind } from './registry.js';
export { transferFile, PART_SUFFIX, type TransferOptions, type TransferResult } from './transfer.js';
export { destinationError, isRetryable, statusForError, isAbortError, type DestinationErrorCode } from './errors.js';
