import { describe, expect, it } from 'vitest';
import { DATA_HEADER_BYTES, dataHeader, parseDataMessage } from './binary-frame.js';

describe('binary data frames', () => {
  it('lays out opcode, u32 LE subscription id and u64 LE stamp before the payload', () => {
    const header = dataHeader(0x01020304, 0x1122334455667788n);
    expect([...header]).toEqual([0x01, 0x04, 0x03, 0x02, 0x01, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
    const bytes = new Uint8Array([...header, 7, 8, 9]);
    expect(parseDataMessage(bytes)).toEqual({ subscriptionId: 0x01020304, stamp: 0x1122334455667788n, payload: new Uint8Array([7, 8, 9]) });
  });

  it('rejects what is not a data frame', () => {
    expect(parseDataMessage(new Uint8Array(DATA_HEADER_BYTES - 1).fill(1))).toBeUndefined();
    expect(parseDataMessage(new Uint8Array(DATA_HEADER_BYTES).fill(2))).toBeUndefined();
  });
});
