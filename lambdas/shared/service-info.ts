/** The service's name and version, as reported by GET /health and GET /openapi.json. */
export const SERVICE_NAME = 'staxid';

/**
 * Injected by esbuild at bundle time (see StaxidFunction) and by the local runtime; unset
 * in unit tests. Read on each call, so that module load order cannot freeze a stale value.
 */
export function serviceVersion(): string {
  return process.env.STAXID_VERSION ?? '0.0.0-dev';
}
