// The one Logger type lives in shared (the hub takes the same); this path stays for the agent's own imports.
export { silentLogger, type Logger } from '@hubemu/shared';
