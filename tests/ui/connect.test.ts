import { describe, expect, it } from 'vitest';
import { extensionServerUrl } from '../../ui/src/lib/connect.js';

describe('the address "Connect a browser" shows', () => {
  it.each([
    ['the panel opened on the port', 'http://192.168.1.10:8099/', false, 'http://192.168.1.10:8099'],
    ['behind a reverse proxy under a path', 'https://nas.example/downloader/', false, 'https://nas.example/downloader'],
    ['Home Assistant ingress: the add-on port on the same host', 'https://ha.example:8123/api/hassio_ingress/AbC123/', true, 'http://ha.example:8099'],
  ])('%s', (_name, base, ingress, expected) => {
    expect(extensionServerUrl(base, ingress)).toBe(expected);
  });
});
