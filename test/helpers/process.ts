/**
 * Runs the real `wardgate` command (node with type stripping, as `npm start` does) in a child
 * process: start it and wait for its "ready" log line, or run a one-shot command to completion.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');

function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const key of Object.keys(base)) if (key.startsWith('WARDGATE_') || ['DATABASE_URL', 'PORT', 'NODE_ENV'].includes(key)) delete base[key];
  delete base.NODE_OPTIONS;
  return { ...base, ...env };
}

export interface RunningWardgate {
  child: ChildProcess;
  issuer: string;
  lines: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnWardgate(env: Record<string, string>, timeoutMs = 30_000): Promise<RunningWardgate> {
  const child = spawn(process.execPath, [CLI, 'start'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const issuer = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`wardgate did not become ready:\n${lines.join('\n')}`)), timeoutMs);
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        try {
          const entry = JSON.parse(line) as { event?: string; issuer?: string };
          if (entry.event === 'ready') {
            clearTimeout(timer);
            resolve(entry.issuer!);
          }
        } catch {
          // not a JSON line: kept in `lines` for the error message
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`wardgate exited with ${code} before ready:\n${lines.join('\n')}`));
    });
  });
  return {
    child,
    issuer,
    lines,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs a one-shot wardgate command; resolves with its exit code, stdout and stderr. */
export function runWardgate(args: string[], env: Record<string, string>, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}
