#!/usr/bin/env node
// vu-gen -- regenerate generated-c/ and generated-ts/ from syscalls.json and
// layers/*.json. The code is TypeScript under generator/, compiled to dist/.
import { main } from '../dist/generator/cli.js';

process.exitCode = main(process.argv.slice(2));
