import { readFileSync } from 'node:fs';

/** The first ```ts block of a repository file (`docs/x.md`, `README.md`) after each heading in turn: what a reader copies. */
export function docSnippet(path: string, ...headings: string[]): string {
  let text = readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
  for (const heading of headings) text = text.slice(text.indexOf(`${heading}\n`));
  return /```ts\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
}
