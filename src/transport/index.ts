export { WebSocketServer, type ServerOptions, type ServerEvents, type VerifyHook, type VerifyResult } from './server.js';
export { WebSocketConnection, connectionSettings, type ConnectionEvents, type ConnectionOptions, type ConnectionSettings, type SendOptions } from './connection.js';
export { PreparedMessage, type PreparedMessageOptions } from './prepared-message.js';
export { connect, type ClientOptions } from './client.js';
export { ReadyState, type ReadyStateValue } from './ready-state.js';
export { AddressLimits, addressKey, type AddressLimitOptions, type AddressVerdict } from './address-limits.js';
export type { UpgradeRequest } from './upgrade-request.js';
