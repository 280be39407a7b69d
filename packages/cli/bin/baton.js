#!/usr/bin/env node
// The `baton` command: a committed shim so package managers can link it before the build exists.
import '../dist/main.js';
