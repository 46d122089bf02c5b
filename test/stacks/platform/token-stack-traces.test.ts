/**
 * stacks/platform/token-stack-traces.ts replaces a private cdktf export (a 10x synth speed-up).
 * These tests fail with a clear message when a cdktf upgrade, or a move to CDK Terrain (cdktn),
 * changes that internal, instead of the speed-up silently vanishing or synth breaking.
 */
const INTERNAL = "cdktf/lib/tokens/private/stack-trace";
const WHAT_TO_DO =
  "stacks/platform/token-stack-traces.ts relies on it: find where the new version captures token creation stacks " +
  "and update that file (README: 'CDK Terrain').";

interface Fresh {
  lazy: { anyValue(p: { produce(): unknown }): { creationStack: string[] } };
  disable(env: NodeJS.ProcessEnv): void;
}

/** A fresh module registry: cdktf and our module as a new synth process would load them. */
function fresh(): Fresh {
  let out: Fresh | undefined;
  jest.isolateModules(() => {
    const { Lazy } = require("cdktf") as { Lazy: Fresh["lazy"] };
    const { disableTokenCreationStackTraces } = require("../../../stacks/platform/token-stack-traces") as {
      disableTokenCreationStackTraces: Fresh["disable"];
    };
    out = { lazy: Lazy, disable: disableTokenCreationStackTraces };
  });
  return out!;
}

describe("the cdktf internal that token-stack-traces.ts replaces", () => {
  it("still exists and exports captureStackTrace as a function", () => {
    let mod: unknown;
    try {
      mod = require(INTERNAL);
    } catch {
      throw new Error(`cdktf no longer has the module '${INTERNAL}'. ${WHAT_TO_DO}`);
    }
    const fn = (mod as { captureStackTrace?: unknown }).captureStackTrace;
    if (typeof fn !== "function") throw new Error(`'${INTERNAL}' no longer exports captureStackTrace. ${WHAT_TO_DO}`);
    expect(typeof fn).toBe("function");
  });

  it("is what tokens call: before disabling a token records its creation stack, after it none", () => {
    const before = fresh();
    const recorded = before.lazy.anyValue({ produce: () => 1 }).creationStack;
    if (!Array.isArray(recorded) || recorded.length === 0)
      throw new Error(`cdktf tokens no longer record creationStack through '${INTERNAL}'. ${WHAT_TO_DO}`);

    const after = fresh();
    after.disable({});
    const stack = after.lazy.anyValue({ produce: () => 1 }).creationStack;
    if (stack.length !== 0)
      throw new Error(`replacing '${INTERNAL}'.captureStackTrace no longer reaches token creation. ${WHAT_TO_DO}`);
    expect(stack).toEqual([]);
  });

  it("AS2_TOKEN_STACK_TRACES=1 keeps the stacks for debugging", () => {
    const kept = fresh();
    kept.disable({ AS2_TOKEN_STACK_TRACES: "1" });
    expect(kept.lazy.anyValue({ produce: () => 1 }).creationStack.length).toBeGreaterThan(0);
  });
});
