import t from 'tap';
import type { NetworkInterfaceInfo } from 'node:os';
import { choosePublicUrl, lanIPv4Address, type InterfaceTable } from '../../src/cli/public-url.js';

const v4 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal, cidr: `${address}/24` });
const v6 = (address: string, internal = false): NetworkInterfaceInfo => ({ address, netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal, cidr: `${address}/64`, scopeid: 0 });

/** A laptop on Wi-Fi: loopback first, an interface with only IPv6, then the LAN address, then a container bridge. */
const LAPTOP: InterfaceTable = {
  lo: [v4('127.0.0.1', true), v6('::1', true)],
  eth0: [v6('fe80::1')],
  wlan0: [v6('fe80::2'), v4('192.168.1.20')],
  docker0: [v4('172.17.0.1')],
};

t.test('lanIPv4Address: the first IPv4 address another device can reach', async (t) => {
  t.equal(lanIPv4Address(LAPTOP), '192.168.1.20');
  t.equal(lanIPv4Address({ lo: [v4('127.0.0.1', true)] }), undefined, 'loopback only');
  t.equal(lanIPv4Address({}), undefined, 'no interfaces');
  t.equal(lanIPv4Address({ eth0: undefined, wlan0: [v6('2001:db8::5')] }), undefined, 'IPv6 only');
  t.equal(lanIPv4Address({ eth0: [v4('169.254.10.3')], wlan0: [v4('10.0.0.7')] }), '10.0.0.7', 'link-local (no DHCP lease) skipped');
  const node18 = { ...v4('10.1.2.3'), family: 4 } as unknown as NetworkInterfaceInfo;
  t.equal(lanIPv4Address({ eth0: [node18] }), '10.1.2.3', 'family reported as the number 4 (Node 18.0-18.3)');
});

t.test('choosePublicUrl', async (t) => {
  const at = (host: string, interfaces: InterfaceTable = LAPTOP, publicUrl?: string) =>
    choosePublicUrl({ publicUrl, host, port: 8080, listening: `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:8080`, interfaces });

  t.same(at('0.0.0.0'), { url: 'http://192.168.1.20:8080', source: 'lan-address' }, 'all interfaces: the LAN address, not 127.0.0.1');
  t.same(at('::'), { url: 'http://192.168.1.20:8080', source: 'lan-address' }, 'IPv6 wildcard (dual-stack) too');
  t.same(at('127.0.0.1'), { url: 'http://127.0.0.1:8080', source: 'listening-address' }, 'loopback: reachable only here, and says so');
  t.same(at('192.168.1.20'), { url: 'http://192.168.1.20:8080', source: 'listening-address' }, 'a concrete address is already reachable');
  t.same(at('0.0.0.0', LAPTOP, 'https://trace.example.com/'), { url: 'https://trace.example.com', source: 'public-url' }, '--public-url wins, without its trailing slash');
  t.same(at('0.0.0.0', {}, 'https://trace.example.com'), { url: 'https://trace.example.com', source: 'public-url' }, '--public-url needs no LAN address');
  t.throws(() => at('0.0.0.0', { lo: [v4('127.0.0.1', true)] }), 'wildcard without a LAN address: refuse');
  t.throws(() => at('::', {}), 'nor with no interfaces at all');
  t.same(
    choosePublicUrl({ publicUrl: undefined, host: '0.0.0.0', port: 43117, listening: 'http://127.0.0.1:43117', interfaces: LAPTOP }).url,
    'http://192.168.1.20:43117',
    'the port that was really bound',
  );
});
