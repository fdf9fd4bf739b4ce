import { HubError } from './errors.js';

/** `P[nW][nD][T[nH][nM][n[.n]S]]`: days and shorter, whose length is fixed (years and months are not). */
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,3})?)S)?)?$/i;

/**
 * An ISO 8601 duration (`PT5M`, `P1DT2H`, `PT0.5S`) in milliseconds. Years and months are refused
 * (their length depends on the date), and so is anything else that is not this grammar: 400 ArgumentInvalid.
 */
export function parseIsoDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) {
    throw new HubError('ArgumentInvalid', `'${text}' is not an ISO 8601 duration of weeks, days, hours, minutes and seconds, such as PT5M or P1DT2H.`);
  }
  const [, weeks, days, hours, minutes, seconds] = match;
  const n = (value: string | undefined): number => (value === undefined ? 0 : Number(value));
  return Math.round((((n(weeks) * 7 + n(days)) * 24 + n(hours)) * 60 + n(minutes)) * 60_000 + n(seconds) * 1000);
}
