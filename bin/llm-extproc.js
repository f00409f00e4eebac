#!/usr/bin/env node
// Entry point: runs the compiled CLI from dist/ (built by `npm install` / `npm run build`).
import { main } from '../dist/cli.js';

const code = await main(process.argv.slice(2));
if (code >= 0) process.exitCode = code;
