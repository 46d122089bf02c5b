/**
 * cdktf records the full JavaScript stack trace of every token it creates (every attribute
 * reference), only to decorate the message of a token that later fails to resolve. With source
 * maps on (tsx, ts-jest) that is most of the synth time of a large customer: 1000 partners took
 * about 15 s to construct instead of about 1.5 s. Turning it off loses only that decoration.
 *
 * `AS2_TOKEN_STACK_TRACES=1` keeps them, for debugging a token error.
 */
// The module object itself (not an ES namespace copy), so that its export can be replaced.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- an ES import would copy the export
import stackTrace = require("cdktf/lib/tokens/private/stack-trace");

let disabled = false;

export function disableTokenCreationStackTraces(env: NodeJS.ProcessEnv = process.env): void {
  if (disabled || env.AS2_TOKEN_STACK_TRACES === "1") return;
  const mod = stackTrace as { captureStackTrace: (below?: unknown) => string[] };
  // cdktf calls it through the module object, so replacing the export is enough.
  mod.captureStackTrace = () => [];
  disabled = true;
}
