import type { z } from 'zod';

/**
 * Validates a decoder's rig options against its schema (onIssue, a function, is left out). A bad
 * option is a configuration error, not bad input, so this throws, naming the option.
 */
export function parseDecoderOptions<S extends z.ZodType>(schema: S, options: unknown, decoder: string): z.output<S> {
  const { onIssue: _onIssue, ...rest } = (options ?? {}) as Record<string, unknown>;
  const parsed = schema.safeParse(rest);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new TypeError(`${decoder} option ${first.path.join('.') || '(options)'}: ${first.message}`);
  }
  return parsed.data;
}
