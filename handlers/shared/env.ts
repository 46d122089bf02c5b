/** Handler configuration comes only from the environment the stack synthesizes. */
export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError";
}

export function requireEnv(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === "")
    throw new ConfigurationError(
      `environment variable ${name} is not set (the stack sets it; check the function configuration)`,
    );
  return v;
}

export function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n))
    throw new ConfigurationError(`environment variable ${name} must be an integer, found ${JSON.stringify(v)}`);
  return n;
}
