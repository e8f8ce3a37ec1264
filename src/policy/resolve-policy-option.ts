/**
 * Turns the reactor's `policy` option (and the `GREENREACTOR_POLICY` variable) into a `Policy`.
 *
 * @module
 */
import { Policy } from './policy.js';
import type { PolicyConfig } from './policy-schema.js';

/** The environment variable naming the default reactor's policy file. */
export const policyEnvironmentVariable = 'GREENREACTOR_POLICY';

/**
 * Resolves `new Reactor({ policy })`: nothing → the default policy (`auto` everywhere); a config object or
 * a JSON file path → loaded and validated; a `Policy` → used as it is (one policy can serve several reactors).
 * @param option - the option's value.
 * @returns the Policy.
 * @throws PolicyConfigError listing every problem of an invalid config or file.
 */
export function resolvePolicyOption(option: PolicyConfig | string | Policy | undefined): Policy {
  if (option === undefined) return new Policy();
  let isPolicy = false;
  try {
    isPolicy = option instanceof Policy;
  } catch {
    // a revoked Proxy throws from `instanceof`: not a Policy; Policy.load reports it as a PolicyConfigError
  }
  return isPolicy ? (option as Policy) : Policy.load(option);
}

/**
 * The default reactor's policy option: the file named by `GREENREACTOR_POLICY`, when set and not empty.
 * @param env - the environment. @defaultValue process.env
 * @returns the file path, or `undefined`.
 */
export function policyFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = env[policyEnvironmentVariable];
  return file === undefined || file.trim() === '' ? undefined : file;
}
