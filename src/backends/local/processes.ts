/**
 * Process checks for adopting trials across runners: a recorded pid is only trusted when the process behind it
 * is really ours (its command line or environment carries the trial's random token), since pids are reused.
 * Linux answers from /proc; elsewhere `ps` is asked.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

const HAS_PROC = fs.existsSync('/proc/self/cmdline');

function exists(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The argument vector of a live, non-zombie process, or undefined. */
export function commandLine(pid: number): string[] | undefined {
  if (!exists(pid)) return undefined;
  if (HAS_PROC) {
    try {
      const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (raw === '') return undefined; // a zombie, or a kernel thread
      return raw.replace(/\0$/, '').split('\0');
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out === '' ? undefined : out.split(/\s+/);
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and its command line contains `token` as one argument. */
export function isOurProcess(pid: number, token: string): boolean {
  return commandLine(pid)?.includes(token) ?? false;
}

/** Pids of the live processes of a process group whose environment holds `SAGETUNE_TRIAL_TOKEN=<token>` (Linux only). */
function groupMembers(pgid: number, token: string): number[] {
  const needle = `SAGETUNE_TRIAL_TOKEN=${token}`;
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesized command name: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
      if (fs.readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(needle)) out.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

/**
 * True when any process of the training command's group is still alive (checked by its token, so a reused
 * pid is not mistaken for the command).
 */
export function groupAlive(pgid: number, token: string): boolean {
  if (HAS_PROC) return groupMembers(pgid, token).length > 0;
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to what is left of a training command's process group, only if the group is ours: on Linux
 * every member is checked for the trial's token; elsewhere the group is signalled when it still exists.
 */
export function signalGroup(pgid: number, token: string, signal: NodeJS.Signals): void {
  if (HAS_PROC) {
    if (groupMembers(pgid, token).length === 0) return;
  }
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: gone already.
  }
}
