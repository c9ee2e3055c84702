/** The service's name and version, as reported by GET /health and GET /openapi.json. */
export const SERVICE_NAME = 'staxid';

// Injected by esbuild at bundle time (see StaxidFunction) and by the local runtime;
// unset in unit tests, where the package version is irrelevant.
export const SERVICE_VERSION = process.env.STAXID_VERSION ?? '0.0.0-dev';
