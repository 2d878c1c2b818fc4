/**
 * Credentials a client may put in its URL (`?token=`, `?access_token=`, `?jwt=`): never written to a
 * log or a metric. Query values of these names are replaced by `***`; everything else is kept, so
 * a log line still says which subscription a client asked for.
 */
const SECRET_PARAMS = /([?&](?:token|access_token|jwt|auth|password)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1***');
}
