/**
 * Real-browser harness: Debian's Chromium driven by playwright-core, kept on this machine.
 *
 * Chromium calls home on its own (component updater, sign-in, safe browsing …). Every such
 * request is sent to a local sink that answers 404: `--proxy-server` points at it (loopback,
 * where the console lives, is never proxied), and the component updater and the account URL
 * are set to it too. The page's own requests are recorded so a test can assert that the
 * console asked nothing of any origin but its own.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where Debian installs Chromium (`apt-get install chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

/** A local HTTP server that answers 404 to everything, including proxy CONNECTs. */
export interface Sink {
  readonly url: string;
  /** Requests it received (method and URL), for diagnostics. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startSink(): Promise<Sink> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method ?? '?'} ${req.url ?? ''}`);
    res.writeHead(404, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('not here\n');
  });
  server.on('connect', (req: http.IncomingMessage, socket: net.Socket) => {
    requests.push(`CONNECT ${req.url ?? ''}`);
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** A headless Chromium with a fresh profile; `requests` lists every URL a page asked for. */
export interface Browser {
  readonly context: BrowserContext;
  readonly requests: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(sink: Sink): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'cimd2-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-default-apps',
      '--disable-extensions',
      '--disable-features=AutofillServerCommunication,OptimizationHints,MediaRouter',
      `--proxy-server=${sink.url}`,
      `--component-updater=url-source=${sink.url}`,
      `--gaia-url=${sink.url}`,
    ],
  });
  const requests: string[] = [];
  context.on('request', (r) => {
    requests.push(r.url());
  });
  return {
    context,
    requests,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport !== undefined) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The folder screenshots go to: `CIMD2_SCREENSHOTS`, else test-output/browser. */
export function screenshotDir(root: string): string {
  const dir = process.env['CIMD2_SCREENSHOTS'] ?? join(root, 'test-output', 'browser');
  mkdirSync(dir, { recursive: true });
  return dir;
}
