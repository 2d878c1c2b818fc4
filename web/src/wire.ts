// The wire protocol's types and decoder come from src/wire (bundled as is: it has no I/O and no Node
// APIs). Only what is specific to these pages is defined here.
export type {
  ClientCommandMessage as ClientCommand,
  CommandId,
  FeedState,
  ServerMessage,
  WireFeedStatus as FeedStatus,
  WireQuote as Quote,
  WireSymbolInfo as SymbolInfo,
} from '../../src/wire/index.js';
export { decodeServerMessage } from '../../src/wire/index.js';

/** Cadences offered by the dashboard: 0 = every tick as it happens. */
export const CADENCES = [0, 250, 1000] as const;
