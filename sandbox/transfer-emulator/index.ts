/** A local stand-in for AWS Transfer Family's AS2 side (server, agreements, connectors, API, events). */
export * from "./types";
export * from "./paths";
export * from "./events";
export * from "./connector";
export * from "./as2-server";
export * from "./emulator";
export type { HostLookup } from "./http-post";
