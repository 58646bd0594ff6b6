/**
 * JSON as Python's json.dump writes it, which allows the bare tokens NaN, Infinity and -Infinity
 * (nuScenes gives NaN velocities for objects seen once). They become null, outside strings only;
 * the caller decides what an unknown number means.
 */
export function parsePythonJson(text: string): unknown {
  let out = '';
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      continue;
    }
    const token = text.startsWith('NaN', i) ? 'NaN' : text.startsWith('-Infinity', i) ? '-Infinity' : text.startsWith('Infinity', i) ? 'Infinity' : undefined;
    if (token) {
      out += text.slice(start, i) + 'null';
      i += token.length - 1;
      start = i + 1;
    }
  }
  return JSON.parse(out + text.slice(start));
}
