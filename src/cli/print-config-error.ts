/**
 * Prints a `PolicyConfigError` the way every policy command does.
 *
 * @module
 */
import type { PolicyConfigIssue } from '../errors.js';
import { exitCodes, type CliIo } from './cli-io.js';

/**
 * Prints every issue of an invalid policy (or rethrows anything else).
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
  for (const issue of issues) io.out(`  ${issue.path === '' ? '(file)' : issue.path}: ${issue.message}`);
  return exitCodes.failed;
}
