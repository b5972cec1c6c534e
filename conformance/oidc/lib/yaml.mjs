// A small YAML emitter for the dev clients file: block mappings and
// sequences, scalars as JSON (a JSON string is a valid YAML double-quoted
// scalar, so escaping is exact and UTF-8 passes through unchanged).

function scalar(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return JSON.stringify(String(value));
}

function isScalar(value) {
  return value === null || typeof value !== 'object';
}

function emit(value, indent) {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return value.map((item) => {
      if (isScalar(item)) return `\n${pad}- ${scalar(item)}`;
      // "- key: v" with the remaining keys aligned under the first one.
      const inner = emit(item, indent + 2).replace(/^\n\s*/, '');
      return `\n${pad}- ${inner}`;
    }).join('');
  }
  if (isScalar(value)) return ` ${scalar(value)}`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return ' {}';
  return entries.map(([k, v]) => `\n${pad}${k}:${emit(v, indent + 2)}`).join('');
}

export function toYaml(document) {
  return `${emit(document, 0).replace(/^\n/, '')}\n`;
}
