/**
 * Prints the plain closing line CI reads ("N passed, N failed", then ", N skipped"
 * when any were), after jest's own summary.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const line = `${results.numPassedTests} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`\njest: ${line}\n`);
  }
}

module.exports = SummaryReporter;
