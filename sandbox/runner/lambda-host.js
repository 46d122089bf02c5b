/*
 * One Lambda function's container for the sandbox: a child process with the function's own
 * environment that loads the deployed bundle (the zip's index.js) and runs invocations sent over IPC.
 * Plain JavaScript so that Node runs it without a TypeScript loader, as Lambda runs the bundle.
 */
"use strict";
const { randomUUID } = require("node:crypto");
const [, , modulePath, exportName, functionName, timeoutMs] = process.argv;
const mod = require(modulePath);
const handler = mod[exportName];
if (typeof handler !== "function") {
  process.send({ type: "fatal", error: `the bundle exports no function '${exportName}'` });
  process.exit(1);
}
process.on("message", async (m) => {
  if (!m || m.type !== "invoke") return;
  const started = Date.now();
  const context = {
    functionName,
    functionVersion: "$LATEST",
    awsRequestId: randomUUID(),
    invokedFunctionArn: m.arn,
    memoryLimitInMB: "256",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "sandbox",
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, Number(timeoutMs) - (Date.now() - started)),
  };
  try {
    const result = await handler(m.event, context);
    process.send({ type: "result", id: m.id, ok: true, result: result === undefined ? null : result });
  } catch (e) {
    process.send({
      type: "result",
      id: m.id,
      ok: false,
      error: { name: e && e.name, message: e && e.message, stack: e && e.stack },
    });
  }
});
process.send({ type: "ready" });
