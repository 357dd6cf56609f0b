#!/usr/bin/env node
import { launch } from './launch.mjs';

await launch(new URL('./rvf-cli.ts', import.meta.url).href);
