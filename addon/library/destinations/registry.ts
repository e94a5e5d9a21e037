import { destinationError } from './errors.js';
import { createLocalDestination } from './local.js';
import { createRsyncDestination } from './rsync.js';
import { createSftpDestination } from './sftp.js';
import { createSmbDestination } from './smb.js';
import { DESTINATION_KINDS, type Destination, type DestinationConfig, type DestinationDeps, type DestinationFactory, type DestinationKind } from './types.js';

/** One factory per kind; the key is the same as the kind's settings form in the UI. */
const FACTORIES: Readonly<Record<DestinationKind, DestinationFactory>> = Object.freeze({
  local: createLocalDestination,
  smb: createSmbDestination,
  sftp: createSftpDestination,
  rsync: createRsyncDestination,
});

export function isDestinationKind(kind: string): kind is DestinationKind {
  return (DESTINATION_KINDS as readonly string[]).includes(kind);
}

/** Build the adapter for a destination's settings. Throws `destination_invalid_config` for unusable settings. */
export function createDestination(config: DestinationConfig, deps: DestinationDeps): Destination {
  const kind: string = config.kind;
  if (!isDestinationKind(kind)) {
    throw destinationError('destination_invalid_config', `Unknown destination kind "${kind}" (expected one of ${DESTINATION_KINDS.join(', ')})`);
  }
  return FACTORIES[kind](config, deps);
}
