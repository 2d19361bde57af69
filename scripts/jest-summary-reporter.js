// Writes jest's pass/fail counts to a file so `.ci/run` can print the closing line CI reads
// (`N passed, N failed`), whatever else `npm test` runs after jest.
const fs = require('node:fs');
const path = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const out = process.env.TREMOR_TEST_SUMMARY;
    if (!out) return;
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const failedSuites = results.testResults.filter((r) => r.testExecError).length;
    fs.writeFileSync(
      out,
      JSON.stringify({
        passed: results.numPassedTests,
        failed: results.numFailedTests + failedSuites,
      }),
    );
  }
}
module.exports = SummaryReporter;
