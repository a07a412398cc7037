#!/usr/bin/env node
import '../dist/cli/vu.js';
