/**
 * aws-local-stepfunctions 3.0.0 declares Node >= 22 and calls Promise.withResolvers (Node 22); the
 * project and its sandbox also run on Node 20, so the one missing function is supplied here.
 * Imported for its effect by whatever loads aws-local-stepfunctions.
 */
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

export {};
