#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addStaxidStacks } from '@/lib/app';
import { CONTEXT_KEY, ConfigError, loadConfig } from '@/lib/config';

const app = new App();
try {
  addStaxidStacks(app, loadConfig(app.node.tryGetContext(CONTEXT_KEY), { baseDir: process.cwd() }));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
app.synth();
