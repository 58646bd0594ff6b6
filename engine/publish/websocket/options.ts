import { z } from 'zod';

/**
 * The rig's `outputs.websocket`: one port serves percept's own protocol and the Foxglove WebSocket
 * protocol (chosen by the client's subprotocol).
 */
export const websocketOutputSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 picks any free port. */
    port: z.number().int().min(0).max(65535).default(8765),
    /** When the port is taken, listen on a free one (and say so) instead of failing. */
    fallbackToFreePort: z.boolean().default(true),
    /** Clients must present it as `Authorization: Bearer T` or `?token=T`; others get HTTP 401. */
    token: z.string().min(1).optional(),
    /** Serve wss:// with this PEM certificate and key. */
    tls: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).strict().optional(),
    /** Largest message a client may send; a bigger one closes that client with 1009. */
    maxClientMessageBytes: z.number().int().positive().default(64 * 1024),
    /** Bytes waiting for one client (ours plus the socket's); beyond it the oldest are dropped. */
    maxQueueBytes: z.number().int().positive().default(8 * 1024 * 1024),
    /** Keepalive: a client that has not answered the previous ping is terminated. */
    pingIntervalMs: z.number().int().positive().default(15_000),
  })
  .strict();

export type WebSocketOutputOptions = z.output<typeof websocketOutputSchema>;
export type WebSocketOutputInput = z.input<typeof websocketOutputSchema>;
