import { z } from 'zod';
import { fileTransportSchema, openFile } from './file.js';
import { httpMjpegTransportSchema, openHttpMjpeg } from './http-mjpeg.js';
import { openPcap, pcapTransportSchema } from './pcap.js';
import { openProcess, processTransportSchema, type ProcessTransportDeps } from './process.js';
import { openSerial, serialTransportSchema } from './serial.js';
import { openTcpClient, tcpClientTransportSchema } from './tcp-client.js';
import { openTcpServer, tcpServerTransportSchema } from './tcp-server.js';
import type { Transport } from './transport.js';
import { openUdp, udpTransportSchema } from './udp.js';

/** Every transport's rig options, told apart by `type`. */
export const transportSchema = z.discriminatedUnion('type', [
  udpTransportSchema,
  tcpClientTransportSchema,
  tcpServerTransportSchema,
  serialTransportSchema,
  fileTransportSchema,
  pcapTransportSchema,
  httpMjpegTransportSchema,
  processTransportSchema,
]);

export type TransportConfig = z.input<typeof transportSchema>;
export type TransportType = TransportConfig['type'];

/** Opens the transport a config names; throws a RangeError naming the field when the config is invalid. */
export function openTransport(config: TransportConfig, deps: ProcessTransportDeps = {}): Transport {
  const result = transportSchema.safeParse(config);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new RangeError(`transport: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const parsed = result.data;
  switch (parsed.type) {
    case 'udp':
      return openUdp(parsed, deps);
    case 'tcp-client':
      return openTcpClient(parsed, deps);
    case 'tcp-server':
      return openTcpServer(parsed, deps);
    case 'serial':
      return openSerial(parsed, deps);
    case 'file':
      return openFile(parsed, deps);
    case 'pcap':
      return openPcap(parsed, deps);
    case 'http-mjpeg':
      return openHttpMjpeg(parsed, deps);
    case 'process':
      return openProcess(parsed, deps);
  }
}
