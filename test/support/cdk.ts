import { resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addStaxidStacks, type StaxidStacks } from '@/lib/app';
import { CONTEXT_KEY, loadConfig, type StaxidConfig } from '@/lib/config';
import cdkJson from '@/cdk.json';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** The example configuration from cdk.json, as raw context (before validation). */
export function exampleContext(): Record<string, unknown> {
  return structuredClone(cdkJson.context[CONTEXT_KEY]) as Record<string, unknown>;
}

/** The example configuration, validated. */
export function exampleConfig(overrides: (raw: Record<string, unknown>) => void = () => {}): StaxidConfig {
  const raw = exampleContext();
  overrides(raw);
  return loadConfig(raw, { baseDir: REPO_ROOT });
}

export interface TestAppOptions {
  /** Run esbuild for every function (slow); by default assets are not bundled. */
  readonly bundle?: boolean;
  readonly config?: StaxidConfig;
}

/**
 * The whole staxid app as `cdk synth` builds it, with cdk-nag attached. Bundling is
 * skipped unless asked for, which leaves the templates unchanged apart from asset hashes.
 */
export function buildTestApp(options: TestAppOptions = {}): { app: App; stacks: StaxidStacks } {
  const app = new App({
    context: {
      ...cdkJson.context,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stacks = addStaxidStacks(app, options.config ?? exampleConfig());
  return { app, stacks };
}
