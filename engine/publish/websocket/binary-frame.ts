/**
 * The binary data frame both protocols share (Foxglove's MESSAGE_DATA, reused by percept's own):
 * u8 opcode 0x01, u32 LE subscription id, u64 LE stamp in nanoseconds, then the payload.
 */
export const MESSAGE_DATA_OPCODE = 0x01;
export const DATA_HEADER_BYTES = 13;

export function dataHeader(subscriptionId: number, stamp: bigint): Buffer {
  const header = Buffer.allocUnsafe(DATA_HEADER_BYTES);
  header.writeUInt8(MESSAGE_DATA_OPCODE, 0);
  header.writeUInt32LE(subscriptionId >>> 0, 1);
  header.writeBigUInt64LE(BigInt.asUintN(64, stamp), 5);
  return header;
}

export interface DataMessage {
  subscriptionId: number;
  stamp: bigint;
  payload: Uint8Array;
}

/** Parses a server data frame; undefined when the bytes are not one. */
export function parseDataMessage(bytes: Uint8Array): DataMessage | undefined {
  if (bytes.length < DATA_HEADER_BYTES || bytes[0] !== MESSAGE_DATA_OPCODE) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    subscriptionId: view.getUint32(1, true),
    stamp: view.getBigUint64(5, true),
    payload: bytes.subarray(DATA_HEADER_BYTES),
  };
}
