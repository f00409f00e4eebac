// The program node:cluster runs in each `serve --workers` worker (the primary forks it).
import { runWorker } from './worker.js';

runWorker();
