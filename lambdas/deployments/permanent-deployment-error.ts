/**
 * A deployment that can never succeed as asked: recorded as failed, not retried. Apart from
 * run-deployment.ts so that the role model can raise it without importing the runner.
 */
export class PermanentDeploymentError extends Error {
  readonly code = 'PermanentDeploymentError';

  constructor(message: string) {
    super(message);
    this.name = 'PermanentDeploymentError';
  }
}
