import { describe, expect, it } from 'vitest';
import { isAuthorized, presentedToken } from './auth.js';

describe('token check', () => {
  it('reads a bearer header first, then the token query parameter', () => {
    expect(presentedToken({ headers: { authorization: 'Bearer abc' }, url: '/?token=xyz' })).toBe('abc');
    expect(presentedToken({ headers: {}, url: '/path?a=1&token=xyz' })).toBe('xyz');
    expect(presentedToken({ headers: { authorization: 'Basic Zm9v' }, url: '/' })).toBeUndefined();
  });

  it('needs the exact token when one is set, and nothing otherwise', () => {
    expect(isAuthorized({ headers: {}, url: '/' }, undefined)).toBe(true);
    expect(isAuthorized({ headers: {}, url: '/' }, 'abc')).toBe(false);
    expect(isAuthorized({ headers: { authorization: 'Bearer abcd' }, url: '/' }, 'abc')).toBe(false);
    expect(isAuthorized({ headers: { authorization: 'bearer abc' }, url: '/' }, 'abc')).toBe(true);
    expect(isAuthorized({ headers: {}, url: '/?token=abc' }, 'abc')).toBe(true);
  });
});
