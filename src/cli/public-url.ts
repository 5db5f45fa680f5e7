/**
 * The base URL that QR codes, Digital Link resolver links and the customer page name: what a phone
 * scanning a label must be able to open. Pure (the interface table is passed in), so the choice is
 * tested with fake tables and nothing listens on a real network to find out.
 */
import type { NetworkInterfaceInfo } from 'node:os';

/** os.networkInterfaces()'s shape. */
export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/** Hosts that bind every interface (Node listens dual-stack on "::"). */
const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '::0']);

/**
 * The machine's first IPv4 address another device on the network can reach, in the table's order
 * (interface index order on Linux and macOS): not internal (loopback), not link-local 169.254/16
 * (RFC 3927 addresses are only meaningful on one link and are what a machine gives itself when DHCP
 * failed). Undefined when there is none.
 */
export function lanIPv4Address(interfaces: InterfaceTable): string | undefined {
  for (const addresses of Object.values(interfaces)) {
    for (const a of addresses ?? []) {
      // Node 18.0-18.3 reported family as the number 4.
      const ipv4 = a.family === 'IPv4' || (a.family as unknown) === 4;
      if (ipv4 && !a.internal && !a.address.startsWith('169.254.')) return a.address;
    }
  }
  return undefined;
}

export interface PublicUrlChoice {
  /** Base URL without a trailing slash, e.g. http://192.168.1.20:8080. */
  readonly url: string;
  /** Why this URL, for the start-up banner. */
  readonly source: 'public-url' | 'lan-address' | 'listening-address';
}

/**
 * Choose the public base URL: --public-url when given; for a wildcard --host the first LAN IPv4
 * address (the listening URL would say 0.0.0.0 or 127.0.0.1, and a phone opening 127.0.0.1 reaches
 * itself); otherwise the address the service listens on.
 * @param listening the listening base URL with a concrete host, e.g. http://127.0.0.1:8080
 * @throws Error when --host is a wildcard, no --public-url is given and no LAN address exists
 */
export function choosePublicUrl(o: { readonly publicUrl: string | undefined; readonly host: string; readonly port: number; readonly listening: string; readonly interfaces: InterfaceTable }): PublicUrlChoice {
  if (o.publicUrl !== undefined) return { url: o.publicUrl.replace(/\/+$/, ''), source: 'public-url' };
  if (WILDCARD_HOSTS.has(o.host)) {
    const address = lanIPv4Address(o.interfaces);
    if (address === undefined) {
      throw new Error(`--host ${o.host}: this machine has no LAN IPv4 address for QR codes and links to name; give --public-url`);
    }
    return { url: `http://${address}:${o.port}`, source: 'lan-address' };
  }
  return { url: o.listening.replace(/\/+$/, ''), source: 'listening-address' };
}
