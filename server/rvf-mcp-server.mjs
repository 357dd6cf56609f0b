#!/usr/bin/env node
import { launch } from './launch.mjs';

await launch(new URL('./main.ts', import.meta.url).href);
