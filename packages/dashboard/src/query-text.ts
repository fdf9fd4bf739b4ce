/** Pieces of query text, written one way for every page: string constants and property paths. */

/** A string constant, with `'` doubled. */
export const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** A property name as the grammar takes it: plain when it is an identifier, else escaped as `[[name]]`. */
const nameOf = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) ? name : `[[${name}]]`);

/** A path from its names: `['telemetryConfig', 'send-rate']` -> `telemetryConfig.[[send-rate]]`. */
export const pathOf = (names: readonly string[]): string => names.map(nameOf).join('.');
