import { resolve } from 'node:path';
import cdkJson from '@/cdk.json';
import { CONTEXT_KEY, loadConfig, type StaxidConfig } from '@/lib/config';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** The example configuration from cdk.json, as raw context (before validation). */
export function exampleContext(): Record<string, unknown> {
  return structuredClone(cdkJson.context[CONTEXT_KEY]) as Record<string, unknown>;
}

/** The example configuration, validated, after `overrides` has changed the raw context. */
export function exampleConfig(overrides: (raw: Record<string, unknown>) => void = () => {}): StaxidConfig {
  const raw = exampleContext();
  overrides(raw);
  return loadConfig(raw, { baseDir: REPO_ROOT });
}
