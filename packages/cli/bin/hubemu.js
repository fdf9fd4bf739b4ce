#!/usr/bin/env node
// Stable entry for `npx hubemu`: the compiled CLI lives in ../dist (built by `npm ci`'s prepare step).
import '../dist/bin.js';
