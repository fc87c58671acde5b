/// <reference types="vite/client" />

/** The WebSocket protocol version this client was built for (vite.config.ts). */
declare const __PROTOCOL_VERSION__: number
