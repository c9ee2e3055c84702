import { App } from 'aws-cdk-lib';
import cdkJson from '@/cdk.json';
import { addStaxidStacks, type StaxidStacks } from '@/lib/app';
import type { StaxidConfig } from '@/lib/config';
import { exampleConfig } from '@/test/support/config';

export { exampleConfig, exampleContext, REPO_ROOT } from '@/test/support/config';

export interface TestAppOptions {
  /** Run esbuild for every function (slow); by default assets are not bundled. */
  readonly bundle?: boolean;
  readonly config?: StaxidConfig;
  /** Where the cloud assembly is written; a temporary folder by default. */
  readonly outdir?: string;
}

/**
 * The whole staxid app as `cdk synth` builds it, with cdk-nag attached. Bundling is
 * skipped unless asked for, which leaves the templates unchanged apart from asset hashes.
 */
export function buildTestApp(options: TestAppOptions = {}): { app: App; stacks: StaxidStacks } {
  const app = new App({
    ...(options.outdir && { outdir: options.outdir }),
    context: {
      ...cdkJson.context,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stacks = addStaxidStacks(app, options.config ?? exampleConfig());
  return { app, stacks };
}
