/** The numeric fields of a telemetry body: JSON object leaves that are numbers, by dotted path (`temperature`, `env.humidity`). */
export function numericFields(body: string, encoding: 'utf8' | 'base64'): Record<string, number> {
  const fields: Record<string, number> = {};
  if (encoding !== 'utf8') return fields;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return fields;
  }
  const walk = (node: unknown, at: string, depth: number): void => {
    if (typeof node === 'number' && Number.isFinite(node) && at !== '') fields[at] = node;
    else if (typeof node === 'object' && node !== null && !Array.isArray(node) && depth < 4) {
      for (const [key, child] of Object.entries(node)) walk(child, at === '' ? key : `${at}.${key}`, depth + 1);
    }
  };
  walk(value, '', 0);
  return fields;
}
