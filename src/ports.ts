// A port another process already holds is one clear line naming the port, what the
// gateway wanted it for and, where /proc tells (Linux), the process holding it: not a
// stack trace from deep inside a server library.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

export class PortInUse extends Error {}

export interface WantedPort {
  port: number;
  host: string;
  what: string;
}

/** Throws PortInUse for the first wanted port (non-zero) that cannot be bound now. */
export async function assertPortsFree(wanted: WantedPort[]): Promise<void> {
  for (const w of wanted) {
    if (w.port === 0) continue;
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const s = createServer();
      s.once('error', (e: NodeJS.ErrnoException) => resolve(e));
      s.listen(w.port, w.host, () => s.close(() => resolve(undefined)));
    });
    if (err?.code === 'EADDRINUSE') {
      const owner = portOwner(w.port);
      throw new PortInUse(`port ${w.port} (${w.what}) on ${w.host} is already in use${owner ? ` by ${owner}` : ''}; stop it, or pick another port (--help lists the port flags; 0 picks a free one)`);
    }
    if (err?.code === 'EACCES') throw new PortInUse(`port ${w.port} (${w.what}) on ${w.host}: permission denied (ports below 1024 need privileges)`);
    if (err) throw new PortInUse(`port ${w.port} (${w.what}) on ${w.host}: ${err.message}`);
  }
}

/** `pid 1234 (node server.js)` for the process listening on this TCP port, when /proc says. */
export function portOwner(port: number): string | undefined {
  try {
    const inodes = new Set<string>();
    for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n').slice(1)) {
        const f = line.trim().split(/\s+/);
        // local_address is HEXIP:HEXPORT; state 0A is LISTEN; the inode is the 10th field.
        if (f.length > 9 && f[3] === '0A' && Number.parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
      }
    }
    if (inodes.size === 0) return undefined;
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        let link = '';
        try {
          link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          continue;
        }
        const m = /^socket:\[(\d+)\]$/.exec(link);
        if (m && inodes.has(m[1]!)) {
          const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
          return `pid ${pid} (${cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd})`;
        }
      }
    }
  } catch {
    // Best effort: without /proc the message just has no owner.
  }
  return undefined;
}
