// A ConfigMap or Secret volume as the kubelet lays it out and updates it (its AtomicWriter,
// pkg/volume/util/atomic_writer.go): the files live in a timestamped directory `..<time>.<rand>`,
// `..data` is a symlink to it, and each visible name is a symlink through `..data`. An update
// writes a new timestamped directory, points a `..data_tmp` symlink at it and renames that over
// `..data` (the one atomic step), then removes the old directory. A watcher that kept an inode
// or a path to the old file sees nothing: this is what the processor's own watchers must follow.
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const DATA = '..data';

function stamp(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.`;
}

/** Writes `files` (name → content) into the volume directory `dir` the way the kubelet does, first time or update. */
export function kubeletWrite(dir: string, files: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  let old: string | undefined;
  try {
    old = readlinkSync(join(dir, DATA));
  } catch {
    /* first write: no ..data yet */
  }
  const fresh = mkdtempSync(join(dir, stamp()));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(fresh, name), text, { mode: 0o644 });
  const tmp = join(dir, `${DATA}_tmp`);
  rmSync(tmp, { force: true });
  symlinkSync(fresh.slice(dir.length + 1), tmp);
  renameSync(tmp, join(dir, DATA));
  const visible = new Set(Object.keys(files));
  for (const name of visible) {
    try {
      symlinkSync(join(DATA, name), join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  if (old) rmSync(join(dir, old), { recursive: true, force: true });
  for (const name of readdirSync(dir)) if (!name.startsWith('..') && !visible.has(name)) rmSync(join(dir, name), { force: true });
}
