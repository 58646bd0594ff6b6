import { describe, expect, it } from 'vitest';
import { parseClientMessage, parseTopic } from './percept-protocol.js';

const sensors = new Set(['lidar_top', 'cam_front']);

describe('percept protocol control messages', () => {
  it('accepts subscribe and unsubscribe', () => {
    expect(parseClientMessage('{"op":"subscribe","id":3,"topic":"objects","encoding":"json","filter":{"classes":["car"],"radiusM":30}}', sensors)).toEqual({
      ok: true,
      message: { op: 'subscribe', id: 3, topic: { kind: 'objects' }, topicName: 'objects', encoding: 'json', filter: { classes: ['car'], radiusM: 30 } },
    });
    const sensor = parseClientMessage('{"op":"subscribe","id":4,"topic":"sensor/lidar_top"}', sensors);
    expect(sensor).toMatchObject({ ok: true, message: { topic: { kind: 'sensor', sensorId: 'lidar_top' }, encoding: 'protobuf' } });
    expect(parseClientMessage('{"op":"unsubscribe","id":4}', sensors)).toEqual({ ok: true, message: { op: 'unsubscribe', id: 4 } });
  });

  it('names what is wrong with a bad message', () => {
    const error = (text: string): string => {
      const r = parseClientMessage(text, sensors);
      return r.ok ? 'ok' : r.error;
    };
    expect(error('{')).toMatch(/not JSON/);
    expect(error('[]')).toMatch(/bad control message/);
    expect(error('{"op":"dance"}')).toMatch(/op/);
    expect(error('{"op":"subscribe","id":1.5,"topic":"events"}')).toMatch(/^bad control message: id/);
    expect(error('{"op":"subscribe","id":1,"topic":"events","encoding":"xml"}')).toMatch(/encoding/);
    expect(error('{"op":"subscribe","id":1,"topic":"everything"}')).toMatch(/unknown topic "everything"/);
    expect(error('{"op":"subscribe","id":1,"topic":"sensor/radar_9"}')).toMatch(/no sensor "radar_9"/);
    expect(error('{"op":"subscribe","id":1,"topic":"events","filter":{"classes":["car"]}}')).toMatch(/objects topic only/);
    expect(error('{"op":"subscribe","id":1,"topic":"objects","filter":{"radiusM":-1}}')).toMatch(/radiusM/);
    expect(error('{"op":"subscribe","id":1,"topic":"events","extra":true}')).toMatch(/bad control message/);
  });

  it('knows the topics', () => {
    expect(parseTopic('status')).toEqual({ kind: 'status' });
    expect(parseTopic('sensor/')).toBeUndefined();
    expect(parseTopic('sensor/x')).toEqual({ kind: 'sensor', sensorId: 'x' });
  });
});
