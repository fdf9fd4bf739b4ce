import { readFileSync } from 'node:fs';
import { parseDocumentText } from './document-file.js';
import { SeedSchema, type Seed } from './seed.js';

/** Reads and validates a seed file (JSON or YAML): a problem is an Error naming `file:line: path: message`. */
export function readSeedFile(path: string): Seed {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Cannot read the seed file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseDocumentText(text, path, SeedSchema, 'seed');
}
