#!/usr/bin/env node
// Empties dist/ before a build, so a packed or installed gloss-ml never carries compiled files
// of modules that were renamed or deleted since the last build.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

rmSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'), { recursive: true, force: true });
