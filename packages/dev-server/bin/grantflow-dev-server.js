#!/usr/bin/env node
// A committed shim, so that `pnpm install` can link the bin before `dist/` is built.
await import("../dist/bin.js")
