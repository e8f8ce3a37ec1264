/**
 * Prints a `PolicyConfigError` the way every policy command does.
 *
 * @module
 */
import type { PolicyConfigIssue } from '../errors.js';
import { boundedLines } from './bounded-lines.js';
import { exitCodes, type CliIo } from './cli-io.js';

/**
 * The most issues, and rules, a policy command lists as text; `--json` lists every one. A generated file with 100,000
 * bad rules has 200,000 issues: printed whole, 25 MB nobody reads (the exit code says it is invalid either way).
 */
export const listedIssues = 50;

/**
 * Prints the issues of an invalid policy (or rethrows anything else): their count, then the first
 * {@link listedIssues} and how many more; with `json`, every one.
 * @param error - what `Policy.load` threw.
 * @param file - the policy file.
 * @param json - print `{ valid: false, issues }` as JSON instead of lines.
 * @param io - where to write.
 * @returns exit code 1.
 * @throws the error itself when it is not a `PolicyConfigError`.
 */
export function printConfigError(error: unknown, file: string, json: boolean, io: CliIo): number {
  if ((error as { code?: unknown }).code !== 'ERR_POLICY_CONFIG') throw error;
  const issues = (error as { issues: PolicyConfigIssue[] }).issues;
  if (json) {
    io.out(JSON.stringify({ valid: false, file, issues }, null, 2));
    return exitCodes.failed;
  }
  io.out(`${file}: invalid (${issues.length} issue${issues.length === 1 ? '' : 's'})`);
  const lines = boundedLines(issues, listedIssues, (issue) => `  ${issue.path === '' ? '(file)' : issue.path}: ${issue.message}`, (more) => `  … and ${more} more issues (--json lists every one)`);
  for (const line of lines) io.out(line);
  return exitCodes.failed;
}
