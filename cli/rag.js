#!/usr/bin/env node
// The `rag` command's bin entry: npm links bins as they are, and Node 20 cannot run .ts files,
// so this shim registers tsx's loader and then loads the TypeScript entry point.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
