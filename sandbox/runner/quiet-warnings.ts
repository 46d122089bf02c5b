/**
 * The AWS SDK warns on every client that Node 20 will stop being supported in 2027. The sandbox
 * runs on the Node this project supports; that one warning would bury the live log, every other
 * warning is still printed.
 */
const listeners = process.listeners("warning");
process.removeAllListeners("warning");
process.on("warning", (w) => {
  if (w.name === "NodeVersionSupportWarning" || w.message.startsWith("NodeVersionSupportWarning")) return;
  for (const l of listeners) l(w);
});
export {};
