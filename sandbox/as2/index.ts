/** AS2 protocol core: messages, MDNs, S/MIME, certificates. */
export * from "./algorithms";
export * from "./errors";
export * from "./certs";
export * from "./cms";
export * from "./mime";
export * from "./message";
export * from "./mdn";
