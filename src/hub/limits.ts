/**
 * Hub timers never keep the process alive on their own: the HTTP server and the feed do. This keeps
 * a test that fails before hub.stop() from hanging. (Mocked timers may lack unref.)
 */
export function unrefTimer<T>(timer: T): T {
  (timer as { unref?: () => void }).unref?.();
  return timer;
}
