/** Connection states, numbered as the browser's WebSocket.readyState so users can compare them directly. */
export const ReadyState = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;
export type ReadyStateValue = (typeof ReadyState)[keyof typeof ReadyState];
